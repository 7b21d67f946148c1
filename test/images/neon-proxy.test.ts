// The neon-proxy image against a real PostgreSQL and Neon's real driver: an app on @neondatabase/serverless reaches
// the in-cluster database unchanged. What runs is what the chart renders with postgresql.neonProxy on: its certificate
// and CA, its pg_hba.conf and PostgreSQL's arguments, the sidecar's uid and read-only root, the proxy sharing the
// database's network namespace (127.0.0.1, as in one pod), and a client that reaches both by the host name the
// frontend's DATABASE_URL names, trusting only the chart's CA (NODE_EXTRA_CA_CERTS).
//
// The client is a real Node process with the driver and drizzle-orm at the versions real apps lock (installed from
// npm into a temp dir): neon() over HTTPS (parameters, a batch in a transaction, an error with its code, Drizzle's
// neon-http with Better Auth's user table and its types) and Pool over the WebSocket with the driver's default
// pipelined password connect; a wrong password gets PostgreSQL's own error on both paths.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $ } from 'zx'
import { helmBinaries } from '../support/k8s-tools.ts'
import { assertDockerReady, build, cleanup, imageSizeMb, nodeImage, root, runId, tagFor } from './lib/docker.ts'

// what real apps on the driver lock (package-lock.json / pnpm-lock.yaml): neon() + drizzle-orm/neon-http
const DRIVER = '@neondatabase/serverless@1.0.2'
const DRIZZLE = 'drizzle-orm@0.45.1'
// the last 0.x and the newest release at the time of writing: the same protocol across the versions apps lock
const OTHER_DRIVERS = ['0.10.4', '1.2.0']
const pgImage = process.env.POSTGRES_TEST_IMAGE ?? 'local/postgres:17'
const PASSWORD = 'neonProxyTest0123456789'
const proxyDir = join(root, 'frontend-docker/neon-proxy')

const work = mkdtempSync(join(tmpdir(), 'images-neon-proxy-'))
const net = `neon-proxy-test-${runId}`
const containers: string[] = []
const docker = (args: string[]) => $({ quiet: true, nothrow: true })`docker ${args}`

type K8s = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> }
let rendered: K8s[]
let proxyImage: string
let pg: string
let databaseUrl: string

/** the chart with the sidecar on, as deploy installs it */
function render(): K8s[] {
  const helm = helmBinaries().at(-1)!.bin
  const set = [
    'frontend.image.tag=h-0123456789ab',
    'backend.image.tag=h-ba9876543210',
    'postgresql.neonProxy.enabled=true',
    'postgresql.neonProxy.image.tag=h-0a1b2c3d4e5f',
  ].flatMap((s) => ['--set', s])
  const out = execFileSync(helm, ['template', 'todo', join(root, 'helm/todo-chatbot'), '-n', 'todo', ...set], {
    encoding: 'utf8',
  })
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8s | null)
    .filter((o): o is K8s => o !== null)
}
const find = (kind: string, name: string) => rendered.find((o) => o.kind === kind && o.metadata.name === name)!

async function waitFor(what: string, check: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 500))
  }
  const logs = await Promise.all(
    containers.map(async (c) => {
      const r = await docker(['logs', '--tail', '30', c])
      return r.stdout + r.stderr
    }),
  )
  throw new Error(`${what} not ready within ${ms / 1000}s; logs:\n${logs.join('\n---\n')}`)
}

/** a file for --env-file: values stay out of argv */
function envFile(name: string, env: Record<string, string>): string {
  const file = join(work, name)
  writeFileSync(
    file,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  )
  return file
}

