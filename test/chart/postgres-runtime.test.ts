// The rendered PostgreSQL pod and the migration Job's wait step, run for real in Docker with the
// security the chart sets (read-only root, its uid/gid, no capabilities, no privilege escalation,
// emptyDirs as tmpfs, the data volume as a directory): the server initialises as UTF8, the rendered
// probes pass, the wait step gets through as uid 10001, and the data survives a new container.
//
// The official postgres image cannot be pulled here; POSTGRES_TEST_IMAGE (default: postgres:17 when
// present locally, else the stand-in local/postgres:17 made by ../shared/rig/base-images.sh) runs it.
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { find, TAGS, template } from './helm.ts'

const PASSWORD = 'chartTest0123456789'
const run = `chart-pg-${process.pid}`
const dataDir = mkdtempSync(path.join(tmpdir(), 'chart-pgdata-'))
const containers: string[] = []

function docker(args: string[], opts: { check?: boolean } = {}) {
  const res = spawnSync('docker', args, { encoding: 'utf8' })
  if (res.error)
    throw new Error(
      `docker is not available (${res.error.message}): start the Docker engine and rerun npm run test:chart`,
    )
  if (opts.check !== false && res.status !== 0)
    throw new Error(`docker ${args.slice(0, 3).join(' ')} … failed: ${res.stderr}`)
  return res
}

function image(): string {
  if (process.env.POSTGRES_TEST_IMAGE) return process.env.POSTGRES_TEST_IMAGE
  for (const candidate of ['postgres:17', 'local/postgres:17'])
    if (docker(['image', 'inspect', candidate], { check: false }).status === 0) return candidate
  throw new Error(
    'no PostgreSQL image: run bash ../shared/rig/base-images.sh (makes local/postgres:17) or set POSTGRES_TEST_IMAGE',
  )
}

/** docker run arguments equivalent to a rendered container in its pod. */
function runArgs(
  pod: any,
  container: any,
  extra: { env?: Record<string, string>; mounts?: Record<string, string> } = {},
) {
  const psc = pod.spec.securityContext ?? {}
  const csc = container.securityContext ?? {}
  const args = [
    '--read-only',
    `--user=${csc.runAsUser ?? psc.runAsUser}:${csc.runAsGroup ?? psc.runAsGroup}`,
    '--security-opt=no-new-privileges',
  ]
  expect(csc.readOnlyRootFilesystem).toBe(true)
  expect(csc.allowPrivilegeEscalation).toBe(false)
  for (const cap of csc.capabilities?.drop ?? []) args.push(`--cap-drop=${cap}`)
  const volumes = new Map<string, any>((pod.spec.volumes ?? []).map((v: any) => [v.name, v]))
  for (const m of container.volumeMounts ?? []) {
    if (volumes.get(m.name)?.emptyDir) args.push(`--tmpfs=${m.mountPath}:mode=1777`)
    else if (extra.mounts?.[m.name]) args.push(`--volume=${extra.mounts[m.name]}:${m.mountPath}`)
    else throw new Error(`no stand-in for volume ${m.name}`)
  }
  for (const e of container.env ?? []) {
    const value = e.valueFrom ? extra.env?.[e.name] : e.value
    if (value === undefined) throw new Error(`no value for ${e.name}`)
    args.push('--env', `${e.name}=${value}`)
  }
  return args
}

/** The probe's exec command inside the running container, as the kubelet would run it. */
const probe = (name: string, p: any) => docker(['exec', name, ...p.exec.command], { check: false }).status

