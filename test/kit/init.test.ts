// init as a user runs it: a subprocess against the fixture apps, in a throwaway project. What it writes (.env keys, a
// values file with no secret values that the real chart renders), what a dry run and a second run leave alone, and
// how it ends when it cannot decide something (exit 0, the key named) or cannot find the app (exit 1).
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { helmBinaries } from '../support/k8s-tools.ts'
import { project, root, SECRETS } from './harness.ts'

const apps = path.join(import.meta.dirname, 'fixtures', 'apps')
const fixtureRel = (name: string): string => path.relative(root, path.join(apps, name))
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = { kind: string; metadata: { name: string }; spec?: any }

function render(helm: string, valuesFile: string): Obj[] {
  const out = execFileSync(
    helm,
    [
      'template',
      'todo',
      path.join(root, 'helm/todo-chatbot'),
      '-n',
      'todo',
      '-f',
      valuesFile,
      '--set',
      'frontend.image.tag=h-000000000001',
      '--set',
      'backend.image.tag=h-000000000002',
    ],
    { encoding: 'utf8' },
  )
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Obj)
    .filter(Boolean)
}
const container = (objs: Obj[], name: string) =>
  objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec.template.spec.containers[0]

describe('init', { timeout: 120_000 }, () => {
  it('plain-main: adds the keys it decided to .env, keeps the rest, writes a values file the chart renders', async () => {
    const p = project()
    const before = readFileSync(path.join(p.dir, '.env'), 'utf8')
    const r = await p.run('init', ['--app', path.join(apps, 'plain-main')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.calls).toEqual([])
    // decisions with their evidence, open items with their key, what needs support
    expect(r.stdout).toMatch(/Python version: 3\.11 +→ \.env PYTHON_IMAGE +\(backend\/\.python-version:1\)/)
    expect(r.stdout).toMatch(/ASGI app: main:app +→ backend\.extraEnv APP_MODULE +\(backend\/main\.py:16\)/)
    expect(r.stdout).toMatch(/readiness path: \/status\/ready .*\(backend\/main\.py:25\)/)
    expect(r.stdout).toMatch(
      /using \/openapi\.json → set backend\.probes\.liveness\.path and backend\.probes\.startup\.path/,
    )
    expect(r.stdout).toMatch(/writable file: \/app\/app\.log .*→ backend\.writableFiles +\(backend\/main\.py:12\)/)
    expect(r.stdout).toMatch(
      /browser → backend directly at NEXT_PUBLIC_API_URL .*: \/api to the backend, \/api\/auth still to the frontend {2}→ ingress\.backendPaths .*\(frontend\/components\/TaskList\.tsx:5\)/,
    )
    expect(r.stdout).toMatch(
      /backend +route prefixes the browser is sent to: \/api {2}→ ingress\.backendPaths {2}\(backend\/main\.py:32\)/,
    )
    expect(r.stdout).not.toMatch(/needs chart support/)
    // no migrate.mjs: Better Auth's own CLI against the file that calls betterAuth(), where it does
    expect(r.stdout).toMatch(
      /auth migration: no migrate\.mjs: Better Auth's CLI creates the tables its config needs \(`better-auth migrate` on lib\/auth\.ts\).* +→ \.env FRONTEND_AUTH_MIGRATE +\(frontend\/lib\/auth\.ts:5, frontend\/package\.json:\d+\)/,
    )
    expect(r.stdout).not.toMatch(/Better Auth tables/)
    // the build-time value it derives from PUBLIC_URL goes to .env, where build passes it as NEXT_PUBLIC_ENV
    expect(r.stdout).toMatch(
      /build-time NEXT_PUBLIC_API_URL .*: http:\/\/todo\.local +→ \.env NEXT_PUBLIC_API_URL \(the build arg NEXT_PUBLIC_ENV\) +\(frontend\/components\/TaskList\.tsx:5\)/,
    )

    const env = readFileSync(path.join(p.dir, '.env'), 'utf8')
    expect(env.startsWith(before)).toBe(true)
    const valuesFile = path.join(p.dir, '.kit', 'app-values.yaml')
    expect(env.slice(before.length)).toBe(
      [
        '',
        `# added by init for ${path.join(apps, 'plain-main')}`,
        `FRONTEND_DIR=${fixtureRel('plain-main/frontend')}`,
        `BACKEND_DIR=${fixtureRel('plain-main/backend')}`,
        'PYTHON_IMAGE=python:3.11-slim',
        'FRONTEND_AUTH_MIGRATE=better-auth:lib/auth.ts',
        'NEXT_PUBLIC_API_URL=http://todo.local',
        `HELM_VALUES_FILES=${valuesFile}`,
        '',
      ].join('\n'),
    )

    const text = readFileSync(valuesFile, 'utf8')
    for (const s of Object.values(SECRETS)) expect(text).not.toContain(s)
    const values = parse(text) as {
      backend: {
        extraEnv: EnvVar[]
        probes: Record<'startup' | 'liveness' | 'readiness', { path: string }>
        migrateCommand: string[]
        containerPort: number
        writableFiles: string[]
      }
      frontend: { probes: Record<'startup' | 'liveness' | 'readiness', { path: string }>; migrateCommand: string[] }
      ingress: { backendPaths: string[]; frontendPaths: string[] }
    }
    expect(values.backend.extraEnv).toEqual([
      { name: 'APP_MODULE', value: 'main:app' },
      { name: 'BETTER_AUTH_SECRET', valueFrom: { secretKeyRef: { name: 'todo-secrets', key: 'BETTER_AUTH_SECRET' } } },
      { name: 'CORS_ORIGINS', value: '["http://todo.local"]' },
    ])
    expect(values.backend.probes.readiness.path).toBe('/status/ready')
    expect(values.backend.migrateCommand).toEqual([])
    expect(values.backend.containerPort).toBe(8080)
    expect(values.frontend.probes.liveness.path).toBe('/')
    expect(values.backend.writableFiles).toEqual(['/app/app.log'])
    expect(values.ingress).toEqual({ backendPaths: ['/api'], frontendPaths: ['/api/auth'] })

    for (const { bin } of helmBinaries()) {
      const objs = render(bin, valuesFile)
      const be = container(objs, 'todo-backend')
      expect(be.env).toEqual(
        expect.arrayContaining([
          { name: 'APP_MODULE', value: 'main:app' },
          { name: 'CORS_ORIGINS', value: '["http://todo.local"]' },
        ]),
      )
      expect(be.readinessProbe.httpGet.path).toBe('/status/ready')
      expect(be.ports[0].containerPort).toBe(8080)
      // app.log in the working directory: one writable file, the rest of /app stays read-only
      expect(be.volumeMounts).toContainEqual({ name: 'writable-files', mountPath: '/app/app.log', subPath: 'file-0' })
      const beSpec = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'todo-backend')!.spec.template.spec
      // create_all while it starts: it waits for the database first, then its writable file is made
      expect(beSpec.initContainers.map((c: { name: string }) => c.name)).toEqual([
        'wait-for-database',
        expect.any(String),
      ])
      expect(beSpec.initContainers[1].command).toEqual(['touch', '/writable-files/file-0'])
      // the browser's calls to /api reach the backend; Better Auth's /api/auth stays with the frontend
      const ingress = objs.find((o) => o.kind === 'Ingress')!
      expect(
        ingress.spec.rules[0].http.paths.map(
          (p: { path: string; backend: { service: { name: string } } }) => `${p.path} ${p.backend.service.name}`,
        ),
      ).toEqual(['/api/auth todo-frontend', '/api todo-backend', '/ todo-frontend'])
      // tables come from create_all and there is no migrate.mjs: no migration Job at all
      expect(objs.some((o) => o.kind === 'Job')).toBe(false)
    }
  })

  it('uv-alembic: proxy variable, alembic, a secret under another name, a secret the kit lacks; the chart renders it', async () => {
    const p = project()
    const r = await p.run('init', ['--app', path.join(apps, 'uv-alembic')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(
      /secret: GEMINI_API_KEY from Secret todo-secrets key GEMINI_API_KEY .*→ backend\.secretEnv GEMINI_API_KEY +\(backend\/app\/core\/config\.py:5\)/,
    )
    expect(r.stdout).not.toMatch(/needs (chart|kit) support: secret/)
    // decided, not left open: BETTER_AUTH_URL only builds the JWKS URL, so it is the frontend Service in the cluster
    expect(r.stdout).toMatch(
      /JWKS base URL: the frontend Service .*\$\(FRONTEND_SERVICE_URL\) +→ backend\.extraEnv BETTER_AUTH_URL +\(backend\/app\/auth\.py:6\)/,
    )
    expect(r.stdout).not.toMatch(/set backend\.extraEnv BETTER_AUTH_URL/)
    const env = readFileSync(path.join(p.dir, '.env'), 'utf8')
    expect(env).toMatch(/^PYTHON_IMAGE=python:3\.12-slim$/m)
    expect(env).toMatch(/^NODE_IMAGE=node:22-slim$/m)
    // the secret the kit's own keys lack: named in APP_SECRETS, its value left to the user
    expect(env).toMatch(/^APP_SECRETS=GEMINI_API_KEY$/m)
    expect(env).not.toMatch(/^GEMINI_API_KEY=/m)
    expect(r.stdout).toMatch(
      /secret GEMINI_API_KEY \(APP_SECRETS names it.*; left unset → set GEMINI_API_KEY=<the value> in \.env +\(backend\/app\/core\/config\.py:5\)/,
    )
    expect(r.stdout).toContain('add APP_SECRETS=GEMINI_API_KEY')
    const valuesFile = path.join(p.dir, '.kit', 'app-values.yaml')
    const text = readFileSync(valuesFile, 'utf8')
    // the secret is referenced by name; its value stays in .env and the Secret
    expect((parse(text) as { backend: { secretEnv: unknown } }).backend.secretEnv).toEqual([{ name: 'GEMINI_API_KEY' }])
    for (const { bin } of helmBinaries()) {
      const objs = render(bin, valuesFile)
      const be = container(objs, 'todo-backend')
      expect(be.env).toEqual(
        expect.arrayContaining([
          { name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'todo-secrets', key: 'BETTER_AUTH_SECRET' } } },
          { name: 'LOG_FILE', value: '/tmp/api.log' },
          {
            name: 'GEMINI_API_KEY',
            valueFrom: { secretKeyRef: { name: 'todo-secrets', key: 'GEMINI_API_KEY', optional: false } },
          },
        ]),
      )
      expect(be.livenessProbe.httpGet.path).toBe('/health')
      expect(be.readinessProbe.httpGet.path).toBe('/ready')
      const fe = container(objs, 'todo-frontend')
      expect(fe.env).toEqual(expect.arrayContaining([{ name: 'API_BASE_URL', value: '$(BACKEND_URL)' }]))
      const job = objs.find((o) => o.kind === 'Job')!
      expect(JSON.stringify(job.spec.template.spec)).toContain('["alembic","upgrade","head"]')
    }
  })

  it('--dry-run prints what it would write and writes nothing; a second run changes nothing', async () => {
    const p = project()
    const envPath = path.join(p.dir, '.env')
    const before = readFileSync(envPath, 'utf8')
    const dry = await p.run('init', ['--app', path.join(apps, 'uv-alembic'), '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('would add PYTHON_IMAGE=python:3.12-slim')
    expect(dry.stdout).toMatch(/app-values\.yaml: would write:\n {2}# Chart values/)
    expect(readFileSync(envPath, 'utf8')).toBe(before)
    expect(existsSync(path.join(p.dir, '.kit'))).toBe(false)

    expect((await p.run('init', ['--app', path.join(apps, 'uv-alembic')])).code).toBe(0)
    const valuesFile = path.join(p.dir, '.kit', 'app-values.yaml')
    const [env1, values1] = [readFileSync(envPath, 'utf8'), readFileSync(valuesFile, 'utf8')]
    const again = await p.run('init', ['--app', path.join(apps, 'uv-alembic')])
    expect(again.code).toBe(0)
    expect(readFileSync(envPath, 'utf8')).toBe(env1)
    expect(readFileSync(valuesFile, 'utf8')).toBe(values1)
    expect(again.stdout).toMatch(/PYTHON_IMAGE=python:3\.12-slim \(already set\)/)
    expect(again.stdout).toMatch(/app-values\.yaml: unchanged/)
  })

  it('never overwrites a value already in .env, nor a values file the user edited', async () => {
    const p = project()
    const envPath = path.join(p.dir, '.env')
    writeFileSync(
      envPath,
      readFileSync(envPath, 'utf8') + '# my pin\nPYTHON_IMAGE=python:3.13-slim\nHELM_VALUES_FILES=values-extra.yaml\n',
    )
    const r = await p.run('init', ['--app', path.join(apps, 'plain-main')])
    expect(r.code, r.stderr).toBe(0)
    const env = readFileSync(envPath, 'utf8')
    expect(env).toContain('# my pin\nPYTHON_IMAGE=python:3.13-slim\nHELM_VALUES_FILES=values-extra.yaml\n')
    expect(env).not.toMatch(/python:3\.11/)
    expect(r.stdout).toContain('kept PYTHON_IMAGE=python:3.13-slim (init found python:3.11-slim)')
    expect(r.stdout).toMatch(/kept HELM_VALUES_FILES=values-extra\.yaml; add \S+app-values\.yaml to it/)

    const valuesFile = path.join(p.dir, '.kit', 'app-values.yaml')
    writeFileSync(valuesFile, readFileSync(valuesFile, 'utf8').replace('path: /status/ready', 'path: /status/live'))
    const edited = readFileSync(valuesFile, 'utf8')
    const again = await p.run('init', ['--app', path.join(apps, 'plain-main')])
    expect(again.code).toBe(0)
    expect(readFileSync(valuesFile, 'utf8')).toBe(edited)
    expect(again.stdout).toContain('you edited it, so init leaves it')
  })

  it("no Python pin: the newest Python the pins have wheels for, from PyPI's data in the cache, with why", async () => {
    // plain-main without its .python-version, pinning pydantic 2.5.0 (its pydantic-core 2.14.1 has no cp313 wheel)
    const app = mkdtempSync(path.join(os.tmpdir(), 'kit-app-'))
    cpSync(path.join(apps, 'plain-main'), app, { recursive: true })
    rmSync(path.join(app, 'backend/.python-version'))
    writeFileSync(path.join(app, 'backend/requirements.txt'), 'fastapi==0.115.0\npydantic==2.5.0\n')
    const p = project()
    cpSync(path.join(import.meta.dirname, 'fixtures/pypi'), path.join(p.dir, '.cache/todo-k8s-kit/pypi'), {
      recursive: true,
    })
    const r = await p.run('init', ['--app', app])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(
      'backend  Python version: 3.12: pydantic-core 2.14.1 (required by pydantic==2.5.0) has no wheel for Python 3.13 ' +
        `(linux ${os.arch() === 'arm64' ? 'aarch64' : 'x86_64'})  → .env PYTHON_IMAGE  (backend/requirements.txt:2)`,
    )
    expect(r.stdout).toContain('add PYTHON_IMAGE=python:3.12-slim')
    expect(readFileSync(path.join(p.dir, '.env'), 'utf8')).toMatch(/^PYTHON_IMAGE=python:3\.12-slim$/m)

    // PyPI not reachable (the harness points it at a closed port) and nothing cached: the default, and one line why
    const q = project()
    const off = await q.run('init', ['--app', app])
    expect(off.code, off.stderr).toBe(0)
    expect(off.stdout).toContain(
      "Python version: the pins' wheels were not checked (127.0.0.1:47 not reachable (ECONNREFUSED)); the default python:3.13-slim stays",
    )
    expect(off.stdout).toContain('using python:3.13-slim → set PYTHON_IMAGE in .env')
    expect(readFileSync(path.join(q.dir, '.env'), 'utf8')).not.toMatch(/^PYTHON_IMAGE=/m)
  })

  it('what it cannot decide: exit 0 and the exact key to set', async () => {
    const p = project()
    const r = await p.run('init', ['--app', path.join(apps, 'undecided')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(
      'ASGI app: 2 FastAPI apps (admin:admin_app, main:app); using app.main:app (the image default) → set backend.extraEnv APP_MODULE (one of the modules listed)  (services/api/admin.py:3, services/api/main.py:9)',
    )
    expect(r.stdout).toContain('→ set backend.probes.readiness.path')
    expect(r.stdout).toContain('→ set PYTHON_IMAGE in .env')
    expect(r.stdout).toMatch(
      /REDIS_URL \(read with no default\); left unset → set backend\.extraEnv REDIS_URL +\(services\/api\/main\.py:7\)/,
    )
    expect(r.stdout).toMatch(/database URL scheme: postgresql\+asyncpg:\/\/ .*→ backend\.databaseUrlScheme/)
    expect(r.stdout).not.toMatch(/needs chart support/)
    expect(r.stdout).toMatch(/needs kit support: next\.config rewrites/)
    const valuesFile = path.join(p.dir, '.kit', 'app-values.yaml')
    const values = parse(readFileSync(valuesFile, 'utf8')) as {
      backend: { extraEnv: EnvVar[]; databaseUrlScheme: string }
    }
    expect(values.backend.extraEnv.map((e) => e.name)).not.toContain('APP_MODULE')
    expect(values.backend.databaseUrlScheme).toBe('postgresql+asyncpg')
    for (const { bin } of helmBinaries()) {
      const url = container(render(bin, valuesFile), 'todo-backend').env.find((e: EnvVar) => e.name === 'DATABASE_URL')
      expect(url.value).toBe('postgresql+asyncpg://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo')
    }
  })

  it('stops with exit 1 when it cannot find or read the app', async () => {
    const p = project()
    const help = await p.run('init', ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--app <value> +the app repository/)
    const none = await p.run('init', [])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('✖ init needs the app: --app <repository>, or both --frontend and --backend')
    const feOnly = mkdtempSync(path.join(os.tmpdir(), 'kit-app-'))
    writeFileSync(path.join(feOnly, 'package.json'), '{"dependencies":{"next":"15.0.0"}}')
    const r = await p.run('init', ['--app', feOnly])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/✖ no FastAPI backend .* under /)
    expect(r.stderr).toMatch(/fix: npx zx scripts\/init\.ts --app \S+ --backend <dir>/)
    expect(existsSync(path.join(p.dir, '.kit'))).toBe(false)
  })

  it('--env-path to a file not there yet: a dry run plans without it, init writes it (its generated secrets, its keys); deploy would refuse it', async () => {
    const p = project()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-init-env-'))
    const envFile = path.join(dir, 'app.env')
    try {
      // a dry run first: it plans with that file (empty) and writes nothing, neither the file nor the values
      const dry = await p.run('init', ['--app', path.join(apps, 'plain-main'), '--env-path', envFile, '--dry-run'])
      expect(dry.code, dry.stderr).toBe(0)
      expect(dry.stdout).toMatch(/would add BACKEND_DIR=/)
      expect(existsSync(envFile)).toBe(false)
      expect(existsSync(path.join(dir, '.kit'))).toBe(false)
      const r = await p.run('init', ['--app', path.join(apps, 'plain-main'), '--env-path', envFile])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout + r.stderr).toContain(
        `created ${envFile} with generated BETTER_AUTH_SECRET and POSTGRES_PASSWORD`,
      )
      const text = readFileSync(envFile, 'utf8')
      expect(text).toMatch(/^BETTER_AUTH_SECRET=\S{20,}$/m)
      expect(text).toMatch(/^BACKEND_DIR=/m)
      expect(existsSync(path.join(dir, '.kit', 'app-values.yaml'))).toBe(true)
      const other = await p.run('deploy', ['--dry-run', '--env-path', path.join(dir, 'typo.env')])
      expect(other.code).toBe(1)
      expect(other.stderr).toMatch(/KIT_ENV_FILE=.* expected an existing \.env file/)
      expect(existsSync(path.join(dir, 'typo.env'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