beforeAll(async () => {
  await assertDockerReady([nodeImage, pgImage])
  rendered = render()
  const npm = (async () => {
    const install = (dir: string, pkgs: string[]) =>
      $({ quiet: true, cwd: work })`npm install --no-audit --no-fund --prefix ${dir} ${pkgs}`
    await install('client', [DRIVER, DRIZZLE])
    for (const v of OTHER_DRIVERS) await install(`client-${v}`, [`@neondatabase/serverless@${v}`])
  })()
  const b = await build({
    dockerfile: join(proxyDir, 'Dockerfile'),
    context: proxyDir,
    tag: tagFor('neon-proxy'),
    args: { NODE_IMAGE: nodeImage },
  })
  proxyImage = b.tag
  await npm

  // the chart's Secret and ConfigMap, mounted as the pod mounts them
  const tls = find('Secret', 'todo-postgresql-neon-proxy-tls').data!
  for (const dir of ['tls', 'hba']) mkdirSync(join(work, dir), { mode: 0o755 })
  for (const k of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(work, 'tls', k), Buffer.from(tls[k]!, 'base64'))
  // a Secret volume's files are 0644 unless defaultMode says otherwise (the chart: 0444); the proxy is uid 10001
  for (const k of ['ca.crt', 'tls.crt', 'tls.key']) chmodSync(join(work, 'tls', k), 0o444)
  const sts = find('StatefulSet', 'todo-postgresql').spec.template.spec
  const hbaMount = sts.containers[0].volumeMounts.find((m: any) => m.name === 'neon-proxy-hba')
  const hbaCm = sts.volumes.find((v: any) => v.name === 'neon-proxy-hba').configMap.name
  writeFileSync(join(work, 'hba', 'pg_hba.conf'), find('ConfigMap', hbaCm).data!['pg_hba.conf']!, { mode: 0o644 })

  // the frontend's DATABASE_URL as the chart writes it: its host is the name the driver dials
  const fe = find('Deployment', 'todo-frontend').spec.template.spec.containers[0]
  const template = fe.env.find((e: any) => e.name === 'DATABASE_URL').value as string
  databaseUrl = template.replace('$(POSTGRES_USER)', 'todo').replace('$(POSTGRES_PASSWORD)', PASSWORD)
  const host = new URL(databaseUrl).hostname

  await docker(['network', 'create', net])
  const pgEnv = envFile('pg.env', { POSTGRES_USER: 'todo', POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: 'todo' })
  const started = await docker([
    'run', '-d', '--network', net, '--network-alias', host, '--env-file', pgEnv,
    '-v', `${join(work, 'hba')}:${hbaMount.mountPath}:ro`,
    pgImage, ...sts.containers[0].args,
  ]) // prettier-ignore
  if (started.exitCode !== 0) throw new Error(`docker run ${pgImage} failed: ${started.stderr}`)
  pg = started.stdout.trim()
  containers.push(pg)
  // 127.0.0.1 answers only once initdb's socket-only server has made way for the real one
  await waitFor('PostgreSQL', async () => (await docker(['exec', pg, 'pg_isready', '-qh', '127.0.0.1'])).exitCode === 0)

  // the sidecar as the pod runs it: the database's network namespace, its uid, read-only, no capabilities
  const sidecar = sts.containers.find((c: any) => c.name === 'neon-proxy')
  const sc = sidecar.securityContext
  const proxy = await docker([
    'run', '-d', '--network', `container:${pg}`, '--read-only', '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges', `--user=${sc.runAsUser}:${sc.runAsGroup}`,
    ...sidecar.env.flatMap((e: any) => ['-e', `${e.name}=${e.value}`]),
    '-v', `${join(work, 'tls')}:/tls:ro`, proxyImage,
  ]) // prettier-ignore
  if (proxy.exitCode !== 0) throw new Error(`docker run ${proxyImage} failed: ${proxy.stderr}`)
  containers.push(proxy.stdout.trim())
  // its readiness probe: GET /healthz over TLS
  const probe =
    "require('https').get({ host: '127.0.0.1', port: 443, path: '/healthz', rejectUnauthorized: false }, " +
    '(r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))'
  const proxyId = containers.at(-1)!
  await waitFor('neon-proxy', async () => (await docker(['exec', proxyId, 'node', '-e', probe])).exitCode === 0)
}, 900_000)

afterAll(async () => {
  for (const c of containers) await docker(['rm', '-f', c])
  await docker(['network', 'rm', net])
  await cleanup()
  rmSync(work, { recursive: true, force: true })
})

