// What init decides from the findings (plan.ts, pure) and how it adds keys to a .env (env-file.ts's withEnvKeys).
import { describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { renderEnvFile, withEnvKeys } from '../../scripts/lib/env-file.ts'
import { inspectApp } from '../../scripts/lib/app/inspect.ts'
import { planInit, type PlanContext } from '../../scripts/lib/app/plan.ts'
import { planContext, tree } from './app-tree.ts'
import { where } from '../../scripts/lib/app/source.ts'

const apps = path.join(import.meta.dirname, 'fixtures', 'apps')
const ctx = planContext
const planFor = (fe: string, be: string) =>
  planInit(inspectApp({ frontend: path.join(apps, fe), backend: path.join(apps, be) }), ctx)

describe('withEnvKeys', () => {
  it('fills a first-run .env in place: the commented default becomes the value, under its doc line', () => {
    const text = renderEnvFile({ BETTER_AUTH_SECRET: 'x'.repeat(40), POSTGRES_PASSWORD: 'y'.repeat(24) })
    const r = withEnvKeys(text, { PYTHON_IMAGE: 'python:3.11-slim', BACKEND_DIR: '../my app/backend' }, 'added by init')
    expect(r.added).toEqual(['PYTHON_IMAGE', 'BACKEND_DIR'])
    expect(r.text).toMatch(/# backend base image \(build arg PYTHON_IMAGE\)\nPYTHON_IMAGE=python:3\.11-slim\n/)
    expect(r.text).toContain("BACKEND_DIR='../my app/backend'")
    expect(r.text).not.toContain('# added by init')
    expect(r.text.split('\n').length).toBe(text.split('\n').length)
  })
  it('keeps every value that is set, fills an empty one, appends the rest; comments and order stay', () => {
    const text = '# mine\nPYTHON_IMAGE=python:3.12-slim # pinned\nHELM_VALUES_FILES=\nBETTER_AUTH_SECRET=abc\n'
    const r = withEnvKeys(
      text,
      { PYTHON_IMAGE: 'python:3.11-slim', HELM_VALUES_FILES: '.kit/app-values.yaml', NODE_IMAGE: 'node:22-slim' },
      'added by init',
    )
    expect(r.kept).toEqual({ PYTHON_IMAGE: 'python:3.12-slim' })
    expect(r.text).toBe(
      '# mine\nPYTHON_IMAGE=python:3.12-slim # pinned\nHELM_VALUES_FILES=.kit/app-values.yaml\nBETTER_AUTH_SECRET=abc\n\n# added by init\nNODE_IMAGE=node:22-slim\n',
    )
    expect(withEnvKeys(r.text, { NODE_IMAGE: 'node:22-slim' }, 'x').text).toBe(r.text)
  })
})

describe('planInit', () => {
  it('an optional secret gets no secretEnv entry (the key would be missing from the Secret and the pod would not start)', () => {
    const f = inspectApp({
      frontend: path.join(apps, 'uv-alembic/frontend'),
      backend: path.join(apps, 'uv-alembic/backend'),
    })
    const from = [{ file: 'app/core/config.py', line: 9, text: 'os.getenv("SENTRY_TOKEN", "")' }]
    f.backend.env.push({
      name: 'SENTRY_TOKEN',
      kind: 'secret',
      format: 'text',
      optional: true,
      client: false,
      from,
    } as (typeof f.backend.env)[number])
    const plan = planInit(f, ctx)
    expect((plan.values.backend.secretEnv ?? []).map((s) => s.name)).not.toContain('SENTRY_TOKEN')
    expect(plan.notes.find((n) => n.text.startsWith('SENTRY_TOKEN'))?.text).toContain('APP_SECRETS=SENTRY_TOKEN')
    // a required one still gets its reference
    expect((plan.values.backend.secretEnv ?? []).map((s) => s.name)).toContain('GEMINI_API_KEY')
  })
  it('puts no secret value in the values file: secrets are Secret references, URLs $(VAR) expansions', () => {
    for (const [fe, be] of [
      ['plain-main/frontend', 'plain-main/backend'],
      ['uv-alembic/frontend', 'uv-alembic/backend'],
      ['undecided/web', 'undecided/services/api'],
    ]) {
      const plan = planFor(fe!, be!)
      for (const e of [...plan.values.backend.extraEnv, ...plan.values.frontend.extraEnv]) {
        if (/SECRET|KEY|TOKEN|PASSWORD/.test(e.name))
          expect(e, e.name).toEqual({
            name: e.name,
            valueFrom: { secretKeyRef: { name: 'my-secrets', key: expect.any(String) } },
          })
      }
    }
  })
  it('values that follow PUBLIC_URL: a JSON list for a pydantic list field, a plain origin for a comma list', () => {
    expect(planFor('plain-main/frontend', 'plain-main/backend').values.backend.extraEnv).toContainEqual({
      name: 'CORS_ORIGINS',
      value: '["https://todo.example.com"]',
    })
    expect(planFor('uv-alembic/frontend', 'uv-alembic/backend').values.backend.extraEnv).toContainEqual({
      name: 'ALLOWED_ORIGINS',
      value: 'https://todo.example.com',
    })
  })
  it('a JWKS base URL used only to fetch keys is the frontend Service in the cluster, not the browser-facing URL', () => {
    const plan = planFor('uv-alembic/frontend', 'uv-alembic/backend')
    expect(plan.values.backend.extraEnv).toContainEqual({ name: 'BETTER_AUTH_URL', value: '$(FRONTEND_SERVICE_URL)' })
    expect(plan.values.backend.extraEnv).not.toContainEqual(
      expect.objectContaining({ value: 'https://todo.example.com', name: 'BETTER_AUTH_URL' }),
    )
    expect(plan.open.map((o) => o.what)).not.toContainEqual(expect.stringMatching(/^JWKS/))
    const setting = plan.settings.find((x) => x.what.startsWith('JWKS base URL'))
    expect(setting?.from.map(where)).toEqual(['app/auth.py:6'])
  })
  it('what the chart can express goes in the values; the rest is reported as needing support, never dropped', () => {
    const plan = planFor('undecided/web', 'undecided/services/api')
    expect(plan.values.backend.databaseUrlScheme).toBe('postgresql+asyncpg')
    expect(plan.settings).toContainEqual(
      expect.objectContaining({ component: 'backend', what: 'database URL scheme', to: 'backend.databaseUrlScheme' }),
    )
    expect(plan.support.map((s) => [s.component, s.needs, s.what.split(' (')[0]])).toEqual([
      [
        'frontend',
        'kit',
        'next.config rewrites to ${process.env.BACKEND_URL}/api/:path*: rewrites are fixed by `next build`, so the destination must be the in-cluster backend at build time',
      ],
    ])
    // no size budget for an app of the user's (validate reports its size; *_SIZE_BUDGET_MB holds it to one)
    expect(plan.env).toEqual({})
  })
  it('a frontend that reads no database URL is shut out of the database by the NetworkPolicies; one that does keeps the chart default', () => {
    const none = planFor('undecided/web', 'undecided/services/api')
    expect(none.values.networkPolicy).toEqual({ frontendToDatabase: false })
    expect(none.settings).toContainEqual(
      expect.objectContaining({
        component: 'frontend',
        what: 'database access',
        to: 'networkPolicy.frontendToDatabase',
      }),
    )
    const reads = planFor('plain-main/frontend', 'plain-main/backend')
    expect(reads.values.networkPolicy).toBeUndefined()
    // tables from create_all while it starts: the backend waits for the database; a migration Job makes that moot
    expect(reads.values.backend.waitForDatabase).toBe(true)
    expect(planFor('uv-alembic/frontend', 'uv-alembic/backend').values.backend.waitForDatabase).toBeUndefined()
    const setting = reads.settings.find((s) => s.what === 'database access')
    expect(setting?.value).toContain('reads DATABASE_URL')
    expect(setting?.from.length).toBeGreaterThan(0)
  })
  it('a file written in the working directory: backend.writableFiles, not a writable /app', () => {
    const plan = planFor('plain-main/frontend', 'plain-main/backend')
    expect(plan.values.backend.writableFiles).toEqual(['/app/app.log'])
    expect(plan.values.backend.writableDirs).toBeUndefined()
    expect(plan.support.filter((s) => s.needs === 'chart')).toEqual([])
  })
  it("a browser that calls the backend directly: the backend's route prefix routed to it, Better Auth kept on the frontend", () => {
    const plan = planFor('plain-main/frontend', 'plain-main/backend')
    // /api from @app.get("/api/{user_id}/tasks"); /status/ready is a probe, not a browser call
    expect(plan.values.ingress).toEqual({ backendPaths: ['/api'], frontendPaths: ['/api/auth'] })
    expect(plan.settings).toContainEqual(
      expect.objectContaining({
        component: 'frontend',
        to: expect.stringMatching(/^ingress\.backendPaths /),
        value: '/api to the backend, /api/auth still to the frontend',
      }),
    )
    expect(plan.open.map((o) => o.key)).not.toContainEqual(expect.stringMatching(/^ingress\.backendPaths /))
    // the build arg is no longer a gap: build passes every NEXT_PUBLIC_* key from .env (init writes it there)
    expect(plan.support).toEqual([])
    expect(planFor('uv-alembic/frontend', 'uv-alembic/backend').values.ingress).toBeUndefined()
  })
  it("secrets the app reads beyond the chart's keys: <component>.secretEnv by name, no value", () => {
    const plan = planFor('uv-alembic/frontend', 'uv-alembic/backend')
    expect(plan.values.backend.secretEnv).toEqual([{ name: 'GEMINI_API_KEY' }])
    expect(plan.values.frontend.secretEnv).toBeUndefined()
    expect(plan.support).toEqual([])
  })
})

describe('the frontend migration for Better Auth without migrate.mjs', () => {
  // a copy of plain-main's frontend with its auth config moved, rewritten or removed
  const variant = (edit: (dir: string) => void) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-auth-'))
    cpSync(path.join(apps, 'plain-main/frontend'), dir, { recursive: true })
    edit(dir)
    try {
      return planInit(inspectApp({ frontend: dir, backend: path.join(apps, 'plain-main/backend') }), ctx)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const authConfig = readFileSync(path.join(apps, 'plain-main/frontend/lib/auth.ts'), 'utf8')

  it("Better Auth's own CLI against the file that calls betterAuth(): .env FRONTEND_AUTH_MIGRATE, with file:line", () => {
    const plan = planFor('plain-main/frontend', 'plain-main/backend')
    expect(plan.env.FRONTEND_AUTH_MIGRATE).toBe('better-auth:lib/auth.ts')
    const s = plan.settings.find((x) => x.what === 'auth migration')!
    expect(s.to).toBe('.env FRONTEND_AUTH_MIGRATE')
    expect(s.from.map(where)).toEqual(['lib/auth.ts:5', 'package.json:5'])
    expect(plan.open.filter((o) => /Better Auth tables/.test(o.what))).toEqual([])
    // the values file still skips the step: deploy gives the chart the migration image and command
    expect(plan.values.frontend.migrateCommand).toEqual([])
  })

  it('an app with migrate.mjs keeps it: no FRONTEND_AUTH_MIGRATE', () => {
    const plan = planFor('uv-alembic/frontend', 'uv-alembic/backend')
    expect(plan.env.FRONTEND_AUTH_MIGRATE).toBeUndefined()
  })

  it('the CLI default paths first (src/lib/auth.ts over another file calling betterAuth())', () => {
    const plan = variant((d) => {
      rmSync(path.join(d, 'lib/auth.ts'))
      mkdirSync(path.join(d, 'src/lib'), { recursive: true })
      writeFileSync(path.join(d, 'src/lib/auth.ts'), authConfig)
      writeFileSync(path.join(d, 'lib/a-copy.ts'), authConfig)
    })
    expect(plan.env.FRONTEND_AUTH_MIGRATE).toBe('better-auth:src/lib/auth.ts')
  })

  it('a config that does not export the instance, or none at all: an open item naming what to do', () => {
    const unexported = variant((d) =>
      writeFileSync(path.join(d, 'lib/auth.ts'), authConfig.replace('export const auth', 'const auth')),
    )
    expect(unexported.env.FRONTEND_AUTH_MIGRATE).toBeUndefined()
    const o = unexported.open.find((x) => /Better Auth tables/.test(x.what))!
    expect(o.what).toMatch(/lib\/auth\.ts calls betterAuth\(\) without exporting the instance as `auth`/)
    expect(o.key).toMatch(/^export const auth = betterAuth\(\.\.\.\) in lib\/auth\.ts/)
    expect(o.from.map(where)).toEqual(['lib/auth.ts:5'])

    const none = variant((d) => rmSync(path.join(d, 'lib/auth.ts')))
    expect(none.env.FRONTEND_AUTH_MIGRATE).toBeUndefined()
    expect(none.open.find((x) => /Better Auth tables/.test(x.what))!.key).toMatch(
      /^FRONTEND_AUTH_MIGRATE=better-auth:<the file that calls betterAuth\(\)>/,
    )
  })

  it("Drizzle's adapter: FRONTEND_AUTH_MIGRATE, the migration naming the Drizzle schema's tables; Prisma's: an open item (Better Auth's migrate would create nothing)", () => {
    const withAdapter = (orm: string) =>
      variant((d) =>
        writeFileSync(
          path.join(d, 'lib/auth.ts'),
          authConfig.replace(/database:[^\n]*\n/, `database: ${orm}Adapter(db, { provider: "pg" }),\n`),
        ),
      )
    const drizzle = withAdapter('drizzle')
    expect(drizzle.env.FRONTEND_AUTH_MIGRATE).toBe('better-auth:lib/auth.ts')
    expect(drizzle.open.find((x) => /Better Auth tables/.test(x.what))).toBeUndefined()
    expect(drizzle.settings.find((x) => x.what === 'auth migration')!.value).toContain(
      "a pg Pool in place of the Drizzle adapter and the table and column names of the app's Drizzle schema",
    )

    const prisma = withAdapter('prisma')
    expect(prisma.env.FRONTEND_AUTH_MIGRATE).toBeUndefined()
    const o = prisma.open.find((x) => /Better Auth tables/.test(x.what))!
    expect(o.what).toContain(
      "lib/auth.ts hands Better Auth the Prisma adapter, for which Better Auth's own migrate creates nothing",
    )
    expect(o.key).toContain('prisma migrate deploy')
    expect(o.from.map(where)).toEqual(['lib/auth.ts:5'])
  })

  it("Neon's serverless driver in the auth config: still recorded, the migration reaches the database through neon-proxy", () => {
    const plan = variant((d) => {
      writeFileSync(
        path.join(d, 'lib/auth.ts'),
        `import { Pool } from '@neondatabase/serverless'\n${authConfig.replace('import { Pool } from "pg";\n', '')}`,
      )
      const pkg = JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8'))
      pkg.dependencies['@neondatabase/serverless'] = '^1.0.2'
      writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg, null, 2))
    })
    expect(plan.env.FRONTEND_AUTH_MIGRATE).toBe('better-auth:lib/auth.ts')
    expect(plan.env.FRONTEND_DB_DRIVER).toBe('neon')
    expect(plan.support).toEqual([])
  })
})

describe("Neon's serverless driver (@neondatabase/serverless): FRONTEND_DB_DRIVER=neon", () => {
  const neonPlan = (fe: string) => planFor(fe, 'plain-main/backend')
  const decision = (plan: ReturnType<typeof neonPlan>) => plan.settings.find((s) => s.what === 'database driver')

  it('HTTP mode (neon() + drizzle-orm/neon-http, Better Auth on Drizzle): the file that builds the database', () => {
    const plan = neonPlan('neon-http/frontend')
    expect(plan.env.FRONTEND_DB_DRIVER).toBe('neon')
    const s = decision(plan)!
    expect(s.to).toBe('.env FRONTEND_DB_DRIVER')
    // a route and a loose script at the top import it too: the module the auth config imports is the one named
    expect(s.value).toMatch(/^neon: lib\/db-drizzle\.ts uses @neondatabase\/serverless \(neon\(\): HTTPS \/sql\)/)
    expect(s.from.map(where)).toEqual(['lib/db-drizzle.ts:2', 'package.json:6'])
    expect(plan.support).toEqual([])
  })

  it('WebSocket mode (new Pool() in the auth config): the auth config, named first', () => {
    const plan = neonPlan('neon-pool/frontend')
    expect(plan.env.FRONTEND_DB_DRIVER).toBe('neon')
    expect(decision(plan)!.value).toMatch(
      /^neon: lib\/auth\.ts uses @neondatabase\/serverless \(Pool\/Client: WebSocket \/v2\)/,
    )
    expect(decision(plan)!.from.map(where)).toEqual(['lib/auth.ts:3', 'package.json:6'])
  })

  it('pg apps, and a dependency that no source file imports, decide nothing (the default pg stays)', () => {
    expect(planFor('plain-main/frontend', 'plain-main/backend').env.FRONTEND_DB_DRIVER).toBeUndefined()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-neon-'))
    try {
      cpSync(path.join(apps, 'neon-http/frontend'), dir, { recursive: true })
      rmSync(path.join(dir, 'lib/db-drizzle.ts'))
      rmSync(path.join(dir, 'test-neon-only.mjs'))
      rmSync(path.join(dir, 'app/api'), { recursive: true })
      writeFileSync(path.join(dir, 'lib/auth.ts'), 'export const auth = betterAuth({})\n')
      const plan = planInit(inspectApp({ frontend: dir, backend: path.join(apps, 'plain-main/backend') }), ctx)
      expect(plan.env.FRONTEND_DB_DRIVER).toBeUndefined()
      expect(decision(plan)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a backend without a lock file: BACKEND_DEPS_AS_OF from its last commit', () => {
  const plan = (backendChanged: PlanContext['backendChanged']) =>
    planInit(
      inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: path.join(apps, 'plain-main/backend') }),
      { ...ctx, backendChanged },
    )

  it('in git: the time of the commit, so the image installs what the ranges allowed then', () => {
    const p = plan({ time: '2026-01-02T13:45:00Z', commit: 'abc1234' })
    expect(p.env.BACKEND_DEPS_AS_OF).toBe('2026-01-02T13:45:00Z')
    const s = p.settings.find((x) => x.what === 'dependency versions')!
    expect(s.value).toContain('at 2026-01-02T13:45:00Z, when the backend last changed (commit abc1234)')
    expect(s.to).toBe('.env BACKEND_DEPS_AS_OF')
    expect(s.from.map(where)).toEqual(['requirements.txt:1'])
  })

  it("outside git: nothing written, a note naming the key (today's versions otherwise)", () => {
    const p = plan(null)
    expect(p.env.BACKEND_DEPS_AS_OF).toBeUndefined()
    expect(p.notes.find((n) => /BACKEND_DEPS_AS_OF/.test(n.text))!.text).toMatch(
      /^no lock file and no git history to date the app: .*set BACKEND_DEPS_AS_OF=<the date it last worked/,
    )
  })

  it('a uv.lock pins every version: no date asked for', () => {
    const p = planInit(
      inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: path.join(apps, 'uv-alembic/backend') }),
      { ...ctx, backendChanged: { time: '2026-01-02T13:45:00Z', commit: 'abc1234' } },
    )
    expect(p.env.BACKEND_DEPS_AS_OF).toBeUndefined()
    expect(p.notes.some((n) => /BACKEND_DEPS_AS_OF/.test(n.text))).toBe(false)
  })
})

describe('a backend with requirements.txt and a pyproject [project] list: BACKEND_DEPS_FROM', () => {
  const plan = (files: Record<string, string>) =>
    planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: tree(files) }), ctx)
  const main = 'from fastapi import FastAPI\napp = FastAPI()\n'
  const project = (deps: string) => `[project]\nname = "api"\nversion = "0.1.0"\ndependencies = [${deps}]\n`

  it('pyproject.toml declaring all requirements.txt does and more: written to .env, with the packages that decided it', () => {
    const p = plan({
      'main.py': main,
      'requirements.txt': 'fastapi\n',
      'pyproject.toml': project('"fastapi", "openai-agents"'),
    })
    expect(p.env.BACKEND_DEPS_FROM).toBe('pyproject')
    const s = p.settings.find((x) => x.what === 'dependencies')!
    expect(s.value).toBe(
      'pip install . (pyproject [project]), not requirements.txt: pyproject.toml declares every package requirements.txt does, and openai-agents besides',
    )
    expect(s.to).toBe('.env BACKEND_DEPS_FROM')
  })

  it('undecided: requirements.txt is used and the key to set is named', () => {
    const p = plan({
      'main.py': main,
      'requirements.txt': 'fastapi\nbcrypt\n',
      'pyproject.toml': project('"fastapi", "mcp"'),
    })
    expect(p.env.BACKEND_DEPS_FROM).toBeUndefined()
    const o = p.open.find((x) => x.what.startsWith('dependencies'))!
    expect(o.used).toBe('requirements.txt')
    expect(o.key).toBe("BACKEND_DEPS_FROM=pyproject in .env to install pyproject.toml's list")
    expect(o.what).toContain('pyproject.toml only: mcp; requirements.txt only: bcrypt')
  })

  it("a uv.lock without a package pyproject.toml declares (nida1khurram's lacks mcp): pyproject.toml's list", () => {
    const lock = (names: string[]) =>
      'version = 1\n' + names.map((n) => `\n[[package]]\nname = "${n}"\nversion = "1.0.0"\n`).join('')
    const stale = plan({
      'main.py': main,
      'pyproject.toml': project('"fastapi", "mcp>=1.0"'),
      'uv.lock': lock(['fastapi']),
    })
    expect(stale.env.BACKEND_DEPS_FROM).toBe('pyproject')
    const s = stale.settings.find((x) => x.what === 'dependencies')!
    expect(s.value).toBe(
      'pip install . (pyproject [project]), not uv.lock: uv.lock is out of date with pyproject.toml (mcp not in it), so uv sync --locked would stop; to use the lock again: uv lock, and commit it',
    )
    expect(s.from.map(where)).toEqual(['uv.lock:1', 'pyproject.toml:1'])
    // no lock pins the list now: the date to install as of, as for any app without one
    expect(stale.notes.find((n) => /BACKEND_DEPS_AS_OF/.test(n.text))!.text).toMatch(
      /^uv.lock left aside and no git history/,
    )

    const current = plan({
      'main.py': main,
      'pyproject.toml': project('"fastapi", "mcp>=1.0"'),
      'uv.lock': lock(['fastapi', 'mcp']),
    })
    expect(current.env.BACKEND_DEPS_FROM).toBeUndefined()
    expect(current.settings.find((x) => x.what === 'dependencies')!.value).toBe('uv (uv sync --locked)')
  })
})

