// What only minikube has, on a real minikube the kit started itself (runs after kit.test.ts, E2E_CLUSTER=minikube):
// the node is a Docker container minikube runs, the ingress addon serves http://todo.local on `minikube ip` with sign-in
// working through it, and cleanup stops and deletes the profile.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { injectCluster, minikubeStatus } from './support/cluster.ts'
import {
  AppClient,
  backendCopy,
  httpRequest,
  kitEnvironment,
  kubectl,
  NS,
  ORIGIN,
  pods,
  RELEASE,
  runKit,
  tail,
  waitFor,
} from './support/kit.ts'

const run = promisify(execFile)
const cluster = injectCluster(inject('cluster'))
const profile = cluster.minikube!.profile
// the backend is built from a copy, so a case can change a source line without touching app/
const backend = backendCopy('todo-e2e-mk-backend-')
const healthFile = path.join(backend, 'app/routes/health.py')
// the kit's defaults otherwise: INGRESS_ENABLED=true, MINIKUBE_ADDONS=ingress, LOAD_METHOD=docker-env (a docker profile)
const kit = kitEnvironment(cluster, { BACKEND_DIR: backend })
const env = kit.env
// the profile flag first: after `ssh --` it would belong to the remote command
const minikube = async (...args: string[]) =>
  (await run('minikube', ['-p', profile, ...args], { env, encoding: 'utf8', timeout: 300_000 })).stdout
const status = () => minikubeStatus(cluster)
const nodeContainers = async () =>
  (
    await run(
      'docker',
      ['ps', '-a', '--filter', `label=name.minikube.sigs.k8s.io=${profile}`, '--format', '{{.Names}} {{.State}}'],
      { encoding: 'utf8' },
    )
  ).stdout.trim()