/** runs `script` (ESM) with the driver in a Node container on the network; returns what it printed as JSON */
async function client(script: string, url = databaseUrl, dir = 'client'): Promise<any> {
  const file = join(work, dir, `run-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, script)
  const env = envFile('client.env', { DATABASE_URL: url, NODE_EXTRA_CA_CERTS: '/tls/ca.crt' })
  const r = await docker([
    'run', '--rm', '--network', net, '--env-file', env, '--read-only', '--user', '10001:10001',
    '-v', `${join(work, dir)}:/client:ro`, '-v', `${join(work, 'tls', 'ca.crt')}:/tls/ca.crt:ro`,
    '-w', '/client', nodeImage, 'node', `/client/${file.split('/').at(-1)}`,
  ]) // prettier-ignore
  if (r.exitCode !== 0) throw new Error(`client failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

const wrongPassword = () => {
  const u = new URL(databaseUrl)
  u.password = 'not-the-password-0123'
  return u.href
}

describe('neon-proxy image', () => {
  it('runs as uid 10001, small over its base', async () => {
    const user = (await $({ quiet: true })`docker image inspect -f {{.Config.User}} ${proxyImage}`).stdout.trim()
    expect(user).toBe('10001:10001')
    expect((await imageSizeMb(proxyImage)) - (await imageSizeMb(nodeImage))).toBeLessThan(10)
  })

  it("PostgreSQL reads the chart's pg_hba.conf: password on loopback (the proxy), scram-sha-256 for the rest", async () => {
    const sql =
      "SELECT type, array_to_string(database, ','), coalesce(address, ''), auth_method, coalesce(error, '') " +
      'FROM pg_hba_file_rules ORDER BY rule_number'
    const r = await docker(['exec', pg, 'psql', '-U', 'todo', '-d', 'todo', '-AtF', ' ', '-c', sql])
    expect(r.exitCode, r.stderr).toBe(0)
    // the last column is PostgreSQL's parse error for the line: none
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.trimEnd()),
    ).toEqual([
      'local all  trust',
      'local replication  trust',
      'host all 127.0.0.1 password',
      'host all ::1 password',
      'host replication 127.0.0.1 password',
      'host replication ::1 password',
      'host all all scram-sha-256',
    ])
  })

  it('HTTP (neon()): parameters, text values parsed by type, errors with their PostgreSQL code', async () => {
    const out = await client(`
      import { neon } from '@neondatabase/serverless'
      const sql = neon(process.env.DATABASE_URL)
      const [row] = await sql\`SELECT \${41}::int + 1 AS n, \${"it's"}::text AS s, now() AS t, true AS b,
        '{"a":[1,2]}'::jsonb AS j, NULL::text AS z, 12345678901234::bigint AS big, ARRAY[1,2]::int[] AS arr\`
      const arrays = await sql.query('SELECT $1::text AS a, $2::int AS b', ['x', 7], { arrayMode: true })
      const full = await sql.query('SELECT 1 AS one', [], { fullResults: true })
      let error
      try { await sql\`SELECT * FROM no_such_table\` } catch (e) { error = { name: e.name, code: e.code, message: e.message } }
      console.log(JSON.stringify({ row: { ...row, tIsDate: row.t instanceof Date }, arrays, full: { command: full.command, rowCount: full.rowCount, fields: full.fields.map((f) => f.name) }, error }))
    `)
    expect(out.row).toMatchObject({ n: 42, s: "it's", b: true, j: { a: [1, 2] }, z: null, arr: [1, 2], tIsDate: true })
    // bigint stays text, as with node-postgres
    expect(out.row.big).toBe('12345678901234')
    expect(Date.now() - Date.parse(out.row.t)).toBeLessThan(120_000)
    expect(out.arrays).toEqual([['x', 7]])
    expect(out.full).toEqual({ command: 'SELECT', rowCount: 1, fields: ['one'] })
    expect(out.error).toEqual({
      name: 'NeonDbError',
      code: '42P01',
      message: 'relation "no_such_table" does not exist',
    })
  })

  it('HTTP transactions: a batch commits together; a failing one rolls back and names the constraint', async () => {
    const out = await client(`
      import { neon } from '@neondatabase/serverless'
      const sql = neon(process.env.DATABASE_URL)
      await sql\`CREATE TABLE IF NOT EXISTS tx_items (id int PRIMARY KEY)\`
      const ok = await sql.transaction((tx) => [tx\`INSERT INTO tx_items VALUES (1), (2)\`, tx\`SELECT count(*)::int AS c FROM tx_items\`],
        { isolationLevel: 'Serializable' })
      let error
      try {
        await sql.transaction([sql\`INSERT INTO tx_items VALUES (3)\`, sql\`INSERT INTO tx_items VALUES (1)\`])
      } catch (e) { error = { code: e.code, constraint: e.constraint, detail: e.detail } }
      const ro = await sql.transaction([sql\`SELECT 1 AS x\`], { readOnly: true, deferrable: true, isolationLevel: 'Serializable' })
      const [after] = await sql\`SELECT count(*)::int AS c FROM tx_items\`
      console.log(JSON.stringify({ ok, error, ro, after }))
    `)
    expect(out.ok).toEqual([[], [{ c: 2 }]])
    expect(out.error).toEqual({ code: '23505', constraint: 'tx_items_pkey', detail: 'Key (id)=(1) already exists.' })
    expect(out.ro).toEqual([[{ x: 1 }]])
    // the 3 of the failed batch is gone with it
    expect(out.after).toEqual({ c: 2 })
  })

  it("Drizzle's neon-http with Better Auth's user table: insert, select back with its types, a batch", async () => {
    const out = await client(`
      import { neon } from '@neondatabase/serverless'
      import { drizzle } from 'drizzle-orm/neon-http'
      import { pgTable, text, boolean, timestamp, jsonb } from 'drizzle-orm/pg-core'
      import { eq, sql as q } from 'drizzle-orm'
      const user = pgTable('user', {
        id: text('id').primaryKey(), name: text('name').notNull(), email: text('email').notNull().unique(),
        emailVerified: boolean('emailVerified').notNull(), image: text('image'),
        createdAt: timestamp('createdAt').notNull(), updatedAt: timestamp('updatedAt').notNull(), meta: jsonb('meta'),
      })
      const db = drizzle(neon(process.env.DATABASE_URL))
      await db.execute(q\`CREATE TABLE IF NOT EXISTS "user" (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
        "emailVerified" boolean NOT NULL, image text, "createdAt" timestamp NOT NULL, "updatedAt" timestamp NOT NULL, meta jsonb)\`)
      const at = new Date('2026-01-02T03:04:05.678Z')
      const [inserted] = await db.insert(user).values({ id: 'u1', name: 'Ada', email: 'ada@example.com', emailVerified: false,
        image: null, createdAt: at, updatedAt: at, meta: { plan: 'free', tags: ['a'] } }).returning()
      const [back] = await db.select().from(user).where(eq(user.email, 'ada@example.com'))
      const [updated, count] = await db.batch([
        db.update(user).set({ emailVerified: true }).where(eq(user.id, 'u1')).returning({ v: user.emailVerified }),
        db.select({ n: q\`count(*)::int\` }).from(user),
      ])
      const show = (r) => ({ ...r, createdAtIsDate: r.createdAt instanceof Date, createdAt: r.createdAt.toISOString() })
      console.log(JSON.stringify({ inserted: show(inserted), back: show(back), updated, count }))
    `)
    const want = {
      id: 'u1',
      name: 'Ada',
      email: 'ada@example.com',
      emailVerified: false,
      image: null,
      createdAt: '2026-01-02T03:04:05.678Z',
      createdAtIsDate: true,
      meta: { plan: 'free', tags: ['a'] },
    }
    expect(out.inserted).toMatchObject(want)
    expect(out.back).toMatchObject(want)
    expect(out.updated).toEqual([{ v: true }])
    expect(out.count).toEqual([{ n: 1 }])
  })

  it("WebSocket (Pool): the driver's default pipelined password connect, queries and a transaction", async () => {
    const out = await client(`
      import { Pool, neonConfig } from '@neondatabase/serverless'
      const pool = new Pool({ connectionString: process.env.DATABASE_URL })
      const { rows } = await pool.query('SELECT $1::text AS v, $2::int AS n, now() AS t', ['hello', 5])
      const c = await pool.connect()
      await c.query('BEGIN')
      await c.query('CREATE TABLE IF NOT EXISTS ws_items (v text)')
      await c.query('INSERT INTO ws_items VALUES ($1)', ['kept'])
      await c.query('COMMIT')
      await c.query('BEGIN')
      await c.query('INSERT INTO ws_items VALUES ($1)', ['dropped'])
      await c.query('ROLLBACK')
      const items = (await c.query('SELECT v FROM ws_items')).rows
      const user = (await c.query('SELECT email, "emailVerified" FROM "user"')).rows
      // more than the proxy buffers at once: both directions pause and resume
      const big = (await c.query("SELECT repeat('x', 2000) AS s FROM generate_series(1, 4000)")).rows
      const echo = (await c.query('SELECT length($1::text) AS n', ['y'.repeat(3_000_000)])).rows[0].n
      c.release()
      await pool.end()
      console.log(JSON.stringify({ pipeline: neonConfig.pipelineConnect, row: { v: rows[0].v, n: rows[0].n }, items, user, big: big.length, bigOk: big.every((r) => r.s.length === 2000), echo }))
    `)
    expect(out.pipeline).toBe('password')
    expect(out.row).toEqual({ v: 'hello', n: 5 })
    expect(out.items).toEqual([{ v: 'kept' }])
    // what the HTTP test wrote: one database behind both paths
    expect(out.user).toEqual([{ email: 'ada@example.com', emailVerified: true }])
    expect({ big: out.big, bigOk: out.bigOk, echo: out.echo }).toEqual({ big: 4000, bigOk: true, echo: 3_000_000 })
  })

  it("a wrong password gets PostgreSQL's own error on both paths", async () => {
    const out = await client(
      `
      import { neon, Pool } from '@neondatabase/serverless'
      const grab = async (f) => { try { await f(); return null } catch (e) { return { code: e.code, message: e.message } } }
      const http = await grab(() => neon(process.env.DATABASE_URL)\`SELECT 1\`)
      const pool = new Pool({ connectionString: process.env.DATABASE_URL })
      const ws = await grab(() => pool.query('SELECT 1'))
      await pool.end().catch(() => {})
      console.log(JSON.stringify({ http, ws }))
    `,
      wrongPassword(),
    )
    const refused = { code: '28P01', message: 'password authentication failed for user "todo"' }
    expect(out).toEqual({ http: refused, ws: refused })
  })
})

describe.each(OTHER_DRIVERS)('@neondatabase/serverless %s', (version) => {
  it('HTTP and WebSocket queries, and a wrong password refused on both', async () => {
    const script = `
      import { neon, Pool } from '@neondatabase/serverless'
      const grab = async (f) => { try { return { ok: await f() } } catch (e) { return { code: e.code, message: e.message } } }
      const http = await grab(async () => (await neon(process.env.DATABASE_URL)\`SELECT \${2}::int * 21 AS n, true AS b\`)[0])
      const pool = new Pool({ connectionString: process.env.DATABASE_URL })
      const ws = await grab(async () => (await pool.query('SELECT $1::text AS v', ['w'])).rows[0])
      await pool.end().catch(() => {})
      console.log(JSON.stringify({ http, ws }))
    `
    expect(await client(script, databaseUrl, `client-${version}`)).toEqual({
      http: { ok: { n: 42, b: true } },
      ws: { ok: { v: 'w' } },
    })
    const refused = { code: '28P01', message: 'password authentication failed for user "todo"' }
    expect(await client(script, wrongPassword(), `client-${version}`)).toEqual({ http: refused, ws: refused })
  })
})