describe('a server the backend expects beside it on localhost (billy-pk: its MCP server, a process of its own)', () => {
  const plan = (files: Record<string, string>) =>
    planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: tree(files) }), ctx)
  const base = {
    'main.py':
      'from fastapi import FastAPI\napp = FastAPI()\nif __name__ == "__main__":\n    uvicorn.run(app, port=8000)\n',
    'requirements.txt': 'fastapi\n',
    'config.py': 'def mcp_url():\n    return os.getenv("MCP_SERVER_URL") or "http://localhost:8001"\n',
    'tools/start_server_8001.py': 'if __name__ == "__main__":\n    uvicorn.run(app, host="127.0.0.1", port=8001)\n',
  }

  it('the one script that takes its port from PORT runs in the backend pod (backend.companions)', () => {
    const p = plan({
      ...base,
      'tools/mcp_standalone.py':
        'def main():\n    port = int(os.environ.get("PORT", 8001))\n    uvicorn.run(app, host="0.0.0.0", port=port)\n',
    })
    expect(p.values.backend.companions).toEqual([
      { name: 'mcp-standalone', command: ['python', 'tools/mcp_standalone.py'], port: 8001 },
    ])
    const s = p.settings.find((x) => x.what === 'server beside it')!
    expect(s.to).toBe('backend.companions')
    expect(s.value).toMatch(
      /^http:\/\/localhost:8001, .*python tools\/mcp_standalone\.py \(of tools\/mcp_standalone\.py, tools\/start_server_8001\.py: the one that takes its port from PORT\)/,
    )
    expect(p.open.some((o) => /a server at/.test(o.what))).toBe(false)
  })

  it('several and none takes PORT: an open item naming them and the key', () => {
    const p = plan({ ...base, 'tools/other_8001.py': 'uvicorn.run(app, port=8001)\n' })
    expect(p.values.backend.companions).toBeUndefined()
    const o = p.open.find((x) => /a server at http:\/\/localhost:8001/.test(x.what))!
    expect(o.what).toContain('tools/other_8001.py or tools/start_server_8001.py serves that port')
    expect(o.key).toMatch(/^backend\.companions \[\{name, command: \[python, <one of them>\], port: 8001\}\]/)
  })
})