describe(`minikube itself (profile ${profile})`, () => {
  it('the kit started a real minikube: its node is a Docker container, and minikube reports it running', async () => {
    expect(await nodeContainers()).toBe(`${profile} running`)
    expect(await status()).toMatchObject({ Host: 'Running', APIServer: 'Running' })
  })

  it('up (ingress on by default) has the ingress addon enabled, and the app signs in through http://todo.local', async () => {
    const r = await runKit(env, ['up', '--', '--no-journey'])
    expect(r.code, tail(r)).toBe(0)
    // LOAD_METHOD unset: the kit read minikube's own record of the profile and picked docker-env, and the images
    // are in the node's Docker (the first up built them there)
    expect(r.stderr).toContain(
      `images: LOAD_METHOD=docker-env (profile ${profile} runs the docker runtime; set LOAD_METHOD to choose)`,
    )
    for (const p of await pods(env))
      if (/todo-(frontend|backend):h-/.test(p.image))
        expect(
          await minikube(
            'ssh',
            '--',
            'docker',
            'image',
            'inspect',
            '--format',
            '{{.Id}}',
            p.image.replace(/^docker\.io\/library\//, ''),
          ),
        ).toMatch(/sha256:/)
    const addons = JSON.parse(await minikube('addons', 'list', '-o', 'json')) as Record<string, { Status: string }>
    expect(addons.ingress?.Status).toBe('enabled')

    // the line deploy tells the user to add to /etc/hosts: `<minikube ip> todo.local`
    const ip = (await minikube('ip')).trim()
    expect(r.stdout).toContain(`${ip} todo.local`)
    const through = new AppClient(`http://${ip}`, { host: 'todo.local' })
    // the app answers (its page, or its redirect to sign-in); the controller alone would say 404 or 503
    await waitFor(
      'the ingress answering for todo.local',
      async () => {
        const { status } = await through.call('GET', '/')
        return status === 200 || (status >= 300 && status < 400)
      },
      120_000,
      2000,
    )

    // the controller passes Better Auth's cookies and the Origin check (PUBLIC_URL=http://todo.local) untouched
    await through.signUp(`mk-${Date.now()}@example.com`, 'minikube-password-123456')
    expect(through.cookie).toMatch(/better-auth/)
    const created = await through.api('POST', '/tasks', { title: 'through the ingress' })
    expect(created.status, created.text).toBe(201)
    const list = await through.api('GET', '/tasks')
    expect(list.json.map((t: { title: string }) => t.title)).toEqual(['through the ingress'])
    // a host the Ingress does not name is not the app
    const other = await httpRequest(`http://${ip}/`, { headers: { host: 'other.local' } })
    expect(other.status).toBe(404)
    expect(ORIGIN).toBe('http://todo.local')
  })

  it("LOAD_METHOD=minikube: a changed backend line is built here, copied into the node's Docker (one docker save, loaded there), and only the backend rolls", async () => {
    const before = await pods(env)
    const marker = `image-load-${Date.now().toString(36)}`
    writeFileSync(
      healthFile,
      readFileSync(healthFile, 'utf8').replace(
        'return {"status": "ok"}',
        `return {"status": "ok", "e2e": "${marker}"}`,
      ),
    )
    const r = await runKit(env, ['up', '--', '--no-journey'], { LOAD_METHOD: 'minikube' })
    expect(r.code, tail(r)).toBe(0)
    // built by this machine's Docker (no DOCKER_HOST of minikube's), then saved here and loaded into the node's Docker
    // (a docker profile of one node; containerd or several nodes take minikube image load: nodes.test.ts)
    expect(r.stderr.match(/\$ docker build/g), tail(r)).toHaveLength(1)
    const tag = /todo-backend:h-[0-9a-f]{12}/.exec(r.stderr.match(/docker build .*/)![0])![0]
    const tar = `.cache/images/minikube-${profile}.tar`
    expect(r.stderr).toContain(`$ docker save -o ${tar} ${tag}\n`)
    expect(r.stderr).toMatch(
      new RegExp(`\\$ DOCKER_TLS_VERIFY=1 DOCKER_HOST=tcp://\\S+ DOCKER_CERT_PATH=\\S+ docker load -i ${tar}`),
    )
    expect(r.stderr.split('\n').filter((l) => /DOCKER_HOST=/.test(l) && /\$ /.test(l))).toHaveLength(1)
    expect(
      await run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).then((x) => x.stdout),
    ).toMatch(/sha256:/)
    expect(await minikube('image', 'ls')).toContain(tag)

    const after = await pods(env)
    const same = (c: string) => (list: typeof before) =>
      list
        .filter((p) => p.component === c && !p.deleting)
        .map((p) => p.uid)
        .sort()
    expect(same('frontend')(after)).toEqual(same('frontend')(before))
    const [backend] = after.filter((p) => p.component === 'backend' && !p.deleting)
    expect(backend!.image).toContain(tag)
    const health = await kubectl(
      env,
      'exec',
      '-n',
      NS,
      backend!.name,
      '--',
      'python',
      '-c',
      'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8000/health").read().decode())',
    )
    expect(JSON.parse(health)).toEqual({ status: 'ok', e2e: marker })
  })

  it('HPA_ENABLED=true: setup enables metrics-server; CPU load on the backend scales it out, and back in when it stops', async () => {
    // the chart's autoscaling knobs, as a user would set them in a values file; a short scale-down window (the
    // default waits 5 minutes) and one replica at rest keep the case bounded
    const values = path.join(kit.dir, 'hpa.yaml')
    writeFileSync(
      values,
      JSON.stringify({
        backend: {
          autoscaling: {
            minReplicas: 1,
            maxReplicas: 3,
            targetCPUUtilizationPercentage: 50,
            behavior: {
              scaleUp: { stabilizationWindowSeconds: 0 },
              scaleDown: {
                stabilizationWindowSeconds: 0,
                policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
              },
            },
          },
        },
        frontend: { autoscaling: { minReplicas: 1, maxReplicas: 2 } },
      }),
    )
    Object.assign(env, { HPA_ENABLED: 'true', HELM_VALUES_FILES: values })
    const r = await runKit(env, ['up', '--', '--no-journey'])
    expect(r.code, tail(r)).toBe(0)
    const addons = JSON.parse(await minikube('addons', 'list', '-o', 'json')) as Record<string, { Status: string }>
    expect(addons['metrics-server']?.Status).toBe('enabled')
    // minikube's addon samples every 60 s; every 15 s keeps the case bounded (the HPA's own logic is unchanged)
    const ms = JSON.parse(await kubectl(env, 'get', 'deployment', '-n', 'kube-system', 'metrics-server', '-o', 'json'))
    const args = (ms.spec.template.spec.containers[0].args as string[]).map((a) =>
      a.startsWith('--metric-resolution=') ? '--metric-resolution=15s' : a,
    )
    expect(args).toContain('--metric-resolution=15s')
    await kubectl(
      env,
      'patch',
      'deployment',
      '-n',
      'kube-system',
      'metrics-server',
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/args', value: args }]),
    )
    await kubectl(env, 'rollout', 'status', '-n', 'kube-system', 'deployment/metrics-server', '--timeout=180s')

    type Hpa = {
      status: {
        currentReplicas?: number
        desiredReplicas?: number
        currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[]
      }
    }
    const hpa = async () =>
      JSON.parse(await kubectl(env, 'get', 'hpa', '-n', NS, `${RELEASE}-backend`, '-o', 'json')) as Hpa
    const utilization = (h: Hpa) => h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization
    await waitFor('metrics for the backend HPA', async () => utilization(await hpa()) !== undefined, 240_000, 5000)
    expect((await hpa()).status.currentReplicas).toBe(1)

    // load: a busy loop in the backend pod (bounded, so nothing outlives the case)
    const [pod] = (await pods(env)).filter((p) => p.component === 'backend' && !p.deleting)
    const burn = 'import time\nend = time.time() + 300  # burn-cpu\nwhile time.time() < end: pass'
    const load = run('kubectl', ['exec', '-n', NS, pod!.name, '--', 'python', '-c', burn], {
      env,
      timeout: 330_000,
    }).catch(() => {})
    const t0 = Date.now()
    await waitFor('the backend scaled out', async () => ((await hpa()).status.currentReplicas ?? 0) > 1, 300_000, 5000)
    const outMs = Date.now() - t0
    const stop =
      'import os, signal\nfor p in filter(str.isdigit, os.listdir("/proc")):\n  try:\n    if b"burn-cpu" in open(f"/proc/{p}/cmdline", "rb").read() and int(p) != os.getpid(): os.kill(int(p), signal.SIGKILL)\n  except OSError: pass'
    await kubectl(env, 'exec', '-n', NS, pod!.name, '--', 'python', '-c', stop)
    await load
    const t1 = Date.now()
    await waitFor(
      'the backend back to one replica',
      async () => (await hpa()).status.currentReplicas === 1,
      300_000,
      5000,
    )
    console.info(
      `HPA: scaled out ${Math.round(outMs / 1000)} s after the load began, back in ${Math.round((Date.now() - t1) / 1000)} s after it stopped`,
    )
    Object.assign(env, { HPA_ENABLED: 'false', HELM_VALUES_FILES: '' })
  })

  it('an external PostgreSQL that requires TLS: DATABASE_URL with sslmode, migrations run against it, the app works, down --purge-data leaves it alone', async () => {
    // a clean slate: the in-cluster database and its volume go first
    const down = await runKit(env, ['down', '--', '--purge-data', '--yes'])
    expect(down.code, tail(down)).toBe(0)

    // a PostgreSQL outside the cluster (a container on minikube's network, as a managed database is outside it),
    // accepting only TLS connections (hostssl), with a certificate from a CA of its own
    const dir = mkdtempSync(path.join(tmpdir(), 'todo-e2e-extdb-'))
    const ip = (await minikube('ip')).trim().replace(/\.\d+$/, '.200')
    const password = randomBytes(18).toString('hex')
    const sh = (cmd: string, args: string[]) => run(cmd, args, { cwd: dir, encoding: 'utf8' })
    await sh('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=todo-e2e database CA',
    ])
    await sh('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/CN=${ip}`,
    ])
    writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=IP:${ip}\n`)
    await sh('openssl', [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ])
    writeFileSync(path.join(dir, 'pg_hba.conf'), 'local all all trust\nhostssl all all all scram-sha-256\n')
    // the server runs as uid 999: it must reach the directory, and only it may read the key
    await sh('chmod', ['0755', dir])
    await sh('chmod', ['0600', 'server.key'])
    await sh('chown', ['999:999', 'server.key', 'server.crt', 'pg_hba.conf'])
    const db = `${profile}-external-db`
    await run('docker', ['rm', '-f', db]).catch(() => {})
    await run('docker', [
      'run',
      '-d',
      '--name',
      db,
      '--network',
      profile,
      '--ip',
      ip,
      '-e',
      'POSTGRES_USER=todo',
      '-e',
      `POSTGRES_PASSWORD=${password}`,
      '-v',
      `${dir}:/certs:ro`,
      'local/postgres:17',
      'postgres',
      '-c',
      'ssl=on',
      '-c',
      'ssl_cert_file=/certs/server.crt',
      '-c',
      'ssl_key_file=/certs/server.key',
      '-c',
      'hba_file=/certs/pg_hba.conf',
    ])
    const psql = (sql: string) =>
      run('docker', ['exec', db, 'psql', '-U', 'todo', '-d', 'todo', '-tAc', sql], { encoding: 'utf8' }).then((r) =>
        r.stdout.trim(),
      )
    try {
      await waitFor('the external database up', async () => (await psql('select 1')) === '1', 60_000)
      // TLS is required: a plain connection over the network is refused
      const plain = await run('docker', [
        'exec',
        '-e',
        `PGPASSWORD=${password}`,
        db,
        'psql',
        `host=${ip} user=todo dbname=todo sslmode=disable`,
        '-c',
        'select 1',
      ]).then(
        () => 'connected',
        (e: { stderr?: string }) => e.stderr ?? '',
      )
      expect(plain).toMatch(/no pg_hba\.conf entry .*no encryption/)

      // the user's side: the CA in a ConfigMap, mounted into both apps (and so their migration steps), and the URL
      await kubectl(
        env,
        'create',
        'configmap',
        'todo-db-ca',
        '-n',
        NS,
        `--from-file=ca.crt=${path.join(dir, 'ca.crt')}`,
      )
      const values = path.join(kit.dir, 'external-db.yaml')
      const mount = {
        extraVolumes: [{ name: 'db-ca', configMap: { name: 'todo-db-ca' } }],
        extraVolumeMounts: [{ name: 'db-ca', mountPath: '/etc/db-ca', readOnly: true }],
      }
      writeFileSync(values, JSON.stringify({ frontend: mount, backend: mount }))
      const envFile = path.join(kit.dir, 'external.env')
      writeFileSync(
        envFile,
        `BETTER_AUTH_SECRET=${kit.secrets.BETTER_AUTH_SECRET}\nDATABASE_URL=postgresql://todo:${password}@${ip}:5432/todo?sslmode=verify-full&sslrootcert=/etc/db-ca/ca.crt\n`,
        { mode: 0o600 },
      )
      const r = await runKit(env, ['up', '--', '--no-journey'], { KIT_ENV_FILE: envFile, HELM_VALUES_FILES: values })
      expect(r.code, tail(r)).toBe(0)
      expect(r.stderr + r.stdout).not.toContain(password)
      // no in-cluster database; the schema is in the external one (both migration steps ran against it)
      expect((await kubectl(env, 'get', 'statefulset,pvc', '-n', NS, '-o', 'name')).trim()).toBe('')
      expect(
        await psql("select count(*) from information_schema.tables where table_name in ('task', 'user', 'session')"),
      ).toBe('3')

      const ingressIp = (await minikube('ip')).trim()
      const user = new AppClient(`http://${ingressIp}`, { host: 'todo.local' })
      await user.signUp(`ext-${Date.now()}@example.com`, 'external-db-password-123456')
      const created = await user.api('POST', '/tasks', { title: 'kept outside the cluster' })
      expect(created.status, created.text).toBe(201)
      expect(await psql('select title from task')).toContain('kept outside the cluster')
      // every connection the apps hold is encrypted
      expect(
        Number(
          await psql(
            "select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = 'todo' and a.client_addr is not null and not s.ssl",
          ),
        ),
      ).toBe(0)
      expect(
        Number(
          await psql(
            "select count(*) from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = 'todo' and s.ssl",
          ),
        ),
      ).toBeGreaterThan(0)

      const purge = await runKit(env, ['down', '--', '--purge-data', '--yes'], {
        KIT_ENV_FILE: envFile,
        HELM_VALUES_FILES: values,
      })
      expect(purge.code, tail(purge)).toBe(0)
      expect((await kubectl(env, 'get', 'deployments', '-n', NS, '-o', 'name')).trim()).toBe('')
      expect(await psql('select title from task')).toContain('kept outside the cluster')
    } finally {
      await run('docker', ['rm', '-f', db]).catch(() => {})
      await kubectl(env, 'delete', 'configmap', 'todo-db-ca', '-n', NS, '--ignore-not-found').catch(() => {})
    }
  })

  it('cleanup --stop-minikube stops the profile; setup starts it again with its state', async () => {
    const r = await runKit(env, ['cleanup', '--', '--stop-minikube'])
    expect(r.code, tail(r)).toBe(0)
    expect(await status()).toMatchObject({ Host: 'Stopped' })
    expect(await nodeContainers()).toMatch(new RegExp(`^${profile} exited$`))

    const s = await runKit(env, ['setup'])
    expect(s.code, tail(s)).toBe(0)
    expect(await status()).toMatchObject({ Host: 'Running', APIServer: 'Running' })
    // the cluster's state survived the stop: the namespace is still there
    expect((await kubectl(env, 'get', 'namespace', NS, '-o', 'name')).trim()).toBe(`namespace/${NS}`)
  })

  it('cleanup --delete-minikube --yes deletes the profile: no node container, no profile', async () => {
    const r = await runKit(env, ['cleanup', '--', '--delete-minikube', '--yes'])
    expect(r.code, tail(r)).toBe(0)
    await waitFor('the node container gone', async () => (await nodeContainers()) === '', 60_000)
    const profiles = JSON.parse(
      (
        await run('minikube', ['profile', 'list', '-o', 'json'], { env, encoding: 'utf8' }).catch(
          (e: { stdout?: string }) => ({ stdout: e.stdout ?? '{}' }),
        )
      ).stdout || '{}',
    ) as { valid?: { Name: string }[] }
    expect((profiles.valid ?? []).map((p) => p.Name)).not.toContain(profile)
  })
})