async function until(what: string, fn: () => boolean, seconds = 60) {
  for (let i = 0; i < seconds * 2; i++) {
    if (fn()) return
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`)
}

/** A rendered container started detached as `name`, with stand-ins for its volumes and its rendered args. */
function startContainer(name: string, pod: any, container: any, img: string, mounts: Record<string, string>) {
  containers.push(name)
  docker([
    'run',
    '--detach',
    '--name',
    name,
    ...runArgs(pod, container, { env: { POSTGRES_PASSWORD: PASSWORD }, mounts }),
    img,
    ...(container.args ?? []),
  ])
  return name
}

/** A data directory initdb filled as uid 999: emptied from a container of the same image, then removed. */
function removeData(img: string, dir: string) {
  if (img)
    docker(['run', '--rm', '--user=0', `--volume=${dir}:/d`, '--entrypoint', 'sh', img, '-c', 'rm -rf /d/*'], {
      check: false,
    })
  rmSync(dir, { recursive: true, force: true })
}

describe('PostgreSQL pod and migration wait step, run in Docker as rendered', () => {
  const rendered = template({ label: 'helm 4.1', bin: layerV35().helm }, { set: TAGS })
  const sts = find(rendered.objects, 'StatefulSet', 'todo-postgresql')!
  const job = find(rendered.objects, 'Job', 'todo-migrate')!
  const pgPod = sts.spec.template
  const pg = pgPod.spec.containers[0]
  let img = ''

  const start = () => startContainer(`${run}-${containers.length}`, pgPod, pg, img, { data: dataDir })
  const ip = (name: string) => docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', name]).stdout.trim()
  const psql = (name: string, sql: string) =>
    docker([
      'exec',
      '--env',
      `PGPASSWORD=${PASSWORD}`,
      name,
      'psql',
      '-h',
      '127.0.0.1',
      '-U',
      'todo',
      '-d',
      'todo',
      '-tAc',
      sql,
    ]).stdout.trim()

  beforeAll(() => {
    img = image()
    // A fresh provisioner volume is world-writable (local-path, hostPath) or group-owned via fsGroup.
    chmodSync(dataDir, 0o777)
  })
  afterAll(() => {
    for (const c of containers) docker(['rm', '--force', c], { check: false })
    removeData(img, dataDir)
  })

  let first = ''
  it('initialises a UTF8 cluster under the rendered security context and passes its probes', async () => {
    first = start()
    await until('the rendered startup probe', () => probe(first, pg.startupProbe) === 0, 90)
    expect(probe(first, pg.readinessProbe)).toBe(0)
    expect(psql(first, 'show server_encoding')).toBe('UTF8')
    expect(psql(first, 'select current_user')).toBe('todo')
    const pgdata = pg.env.find((e: any) => e.name === 'PGDATA').value
    expect(psql(first, 'show data_directory')).toBe(pgdata)
  }, 120_000)

  it('the migration Job’s wait-for-database step gets through as uid 10001 with a read-only root', () => {
    const wait = job.spec.template.spec.initContainers.find((c: any) => c.name === 'wait-for-database')
    const host = wait.env.find((e: any) => e.name === 'PGHOST').value
    const res = docker(
      [
        'run',
        '--rm',
        `--add-host=${host}:${ip(first)}`,
        ...runArgs(job.spec.template, wait),
        '--entrypoint',
        wait.command[0],
        img,
        ...wait.command.slice(1),
      ],
      { check: false },
    )
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
  }, 60_000)

  it('the wait step keeps waiting while the database is absent', () => {
    const wait = job.spec.template.spec.initContainers.find((c: any) => c.name === 'wait-for-database')
    const host = wait.env.find((e: any) => e.name === 'PGHOST').value
    const res = docker(
      // The host resolves to the step's own loopback, where nothing listens: connection refused, as before the server is up.
      [
        'run',
        '--rm',
        `--add-host=${host}:127.0.0.1`,
        ...runArgs(job.spec.template, wait),
        '--entrypoint',
        'timeout',
        img,
        '6',
        ...wait.command,
      ],
      { check: false },
    )
    expect(res.status).toBe(124) // still looping when timeout stopped it
    expect(res.stdout).toContain(`waiting for ${host}:5432`)
  }, 60_000)

  it('data survives a new pod on the same volume', async () => {
    psql(first, 'create table kept (v text); insert into kept values ($$survives$$)')
    docker(['stop', '--time', '30', first])
    const second = start()
    await until('the restarted server', () => probe(second, pg.readinessProbe) === 0, 60)
    expect(psql(second, 'select v from kept')).toBe('survives')
  }, 120_000)
})

// postgresql.tls: apps that ask for TLS in code (`ssl: { rejectUnauthorized: false }`, sslmode=require) get it on the
// usual port, with the chart's certificate from the Secret as the kubelet mounts it (root's, the rendered mode, the
// pod's fsGroup): PostgreSQL accepts that key file, a client verifying the Service's name against the chart's CA gets
// through, and plain connections still work.
describe('PostgreSQL with postgresql.tls, run in Docker as rendered', () => {
  const rendered = template(
    { label: 'helm 4.1', bin: layerV35().helm },
    { set: [...TAGS, 'postgresql.tls.enabled=true'] },
  )
  const sts = find(rendered.objects, 'StatefulSet', 'todo-postgresql')!
  const secretData = find(rendered.objects, 'Secret', 'todo-postgresql-neon-proxy-tls')!.data as Record<string, string>
  const pgPod = sts.spec.template
  const pg = pgPod.spec.containers[0]
  const tlsDir = mkdtempSync(path.join(tmpdir(), 'chart-pgtls-'))
  const tlsData = mkdtempSync(path.join(tmpdir(), 'chart-pgdata-tls-'))
  let img = ''
  let name = ''

  beforeAll(() => {
    img = image()
    chmodSync(tlsData, 0o777)
    // the secret volume as the kubelet writes it: owned by root, group fsGroup, the rendered defaultMode
    const volume = pgPod.spec.volumes.find((v: any) => v.name === 'postgresql-tls').secret
    const fsGroup = pgPod.spec.securityContext.fsGroup
    // the API server reads a leading-zero mode as octal (YAML 1.1), as this test's YAML 1.2 parser does not
    const written = /- name: postgresql-tls\n\s+secret:\n(?:.*\n)*?\s+defaultMode: (\d+)/.exec(rendered.stdout)![1]!
    const mode = written.startsWith('0') ? parseInt(written, 8) : Number(written)
    expect(mode & 0o037).toBe(0) // PostgreSQL refuses a root-owned key file the group can write or others can read
    for (const { key, path: file } of volume.items) {
      const target = path.join(tlsDir, file)
      writeFileSync(target, Buffer.from(secretData[key]!, 'base64'))
      chownSync(target, 0, fsGroup)
      chmodSync(target, mode)
    }
    writeFileSync(path.join(tlsDir, 'ca.crt'), Buffer.from(secretData['ca.crt']!, 'base64'))
    chmodSync(tlsDir, 0o755)
    name = startContainer(`${run}-tls`, pgPod, pg, img, { data: tlsData, 'postgresql-tls': tlsDir })
  })
  afterAll(() => {
    docker(['rm', '--force', name], { check: false })
    removeData(img, tlsData)
    rmSync(tlsDir, { recursive: true, force: true })
  })

  const connect = (conninfo: string) =>
    docker(
      [
        'run',
        '--rm',
        `--add-host=todo-postgresql:${docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', name]).stdout.trim()}`,
        `--volume=${path.join(tlsDir, 'ca.crt')}:/ca.crt:ro`,
        '--env',
        `PGPASSWORD=${PASSWORD}`,
        '--entrypoint',
        'psql',
        img,
        `host=todo-postgresql user=todo dbname=todo ${conninfo}`,
        '-tAc',
        'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
      ],
      { check: false },
    )

  it('serves TLS with the chart certificate on its port: verify-full against the chart CA, require, and plain', async () => {
    expect(pg.args).toEqual(expect.arrayContaining(['ssl=on', 'ssl_key_file=/etc/postgresql/tls/tls.key']))
    await until('the rendered startup probe', () => probe(name, pg.startupProbe) === 0, 90).catch((e: Error) => {
      const logs = docker(['logs', name], { check: false })
      throw new Error(`${e.message}\n${logs.stdout}${logs.stderr}`)
    })
    const verified = connect('sslmode=verify-full sslrootcert=/ca.crt')
    expect(verified.stderr).toBe('')
    expect(verified.stdout.trim()).toBe('t')
    expect(connect('sslmode=require').stdout.trim()).toBe('t')
    expect(connect('sslmode=disable').stdout.trim()).toBe('f')
  }, 120_000)
})