describe('a backend that requires OPENAI_API_KEY', () => {
  it('init says it does not start without one (the chart leaves an empty key out)', () => {
    const backend = tree({
      'requirements.txt': 'fastapi\npydantic-settings\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
      'config.py': 'class Settings(BaseSettings):\n    openai_api_key: str = Field(\n        ...,\n    )\n',
    })
    const p = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend }), ctx)
    const note = p.notes.find((n) => n.text.startsWith('OPENAI_API_KEY'))!
    expect(note.text).toMatch(/read with no default, so the app does not start without it: set OPENAI_API_KEY in \.env/)
    expect(note.from.map(where)).toEqual(['config.py:2'])
  })
})

describe("a backend started with its source dir on the import path (the app's own PYTHONPATH=src)", () => {
  it('PYTHONPATH=/app/src beside APP_MODULE named from there, with the start command that says so', () => {
    for (const [start, line] of [
      ['Procfile', 'web: PYTHONPATH=src uvicorn main:app --host 0.0.0.0 --port $PORT\n'],
      ['start.sh', '#!/bin/sh\nexec uvicorn main:app --app-dir src --port 8000\n'],
    ] as const) {
      const backend = tree({
        'requirements.txt': 'fastapi\nuvicorn\n',
        'src/main.py': 'from fastapi import FastAPI\nfrom db import engine\napp = FastAPI()\n',
        'src/db.py': 'engine = None\n',
        [start]: line,
      })
      const p = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend }), ctx)
      expect(p.values.backend.extraEnv.filter((e) => ['PYTHONPATH', 'APP_MODULE'].includes(e.name))).toEqual([
        { name: 'PYTHONPATH', value: '/app/src' },
        { name: 'APP_MODULE', value: 'main:app' },
      ])
      const s = p.settings.find((x) => x.to === 'backend.extraEnv PYTHONPATH')!
      expect(s.from.map(where)).toEqual([`${start}:${start === 'Procfile' ? 1 : 2}`])
    }
  })
})

describe('a src/ layout the image installs as a package (a [build-system] in pyproject.toml)', () => {
  it('PYTHONPATH=/app/src when the packaging lists the package without its subpackages: the sources win over that copy', () => {
    // sammar-13: packages = ["app"] installs app/ without its subpackages, and `import app.main` then fails
    const backend = tree({
      'pyproject.toml':
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "todo"\n' +
        'version = "1"\ndependencies = ["fastapi"]\n\n[tool.setuptools]\npackage-dir = {"" = "src"}\npackages = ["app"]\n',
      'src/app/__init__.py': 'from .main import app\n',
      'src/app/main.py': 'from fastapi import FastAPI\nfrom .api.v1 import auth\napp = FastAPI()\n',
      'src/app/api/__init__.py': '',
      'src/app/api/v1/__init__.py': '',
    })
    const p = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend }), ctx)
    expect(p.values.backend.extraEnv.filter((e) => ['PYTHONPATH', 'APP_MODULE'].includes(e.name))).toEqual([
      { name: 'PYTHONPATH', value: '/app/src' },
      { name: 'APP_MODULE', value: 'app.main:app' },
    ])
    expect(p.settings.find((x) => x.to === 'backend.extraEnv PYTHONPATH')!.from.map(where)).toEqual([
      'pyproject.toml:12',
    ])
    // not when the packaging installs it whole (src/ on the path would put an app's own src/mcp before the mcp
    // package: shazilk-dev), nor for a src/ layout without setuptools' list
    for (const packages of [
      'packages = ["app", "app.api", "app.api.v1"]',
      '[tool.setuptools.packages.find]\nwhere = ["src"]',
    ]) {
      const whole = tree({
        'pyproject.toml': `[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "t"\n\n[tool.setuptools]\npackage-dir = {"" = "src"}\n${packages}\n`,
        'src/app/__init__.py': '',
        'src/app/main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
        'src/app/api/__init__.py': '',
        'src/app/api/v1/__init__.py': '',
      })
      const q = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: whole }), ctx)
      expect(
        q.values.backend.extraEnv.filter((e) => e.name === 'PYTHONPATH'),
        packages,
      ).toEqual([])
    }
  })
})

describe('a next.config rewrite of a backend prefix to a fixed hosted URL (sammar-13: /api to its own server elsewhere)', () => {
  it('the ingress routes the prefix to the in-cluster backend, so the pages never reach the rewrite; a note says so', () => {
    const frontend = tree({
      'package.json': '{"dependencies":{"next":"14.0.0"}}\n',
      'next.config.js':
        "module.exports = {\n  async rewrites() {\n    return [{\n      source: '/api/:path*',\n      // its own server\n" +
        "      destination: 'https://todo-backend.example.hf.space/api/:path*',\n    }]\n  },\n}\n",
      'lib/api.ts': "export const login = () => fetch('/api/auth/login', { method: 'POST' })\n",
    })
    const backend = tree({
      'requirements.txt': 'fastapi\n',
      'main.py':
        'from fastapi import FastAPI\napp = FastAPI()\n@app.post("/api/auth/login")\ndef login():\n    return {}\n' +
        '@app.get("/tasks")\ndef legacy():\n    return []\n',
    })
    const p = planInit(inspectApp({ frontend, backend }), ctx)
    // only what the rewrite covers: /tasks is one of the frontend's pages on the public host
    expect(p.values.ingress).toEqual({ backendPaths: ['/api'] })
    expect(p.env.PUBLIC_HOST_IN_PODS).toBeUndefined()
    expect(p.support).toEqual([])
    expect(p.notes.find((n) => n.text.startsWith('next.config rewrites /api'))!.text).toMatch(
      /to https:\/\/todo-backend\.example\.hf\.space\/api\/:path\*: the browser's requests there reach the in-cluster backend/,
    )
  })
})

describe('a next.config rewrite to a NEXT_PUBLIC_* URL (its pages reach the backend through it)', () => {
  it('PUBLIC_HOST_IN_PODS=true, and the ingress routes the backend prefixes the rewrite passes on', () => {
    const files = {
      'package.json': '{"dependencies":{"next":"16.0.0"}}\n',
      'next.config.ts':
        'export default {\n  async rewrites() {\n    const backendUrl = process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000";\n' +
        '    return [{ source: "/backend/:path*", destination: `${backendUrl}/:path*` }];\n  },\n};\n',
      'lib/api.ts': 'export const API = `${window.location.origin}/backend`;\n',
    }
    const frontend = tree(files)
    const backend = tree({
      'requirements.txt': 'fastapi\n',
      'main.py':
        'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/api/{user_id}/tasks")\ndef tasks(user_id: str):\n    return []\n',
    })
    const p = planInit(inspectApp({ frontend, backend }), ctx)
    expect(p.env.PUBLIC_HOST_IN_PODS).toBe('true')
    expect(p.support).toEqual([])
    expect(p.values.ingress).toEqual({ backendPaths: ['/api'] })
    const s = p.settings.find((x) => x.what === 'next.config rewrite')!
    expect(s.to).toBe('.env PUBLIC_HOST_IN_PODS')
    expect(s.from.map(where)).toEqual(['next.config.ts:4'])

    // the same rewrite with no code naming /backend: no page goes that way, so the pods need no route to the public
    // host (the journey reads rewrites with the same rule)
    const unused = { ...files, 'lib/api.ts': 'export const API = process.env.NEXT_PUBLIC_API_URL;\n' }
    const q = planInit(inspectApp({ frontend: tree(unused), backend }), ctx)
    expect(q.env.PUBLIC_HOST_IN_PODS).toBeUndefined()
    expect(q.settings.find((x) => x.what === 'next.config rewrite')).toBeUndefined()
  })
})

describe("a backend whose migrations reference Better Auth's tables", () => {
  const backend = () =>
    tree({
      'requirements.txt': 'fastapi\nalembic\npsycopg2-binary\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
      'alembic.ini': '[alembic]\nscript_location = migrations\n',
      'migrations/versions/1_tasks.py':
        "op.create_table('tasks', sa.Column('user_id', sa.String(), sa.ForeignKey('user.id')))\n",
    })
  it("the frontend's auth migration runs first and again after (migrations.order), with the line that decided it", () => {
    for (const fe of ['plain-main/frontend', 'uv-alembic/frontend']) {
      const p = planInit(inspectApp({ frontend: path.join(apps, fe), backend: backend() }), ctx)
      expect(p.values.migrations).toEqual({ order: ['frontend', 'backend', 'frontend'] })
      const s = p.settings.find((x) => x.what === 'migration order')!
      expect(s.to).toBe('migrations.order')
      expect(s.value).toMatch(/Better Auth's "user"/)
      expect(s.from.map(where)).toEqual(['migrations/versions/1_tasks.py:1'])
    }
  })
  it('without one, an open item: the tables must exist before the backend migrates', () => {
    const frontend = mkdtempSync(path.join(os.tmpdir(), 'kit-auth-'))
    try {
      cpSync(path.join(apps, 'plain-main/frontend'), frontend, { recursive: true })
      rmSync(path.join(frontend, 'lib/auth.ts'))
      const p = planInit(inspectApp({ frontend, backend: backend() }), ctx)
      expect(p.values.migrations).toBeUndefined()
      const o = p.open.find((x) => /reference Better Auth's "user"/.test(x.what))!
      expect(o.key).toMatch(/migrations\.order: \[frontend, backend, frontend\]/)
    } finally {
      rmSync(frontend, { recursive: true, force: true })
    }
  })
  it('a backend with no such key keeps the chart default order', () => {
    expect(planFor('uv-alembic/frontend', 'uv-alembic/backend').values.migrations).toBeUndefined()
  })
})

describe('a backend whose Alembic chain changes a table no revision creates', () => {
  it('an open item naming the table and the line: on an empty database the Job would stop there', () => {
    const backend = tree({
      'requirements.txt': 'fastapi\nalembic\npsycopg2-binary\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
      'alembic.ini': '[alembic]\nscript_location = alembic\n',
      'alembic/versions/1_due.py': "def upgrade():\n    op.alter_column('tasks', 'due_date', nullable=True)\n",
    })
    const p = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend }), ctx)
    const o = p.open.find((x) => /no revision creates/.test(x.what))!
    expect(o.what).toMatch(/alembic upgrade head stops where a revision changes tasks/)
    expect(o.key).toMatch(/^backend\.migrateCommand/)
    expect(o.from.map(where)).toEqual(['alembic/versions/1_due.py:2'])
    // the command stays: with a database that has the tables (DATABASE_URL) it is the right one
    expect(p.values.backend.migrateCommand).toEqual(['alembic', 'upgrade', 'head'])
    expect(
      planFor('uv-alembic/frontend', 'uv-alembic/backend').open.filter((x) => /no revision creates/.test(x.what)),
    ).toEqual([])
  })
})

describe('an Alembic backend that also creates its tables itself (create_all)', () => {
  const files = {
    'requirements.txt': 'fastapi\nalembic\nsqlmodel\n',
    'alembic.ini': '[alembic]\nscript_location = migrations\n',
    'migrations/env.py': 'target_metadata = SQLModel.metadata\n',
    'migrations/versions/1_init.py': "op.create_table('users', sa.Column('id', sa.Uuid()))\n",
    'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
    'database.py':
      'async def create_db_and_tables():\n    async with engine.begin() as conn:\n        await conn.run_sync(SQLModel.metadata.create_all)\n',
  }
  const plan = (more: Record<string, string>) =>
    planInit(
      inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: tree({ ...files, ...more }) }),
      ctx,
    )

  it("its own start never runs Alembic (sammar-13: uvicorn only): the tables are create_all's, no migration step", () => {
    const p = plan({ Dockerfile: 'FROM python\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0"]\n' })
    expect(p.values.backend.migrateCommand).toEqual([])
    const s = p.settings.find((x) => x.what === 'migrations')!
    expect(s.to).toBe('backend.migrateCommand: []')
    expect(s.value).toMatch(/its own start \(Dockerfile:2\) never runs alembic upgrade head/)
    expect(s.from.map(where)).toEqual(['Dockerfile:2', 'database.py:3'])
    expect(p.values.migrations?.beforeBackendStarts).toBeUndefined()
    // it makes them while it starts: after the database answers (sammar-13 gives up on them after 5 s otherwise)
    expect(p.values.backend.waitForDatabase).toBe(true)
  })

  it("a start script of another name is read too (abdulhadi453's start_server.sh: create_all, then uvicorn)", () => {
    const p = plan({
      'start_server.sh':
        '#!/bin/bash\npip install -r requirements.txt\npython -c "from database import create_db_and_tables"\nuvicorn main:app --port 8000\n',
      // not a start script: its name does not say so
      'deploy_tools.sh': 'alembic upgrade head\n',
    })
    expect(p.values.backend.migrateCommand).toEqual([])
    expect(p.settings.find((x) => x.what === 'migrations')!.value).toMatch(/its own start \(start_server\.sh:4\)/)
  })

  it('drop_all where it creates its tables (abdulhadi453): a note that every start empties the database', () => {
    const dropping = plan({
      'database.py':
        'def create_db_and_tables():\n    SQLModel.metadata.drop_all(engine)\n    SQLModel.metadata.create_all(engine)\n',
      // a script of its own that resets the database is no start
      'reset.py': 'SQLModel.metadata.drop_all(engine)\n',
    })
    const n = dropping.notes.filter((x) => /drops its tables/.test(x.text))
    expect(n.map((x) => x.from.map(where))).toEqual([['database.py:2']])
    expect(plan({}).notes.filter((x) => /drops its tables/.test(x.text))).toEqual([])
  })

  it('a start that runs Alembic, or none to read: Alembic before the backend first starts (migrations.beforeBackendStarts)', () => {
    const starts: Record<string, string>[] = [{ Procfile: 'web: alembic upgrade head && uvicorn main:app\n' }, {}]
    for (const more of starts) {
      const p = plan(more)
      expect(p.values.backend.migrateCommand, JSON.stringify(more)).toEqual(['alembic', 'upgrade', 'head'])
      expect(p.values.migrations).toEqual({ beforeBackendStarts: true })
      expect(p.settings.find((x) => x.what === 'migrations order')!.to).toBe('migrations.beforeBackendStarts: true')
      expect(p.open.filter((x) => /create_all/.test(x.what))).toEqual([])
    }
    expect(planFor('uv-alembic/frontend', 'uv-alembic/backend').values.migrations?.beforeBackendStarts).toBeUndefined()
  })
})

describe('code that asks the database for TLS', () => {
  it("postgresql.tls.enabled, with each component's own lines; an app that does not ask keeps the chart default", () => {
    const backend = tree({
      'requirements.txt': 'fastapi\npsycopg2-binary\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
      'db.py': 'engine = create_engine(url, connect_args={"sslmode": "require"})\n',
    })
    const p = planInit(inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend }), ctx)
    expect(p.values.postgresql).toEqual({ tls: { enabled: true } })
    const s = p.settings.filter((x) => x.what === 'database TLS')
    expect(s.map((x) => [x.component, x.to, x.from.map(where)])).toEqual([
      ['backend', 'postgresql.tls.enabled', ['db.py:1']],
    ])
    expect(planFor('plain-main/frontend', 'plain-main/backend').values.postgresql).toBeUndefined()
  })
})

describe('code that appends "&name=value" to DATABASE_URL (written for a hosted URL with a query string)', () => {
  it('postgresql.urlQuery, beside TLS when both; the lines that append', () => {
    // a real app (tahanadeemkhan): the database name became "todo&connect_timeout=10…"
    const frontend = tree({
      'package.json': '{"dependencies":{"next":"16.0.0","pg":"8.0.0"}}\n',
      'src/lib/auth.ts':
        'export const pool = new Pool({\n  connectionString: process.env.DATABASE_URL + "&connect_timeout=10",\n  ssl: true,\n})\n',
    })
    const backend = tree({
      'requirements.txt': 'fastapi\n',
      'main.py':
        'from fastapi import FastAPI\napp = FastAPI()\nurl = os.environ["DATABASE_URL"] + "&application_name=api"\n',
    })
    const p = planInit(inspectApp({ frontend, backend }), ctx)
    expect(p.values.postgresql).toEqual({ tls: { enabled: true }, urlQuery: 'application_name=todo' })
    const s = p.settings.find((x) => x.what === 'database URL query')!
    expect([s.component, s.to, s.from.map(where)]).toEqual([
      'frontend',
      'postgresql.urlQuery',
      ['src/lib/auth.ts:2', 'main.py:3'],
    ])
  })
})
