// init's detectors, one inference at a time, against the fixture apps in fixtures/apps/: each finding and the
// file:line it rests on.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findApps } from '../../scripts/lib/app/find-apps.ts'
import {
  asgiApps,
  startedApp,
  backendPort,
  dependencyManager,
  dependencySource,
  pythonVersion,
} from '../../scripts/lib/app/detect-backend.ts'
import { getRoutes, probeRoutes, routePrefixes } from '../../scripts/lib/app/backend-routes.ts'
import {
  authTableReferences,
  databaseDriver,
  localServers,
  fileWrites,
  jwksFetch,
  migrations,
  tablesChangedNotCreated,
  type Migration,
} from '../../scripts/lib/app/backend-runtime.ts'
import {
  backendAccess,
  backendRewrite,
  betterAuth,
  frontendHealth,
  migrateScript,
  nodeVersion,
  packageManager,
  standaloneOutput,
} from '../../scripts/lib/app/detect-frontend.ts'
import { classify, constructorEnvArgs, jsEnvReads, pythonEnvReads } from '../../scripts/lib/app/env-reads.ts'
import { databaseTls } from '../../scripts/lib/app/database-tls.ts'
import { readText, where, type Evidence } from '../../scripts/lib/app/source.ts'
import { tree } from './app-tree.ts'

const apps = path.join(import.meta.dirname, 'fixtures', 'apps')
const plain = { fe: path.join(apps, 'plain-main/frontend'), be: path.join(apps, 'plain-main/backend') }
const uv = { fe: path.join(apps, 'uv-alembic/frontend'), be: path.join(apps, 'uv-alembic/backend') }
const und = { fe: path.join(apps, 'undecided/web'), be: path.join(apps, 'undecided/services/api') }
const at = (from: Evidence[] | undefined): string[] => (from ?? []).map(where)

describe('finding the apps in a repository', () => {
  it('a Next.js package and a Python project with a FastAPI app, at any depth up to 3', () => {
    expect(findApps(path.join(apps, 'plain-main'))).toEqual({ frontends: [plain.fe], backends: [plain.be] })
    expect(findApps(path.join(apps, 'undecided'))).toEqual({ frontends: [und.fe], backends: [und.be] })
  })
  it('a Python project without a FastAPI app is not a backend', () => {
    const dir = tree({ 'scripts/requirements.txt': 'requests\n', 'scripts/run.py': 'print(1)\n' })
    expect(findApps(dir).backends).toEqual([])
  })
  it('a repository root whose only FastAPI app is in a backend below it is not a second backend; two apps side by side are', () => {
    const fastapi = 'from fastapi import FastAPI\napp = FastAPI()\n'
    const dir = tree({
      'pyproject.toml': '[project]\nname = "console-todo"\n',
      'main.py': 'from dataclasses import dataclass\n',
      'backend/requirements.txt': 'fastapi\n',
      'backend/src/main.py': fastapi,
    })
    expect(findApps(dir).backends).toEqual([path.join(dir, 'backend')])
    const both = tree({
      'pyproject.toml': '[project]\nname = "api"\n',
      'main.py': fastapi,
      'backend/requirements.txt': 'fastapi\n',
      'backend/main.py': fastapi,
    })
    expect(findApps(both).backends).toEqual([both, path.join(both, 'backend')])
  })
})

describe('backend: image inputs', () => {
  it('Python version from .python-version, runtime.txt, requires-python (a pin, a range, a lower bound)', () => {
    expect(pythonVersion(plain.be)).toMatchObject({ value: { version: '3.11', exact: true } })
    expect(at(pythonVersion(plain.be)?.from)).toEqual(['.python-version:1'])
    expect(pythonVersion(uv.be)?.value.version).toBe('3.12')
    expect(pythonVersion(und.be)).toBeNull()
    expect(pythonVersion(tree({ 'runtime.txt': 'python-3.10.14\n' }))?.value).toEqual({ version: '3.10', exact: true })
    const range = tree({ 'pyproject.toml': '[project]\nname = "x"\nrequires-python = ">=3.10,<3.13"\n' })
    expect(pythonVersion(range)?.value).toEqual({ version: '3.12', exact: true })
    expect(at(pythonVersion(range)?.from)).toEqual(['pyproject.toml:3'])
    expect(pythonVersion(tree({ 'pyproject.toml': '[project]\nrequires-python = ">=3.11"\n' }))?.value).toEqual({
      version: '3.11',
      exact: false,
    })
  })

  it('dependency manager: uv.lock, requirements.txt (also next to a poetry pyproject), [project], poetry alone', () => {
    expect(dependencyManager(uv.be)?.value).toBe('uv')
    expect(dependencyManager(plain.be)?.value).toBe('requirements')
    const poetryWithReqs = tree({
      'pyproject.toml': '[tool.poetry]\nname = "x"\n\n[build-system]\nrequires = ["poetry-core"]\n',
      'requirements.txt': 'fastapi\n',
    })
    expect(dependencyManager(poetryWithReqs)?.value).toBe('requirements')
    expect(dependencyManager(tree({ 'pyproject.toml': '[tool.poetry]\nname = "x"\n' }))?.value).toBe('poetry-only')
    expect(dependencyManager(tree({ 'pyproject.toml': '[project]\nname = "x"\n' }))?.value).toBe('pip')
  })

  describe('requirements.txt and a pyproject [project] list side by side: the one the image installs', () => {
    const reqs = 'fastapi>=0.115\nuvicorn[standard]>=0.30\nbcrypt>=4.0\n'
    const project = (deps: string[]) =>
      `[project]\nname = "api"\nversion = "0.1.0"\ndependencies = [\n${deps.map((d) => `    "${d}",`).join('\n')}\n]\n`
    const both = (
      extra: Record<string, string> = {},
      deps = ['fastapi>=0.115', 'uvicorn[standard]>=0.30', 'openai-agents>=0.2'],
    ) => tree({ 'requirements.txt': reqs, 'pyproject.toml': project(deps), 'main.py': 'app = 1\n', ...extra })

    it("the app's own Dockerfile decides: uv sync (a comment naming the other does not count)", () => {
      const dir = both({
        Dockerfile:
          'FROM python:3.13-slim\n# or: pip install -r requirements.txt\nCOPY pyproject.toml ./\nRUN pip install uv && uv sync --frozen --no-dev\n',
      })
      const s = dependencySource(dir)!
      expect(s).toMatchObject({
        use: 'pyproject',
        decided: true,
        why: "the app's own Dockerfile installs from pyproject.toml",
      })
      expect(at(s.from)).toEqual(['Dockerfile:4'])
      expect(dependencyManager(dir)?.value).toBe('pip')
    })

    it("the app's Dockerfile installing requirements.txt keeps it, even when pyproject.toml lists more", () => {
      const dir = both({ 'Dockerfile.prod': 'FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt\n' })
      expect(dependencySource(dir)).toMatchObject({ use: 'requirements', decided: true })
      expect(at(dependencySource(dir)!.from)).toEqual(['Dockerfile.prod:2'])
      expect(dependencyManager(dir)?.value).toBe('requirements')
    })

    it('no Dockerfile: the list holding every package of the other and more (a requirements.txt left behind)', () => {
      const stale = both({}, ['fastapi>=0.115', 'uvicorn>=0.30', 'bcrypt', 'openai-agents>=0.2', 'mcp>=1.0'])
      expect(dependencySource(stale)).toMatchObject({
        use: 'pyproject',
        decided: true,
        why: 'pyproject.toml declares every package requirements.txt does, and openai-agents, mcp besides',
      })
      const fuller = both({}, ['FastAPI>=0.100', 'uvicorn'])
      expect(dependencySource(fuller)).toMatchObject({ use: 'requirements', decided: true })
      expect(dependencySource(fuller)!.why).toMatch(
        /^requirements.txt declares every package pyproject.toml does, and bcrypt besides/,
      )
    })

    it('each lacking some of the other: requirements.txt, undecided (init names the key)', () => {
      const s = dependencySource(both())!
      expect(s).toMatchObject({ use: 'requirements', decided: false })
      expect(s.why).toBe(
        'each declares packages the other lacks (pyproject.toml only: openai-agents; requirements.txt only: bcrypt)',
      )
    })

    it('only one list (or a uv.lock) is no choice', () => {
      expect(dependencySource(tree({ 'requirements.txt': reqs }))).toBeNull()
      expect(dependencySource(both({ 'uv.lock': 'version = 1\n' }))).toBeNull()
      expect(
        dependencySource(tree({ 'requirements.txt': reqs, 'pyproject.toml': '[tool.black]\nline-length = 100\n' })),
      ).toBeNull()
    })
  })

  it('ASGI module: main:app at the root, app.main:app, a factory, a src layout, two apps', () => {
    expect(asgiApps(plain.be).map((a) => [a.value, at(a.from)])).toEqual([['main:app', ['main.py:16']]])
    expect(asgiApps(uv.be).map((a) => [a.value, at(a.from)])).toEqual([['app.main:app', ['app/main.py:12']]])
    const factory = tree({
      'app/main.py':
        'from fastapi import FastAPI\n\ndef create_app():\n    api = FastAPI()\n    return api\n\n\napp = create_app()\n',
    })
    expect(asgiApps(factory).map((a) => [a.value, at(a.from)])).toEqual([['app.main:app', ['app/main.py:8']]])
    const src = tree({
      'pyproject.toml': '[project]\nname = "x"\n[build-system]\nrequires = ["hatchling"]\n',
      'src/todo/main.py': 'app = FastAPI()\n',
    })
    expect(asgiApps(src).map((a) => a.value)).toEqual(['todo.main:app'])
    expect(asgiApps(und.be).map((a) => a.value)).toEqual(['admin:admin_app', 'main:app'])
    // of two, the one its own Dockerfile starts (muhammad-azan-1: main:app, and unified_server:main_app for another host)
    const two = tree({
      'main.py': 'app = FastAPI()\n',
      'unified_server.py': 'main_app = FastAPI()\n',
      Dockerfile: 'FROM python\nCMD ["uv", "run", "uvicorn", "main:app", "--host", "0.0.0.0"]\n',
    })
    expect(at(startedApp(two, asgiApps(two))!.from)).toEqual(['Dockerfile:2', 'main.py:1'])
    expect(startedApp(two, asgiApps(two))!.value).toBe('main:app')
    expect(startedApp(und.be, asgiApps(und.be))).toBeNull()
  })

  it('port from uvicorn.run, else a Dockerfile EXPOSE, else none', () => {
    expect(backendPort(plain.be)).toMatchObject({ value: 8080 })
    expect(at(backendPort(plain.be)?.from)).toEqual(['main.py:40'])
    expect(backendPort(tree({ Dockerfile: 'FROM python:3.12\nEXPOSE 9000\n' }))?.value).toBe(9000)
    expect(backendPort(uv.be)).toBeNull()
  })

  it('port from an environment read with a default inside uvicorn.run: the default', () => {
    const run = (call: string) =>
      backendPort(tree({ 'main.py': `import os\nimport uvicorn\nif __name__ == "__main__":\n    ${call}\n` }))
    expect(run('uvicorn.run("main:app", host="0.0.0.0", port=int(os.getenv("PORT", "9000")))')).toMatchObject({
      value: 9000,
    })
    expect(at(run('uvicorn.run(app, port=int(os.environ.get("API_PORT", 8001)))')?.from)).toEqual(['main.py:4'])
    expect(run('uvicorn.run(app, port=int(os.environ.get("API_PORT", 8001)))')?.value).toBe(8001)
    expect(run('uvicorn.run(app, host=os.getenv("HOST", "0.0.0.0"), port=7000)')?.value).toBe(7000)
    // no default: nothing the kit can read
    expect(run('uvicorn.run(app, port=int(os.environ["PORT"]))')).toBeNull()
  })
})

describe('backend: route prefixes a browser calls', () => {
  it('the first segment of every route of any method, through router prefixes; probes and docs left out', () => {
    const dir = tree({
      'api/server.py':
        'from fastapi import FastAPI\nfrom api import todos\napi = FastAPI()\napi.include_router(todos.router, prefix="/v1")\n@api.get("/healthz")\ndef h(): ...\n@api.get("/status/ready")\ndef r(): ...\n',
      'api/todos.py':
        'from fastapi import APIRouter\nrouter = APIRouter(prefix="/todos")\n@router.post("")\ndef add(): ...\n@router.delete("/{id}")\ndef rm(id): ...\n',
      'api/chat.py':
        'from fastapi import APIRouter\nchat = APIRouter()\n@chat.post("/chat/stream")\ndef stream(): ...\n',
    })
    expect(routePrefixes(dir).map((p) => [p.value, at(p.from)[0]])).toEqual([
      ['/chat', 'api/chat.py:3'],
      ['/v1', 'api/todos.py:3'],
    ])
    expect(routePrefixes(tree({ 'main.py': 'app = FastAPI()\n@app.get("/health")\ndef h(): ...\n' }))).toEqual([])
  })
  it('a route whose first segment is a path parameter gives no prefix (an ingress cannot route "/{user_id}")', () => {
    // a real app (tahanadeemkhan): a chat router without a prefix, beside its /api routers
    const dir = tree({
      'routes/chat.py': 'router = APIRouter()\n@router.post("/{user_id}/chat")\ndef chat(user_id): ...\n',
      'routes/tasks.py':
        'router = APIRouter(prefix="/api")\n@router.get("/{user_id}/tasks")\ndef tasks(user_id): ...\n',
    })
    expect(routePrefixes(dir).map((p) => p.value)).toEqual(['/api'])
  })
})

describe('backend: routes for probes', () => {
  it('router prefixes are followed (APIRouter(prefix=), include_router(prefix=))', () => {
    const routes = getRoutes(uv.be).map((r) => [r.value, at(r.from)[0]])
    expect(routes).toEqual([
      ['/health', 'app/routes/health.py:6'],
      ['/ready', 'app/routes/health.py:11'],
      ['/api/tasks', 'app/routes/tasks.py:6'],
    ])
  })
  it('health and readiness routes; /docs is no fallback when docs_url=None', () => {
    const p = probeRoutes(plain.be)
    expect(p.health).toEqual([])
    expect(p.ready.map((r) => [r.value, at(r.from)[0]])).toEqual([['/status/ready', 'main.py:25']])
    expect(p.docs).toBeNull()
    expect(p.openapi).toBe('/openapi.json')
    const q = probeRoutes(und.be)
    expect([q.health, q.ready, q.docs]).toEqual([[], [], '/docs'])
  })
})

describe('backend: database, JWKS, migrations, files', () => {
  it('psycopg2 with SQLAlchemy names its driver (2.1 gave postgresql:// to psycopg 3); asyncpg needs its scheme unless the app rewrites it', () => {
    const p = databaseDriver(plain.be)!
    expect(p).toMatchObject({ driver: 'psycopg2', scheme: 'postgresql+psycopg2://', plainUrlWorks: false })
    expect(p.why).toMatch(/SQLAlchemy unpinned: since SQLAlchemy 2\.1 postgresql:\/\/ loads psycopg \(3\)/)
    expect(databaseDriver(tree({ 'requirements.txt': 'sqlalchemy==2.0.36\npsycopg2-binary\n' }))).toMatchObject({
      scheme: 'postgresql+psycopg2://',
      plainUrlWorks: false,
    })
    expect(databaseDriver(tree({ 'requirements.txt': 'psycopg2-binary\n' }))).toMatchObject({
      scheme: 'postgresql://',
      plainUrlWorks: true,
    })
    expect(at(p.from)).toEqual(['requirements.txt:4', 'requirements.txt:3'])
    expect(databaseDriver(uv.be)).toMatchObject({ driver: 'asyncpg', plainUrlWorks: true })
    expect(at(databaseDriver(uv.be)!.from)).toContain('app/db.py:6')
    expect(databaseDriver(und.be)).toMatchObject({
      driver: 'asyncpg',
      scheme: 'postgresql+asyncpg://',
      plainUrlWorks: false,
    })
    expect(databaseDriver(tree({ 'requirements.txt': 'sqlmodel\npsycopg[binary]\n' }))).toMatchObject({
      driver: 'psycopg',
      scheme: 'postgresql+psycopg://',
      plainUrlWorks: false,
    })
  })

  it('psycopg2 handed the URL by the code itself (hand-run migration scripts): a SQLAlchemy pinned below 2.1 keeps the plain URL', () => {
    const script = 'import psycopg2\nconn = psycopg2.connect(\n    settings.DATABASE_URL\n)\n'
    const pinned = tree({
      'requirements.txt': 'sqlalchemy==2.0.45\nsqlmodel\npsycopg2-binary\n',
      'scripts/migrate.py': script,
    })
    const p = databaseDriver(pinned)!
    expect(p).toMatchObject({ driver: 'psycopg2', scheme: 'postgresql://', plainUrlWorks: true })
    expect(p.why).toMatch(
      /SQLAlchemy 2\.0\.45 \(pinned\) loads psycopg2.*scripts\/migrate\.py:2 hands the URL to psycopg2\.connect/,
    )
    // unpinned, or 2.1 and later: the engine needs the scheme, whatever the script does
    for (const reqs of ['sqlalchemy>=2.0\npsycopg2-binary\n', 'sqlalchemy==2.1.0\npsycopg2-binary\n'])
      expect(databaseDriver(tree({ 'requirements.txt': reqs, 'scripts/migrate.py': script })), reqs).toMatchObject({
        scheme: 'postgresql+psycopg2://',
        plainUrlWorks: false,
      })
  })

  it("naming the driver's scheme is not rewriting to it: a validator that demands it, a script converting the other way", () => {
    const demands = tree({
      'requirements.txt': 'sqlalchemy[asyncio]\nasyncpg\n',
      'src/config.py':
        'valid_prefixes = ("postgresql+asyncpg://", "sqlite+aiosqlite://")\nif not v.startswith(valid_prefixes):\n    raise ValueError("use asyncpg")\n',
      'fix_version.py': 'url = os.getenv("DATABASE_URL").replace("postgresql+asyncpg://", "postgresql://")\n',
      'src/tools.py': 'sync = url.replace(\n    "postgresql+asyncpg://", "postgresql+psycopg2://"\n)\n',
    })
    expect(databaseDriver(demands)).toMatchObject({ scheme: 'postgresql+asyncpg://', plainUrlWorks: false })
    // the forms that do rewrite: a prefix put before the rest, an f-string, replace() across lines
    for (const code of [
      'url = "postgresql+asyncpg://" + raw[len("postgresql://"):]\n',
      'url = f"postgresql+asyncpg://{user}:{pw}@{host}/{db}"\n',
      'url = raw.replace(\n    "postgres://",\n    "postgresql+asyncpg://",\n)\n',
    ]) {
      const dir = tree({ 'requirements.txt': 'sqlalchemy[asyncio]\nasyncpg\n', 'db.py': code })
      expect(databaseDriver(dir), code).toMatchObject({
        plainUrlWorks: true,
        why: 'the app turns the URL into postgresql+asyncpg:// itself',
      })
    }
  })

  it('a server the code expects beside it on localhost (a second process), not its own port, the database or the frontend', () => {
    const dir = tree({
      'config.py':
        'class Settings:\n    MCP_SERVER_URL: str | None = None\n    cors: str = "http://localhost:3000"\n    @property\n    def mcp_url(self):\n        return self.MCP_SERVER_URL or "http://localhost:8001"\n',
      'main.py': 'db = "postgresql://localhost:5432/x"\nself_url = "http://127.0.0.1:8000/health"\n',
      'tools/mcp_standalone.py':
        'def main():\n    port = int(os.environ.get("PORT", 8001))\n    uvicorn.run(app, port=port)\nif __name__ == "__main__":\n    main()\n',
      'tests/test_x.py': 'URL = "http://localhost:9999"\n',
    })
    const found = localServers(dir, 8000)
    expect(found.map((l) => [l.url, at(l.from), at(l.servers)])).toEqual([
      ['http://localhost:8001', ['config.py:6'], ['tools/mcp_standalone.py:2']],
    ])
    // started in a thread of the backend itself (muhammad-azan-1's MCP server): it answers there
    const threaded = tree({
      'runner.py': 'URL = "http://localhost:8808/mcp"\n',
      'main.py':
        'import threading\ndef run():\n    uvicorn.run(mcp_app, host="0.0.0.0", port=8808)\nthreading.Thread(target=run).start()\n',
    })
    expect(localServers(threaded, 8000)).toEqual([])
  })

  it('JWKS: a base URL with /api/auth/jwks appended, or a whole JWKS_URL', () => {
    const j = jwksFetch(uv.be)!
    expect(j).toMatchObject({ path: '/api/auth/jwks', variable: 'BETTER_AUTH_URL', whole: false })
    expect(at(j.from)).toEqual(['app/auth.py:6'])
    expect(jwksFetch(tree({ 'auth.py': 'import os\nurl = os.environ["JWKS_URL"]\n' }))).toMatchObject({
      variable: 'JWKS_URL',
      whole: true,
    })
    expect(jwksFetch(tree({ 'auth.py': 'JWKS = f"{settings.auth_url}/.well-known/jwks.json"\n' }))).toMatchObject({
      path: '/.well-known/jwks.json',
      variable: 'SETTINGS.AUTH_URL'.split('.')[1],
    })
    expect(jwksFetch(plain.be)).toBeNull()
  })

  it('JWKS base URL: only used to fetch keys, or also the issuer/audience the backend checks, or used elsewhere', () => {
    // uv-alembic: read in config.py, imported, appended to: nothing else
    expect(jwksFetch(uv.be)!.baseUses).toEqual({ issuer: [], other: [] })
    const config = [
      'class Settings(BaseSettings):',
      '    """better_auth_url: the frontend, where the keys are"""',
      '    better_auth_url: str = "http://localhost:3000"',
      'settings = Settings()',
      'print(f"auth at {settings.better_auth_url}")',
      '# settings.better_auth_url is the frontend',
    ].join('\n')
    const keysOnly = jwksFetch(
      tree({ 'config.py': config, 'auth.py': 'client = PyJWKClient(f"{settings.better_auth_url}/api/auth/jwks")\n' }),
    )!
    expect(keysOnly).toMatchObject({ variable: 'BETTER_AUTH_URL', baseUses: { issuer: [], other: [] } })
    const issuer = jwksFetch(
      tree({
        'config.py': config,
        'auth.py': [
          'client = PyJWKClient(f"{settings.better_auth_url}/api/auth/jwks")',
          'def check(t):',
          '    return jwt.decode(t, key, algorithms=["EdDSA"], issuer=settings.better_auth_url)',
        ].join('\n'),
        'cors.py': 'origins = [settings.better_auth_url]\n',
      }),
    )!
    expect(at(issuer.baseUses!.issuer)).toEqual(['auth.py:3'])
    expect(at(issuer.baseUses!.other)).toEqual(['cors.py:1'])
  })

  it('migrations: alembic, a migrate module, create_all at startup, none', () => {
    expect(migrations(uv.be)).toMatchObject({ value: { kind: 'alembic', command: ['alembic', 'upgrade', 'head'] } })
    expect(at(migrations(uv.be).from)).toEqual(['alembic.ini:1'])
    expect(migrations(plain.be).value.kind).toBe('create_all')
    expect(at(migrations(plain.be).from)).toEqual(['main.py:22'])
    expect(
      migrations(tree({ 'app/migrate.py': 'def main(): ...\n\nif __name__ == "__main__":\n    main()\n' })).value,
    ).toEqual({ kind: 'module', command: ['python', '-m', 'app.migrate'] })
    expect(migrations(und.be).value.kind).toBe('none')
  })

  it('migration scripts the author runs by hand: each by its path, the plain migrate.py first, then by name', () => {
    const main = 'def run(): ...\n\nif __name__ == "__main__":\n    run()\n'
    const m = migrations(
      tree({
        'scripts/migrate_jwks.py': main,
        'scripts/migrate.py': main,
        'scripts/migrate_better_auth.py': main,
        // not migrations: no __main__ block, or another name
        'scripts/migrate_helpers.py': 'def helper(): ...\n',
        'scripts/verify_tables.py': main,
        'main.py': 'Base.metadata.create_all(engine)\n',
      }),
    )
    expect(m.value).toEqual({
      kind: 'module',
      command: [
        'sh',
        '-c',
        'python scripts/migrate.py && python scripts/migrate_better_auth.py && python scripts/migrate_jwks.py',
      ],
    })
    expect(at(m.from)).toEqual([
      'scripts/migrate.py:3',
      'scripts/migrate_better_auth.py:3',
      'scripts/migrate_jwks.py:3',
    ])
    expect(migrations(tree({ 'scripts/migrate_db.py': main })).value).toEqual({
      kind: 'module',
      command: ['python', 'scripts/migrate_db.py'],
    })
  })

  it("tables an Alembic chain changes but never creates (it cannot run on an empty database); not Better Auth's", () => {
    const alembic: Migration = { kind: 'alembic', command: ['alembic', 'upgrade', 'head'] }
    const uncreated = (files: Record<string, string>, m: Migration = alembic) =>
      tablesChangedNotCreated(tree(files), m).map((r) => `${r.table} ${where(r)}`)
    expect(
      uncreated({
        'alembic/versions/1_chat.py': [
          "op.create_table('conversations', sa.Column('user_id', sa.Text()), sa.ForeignKeyConstraint(['user_id'], ['user.id']))",
          "op.create_index('ix_c', 'conversations', ['user_id'])",
          'op.execute(\'ALTER TABLE "user" ADD COLUMN plan text\')',
        ].join('\n'),
        'alembic/versions/2_due.py': [
          "op.execute('ALTER TABLE tasks ALTER COLUMN due_date DROP NOT NULL')",
          "op.alter_column('tasks', 'due_date', type_=sa.TIMESTAMP(timezone=True))",
          "op.add_column('tags', sa.Column('color', sa.Text()))",
          'op.execute("CREATE TABLE IF NOT EXISTS tags (id int)")',
        ].join('\n'),
      }),
    ).toEqual(['tasks alembic/versions/2_due.py:1'])
    // a migrate module or create_all: the kit does not read what they change
    expect(uncreated({ 'versions/1.py': "op.alter_column('tasks', 'x')\n" }, { kind: 'create_all' })).toEqual([])
  })

  it("foreign keys to Better Auth's tables in the backend's migrations, unless they create the table themselves", () => {
    const alembic: Migration = { kind: 'alembic', command: ['alembic', 'upgrade', 'head'] }
    const refs = (files: Record<string, string>, m: Parameters<typeof authTableReferences>[1] = alembic) =>
      authTableReferences(tree(files), m).map((r) => `${r.table} ${where(r)}`)
    // each way a revision names the table; a comment between arguments (as one corpus app writes them)
    expect(
      refs({
        'alembic.ini': '[alembic]\n',
        'db/versions/a_fk.py': [
          'def upgrade():',
          '    op.create_foreign_key(',
          "        'tasks_user_id_fkey',  # constraint name",
          "        'tasks',  # source table",
          "        'user',  # target table",
          "        ['user_id'], ['id'])",
          "    op.create_table('tags', sa.Column('user_id', sa.String(), sa.ForeignKey(\"session.id\")),",
          "        sa.ForeignKeyConstraint(['owner'], ['account.id']))",
          '    op.execute(\'ALTER TABLE notes ADD FOREIGN KEY (user_id) REFERENCES "user"(id)\')',
        ].join('\n'),
        // outside a versions directory an alembic backend's models are not what the Job runs
        'models.py': 'user_id: str = Field(foreign_key="user.id")\n',
      }),
    ).toEqual([
      'user db/versions/a_fk.py:2',
      'session db/versions/a_fk.py:7',
      'account db/versions/a_fk.py:8',
      'user db/versions/a_fk.py:9',
    ])
    // the backend's own "user" table: its keys point at it, not at Better Auth's
    expect(
      refs({
        'versions/1.py': "op.create_table('user', sa.Column('id', sa.String()))\nsa.ForeignKey('user.id')\n",
      }),
    ).toEqual([])
    expect(refs({ 'versions/1.py': "sa.ForeignKey('users.id')\nsa.ForeignKey('user_profile.id')\n" })).toEqual([])
    // a migrate module creates the models' tables: every Python file counts, and a model named "user" is the app's own
    const module: Migration = { kind: 'module', command: ['python', '-m', 'migrate'] }
    expect(refs({ 'models.py': 'user_id: str = Field(foreign_key="user.id")\n' }, module)).toEqual(['user models.py:1'])
    expect(
      refs(
        {
          'models.py':
            'class User(SQLModel, table=True):\n    __tablename__ = "user"\nx = Field(foreign_key="user.id")\n',
        },
        module,
      ),
    ).toEqual([])
    // create_all runs in the app, not in the Job: nothing to order
    expect(refs({ 'versions/1.py': "sa.ForeignKey('user.id')\n" }, { kind: 'create_all' })).toEqual([])
  })

  it('code that asks the database for TLS: a pg Pool ssl option, connect_args sslmode/ssl; a conditional or none is not', () => {
    const asks = (files: Record<string, string>) => databaseTls(tree(files)).map(where)
    expect(
      asks({
        'lib/auth.ts':
          'const pool = new Pool({\n  connectionString: process.env.DATABASE_URL,\n  ssl: { rejectUnauthorized: false },\n})\n',
        'lib/other.ts': "export const sql = postgres(url, { ssl: 'require' })\n",
        'db.py': 'connect_args = {}\nif "sslmode" not in connect_args:\n    connect_args["sslmode"] = "require"\n',
        'src/db.py': 'engine = create_async_engine(url, connect_args={"ssl": True})\n',
      }),
    ).toEqual(['lib/auth.ts:3', 'lib/other.ts:1', 'db.py:3', 'src/db.py:1'])
    expect(
      asks({
        'lib/auth.ts': "const pool = new Pool({ ssl: process.env.DATABASE_URL?.includes('neon.tech') })\n",
        'db.py': 'engine = create_engine(url, pool_pre_ping=True)\n',
        // a test's own connection is not the app's
        'tests/test_db.py': 'connect_args={"sslmode": "require"}\n',
      }),
    ).toEqual([])
  })

  it('files written next to the code: a literal path, or one from a variable with its default', () => {
    expect(fileWrites(plain.be).map((w) => [w.target, w.variable, where(w.from)])).toEqual([
      ['app.log', null, 'main.py:12'],
    ])
    expect(fileWrites(uv.be).map((w) => [w.target, w.variable, where(w.from)])).toEqual([
      ['logs/api.log', 'LOG_FILE', 'app/main.py:10'],
    ])
    expect(
      fileWrites(tree({ 'a.py': 'open("/tmp/x", "w")\nopen("data/out.json", "w")\nopen("in.txt")\n' })).map(
        (w) => w.target,
      ),
    ).toEqual(['data/out.json'])
  })
})

describe('environment variables the apps read', () => {
  it('pydantic-settings fields (list → JSON list, defaults → optional), with env_prefix and aliases', () => {
    const reads = pythonEnvReads(plain.be)
    expect(reads.map((r) => [r.name, r.kind, r.format, r.optional, at(r.from)])).toEqual([
      ['BETTER_AUTH_SECRET', 'secret', 'text', false, ['config.py:8']],
      ['CORS_ORIGINS', 'runtime', 'json-list', true, ['config.py:9']],
      ['DATABASE_URL', 'secret', 'text', false, ['config.py:7']],
      ['DEBUG', 'runtime', 'text', true, ['config.py:10']],
    ])
    const prefixed = tree({
      's.py':
        'class S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix="TODO_")\n    db_url: str\n    origins: List[str] = []\n    key: str = Field(alias="OPENAI_API_KEY")\n',
    })
    expect(pythonEnvReads(prefixed).map((r) => [r.name, r.format, r.optional])).toEqual([
      ['OPENAI_API_KEY', 'text', false],
      ['TODO_DB_URL', 'text', false],
      ['TODO_ORIGINS', 'json-list', true],
    ])
    // Field( with its arguments on the lines below: required unless one of them is a default
    const multiline = tree({
      's.py': [
        'class Settings(BaseSettings):',
        '    openai_api_key: str = Field(',
        '        ...,',
        '        description="OpenAI API key (for ChatKit)",',
        '    )',
        '    app_name: str = Field(',
        '        default="Todo API",',
        '    )',
        '    region: str = Field(',
        '        "eu",',
        '    )',
        '    token: str = Field(',
        '        description="no default",',
        '    )',
        '',
      ].join('\n'),
    })
    expect(pythonEnvReads(multiline).map((r) => [r.name, r.optional])).toEqual([
      ['APP_NAME', true],
      ['OPENAI_API_KEY', false],
      ['REGION', true],
      ['TOKEN', false],
    ])
  })

  it('a getenv the code tests for is optional; `if not X: raise` is a check that it is set', () => {
    const dir = tree({
      'runner.py': [
        'def url():',
        '    if os.getenv("MCP_SERVER_URL"):',
        '        return os.getenv("MCP_SERVER_URL")',
        '    hf_url = os.getenv("HF_SPACE_URL")',
        '    if hf_url:',
        '        return hf_url',
        '    region = os.getenv("REGION") or "eu"',
        '    key = os.getenv("API_KEY")',
        '    if not key:',
        '        raise ValueError("API_KEY is required")',
        '    if not os.getenv("TOKEN"):',
        '        raise RuntimeError("TOKEN")',
        '    os.environ["OPENAI_API_KEY"] = settings.OPENAI_API_KEY',
        '    if os.environ["MODE"] == "x": pass',
        '    db = os.getenv("DATABASE_URL")',
        '    return create_engine(db)',
        '',
      ].join('\n'),
    })
    expect(pythonEnvReads(dir).map((r) => [r.name, r.optional])).toEqual([
      ['API_KEY', false],
      ['DATABASE_URL', false],
      ['HF_SPACE_URL', true],
      ['MCP_SERVER_URL', true],
      ['MODE', false],
      ['REGION', true],
      ['TOKEN', false],
    ])
  })

  it('a key read only in a branch another setting selects is optional, named with that setting; the default branch is not', () => {
    const dir = tree({
      'factory.py': [
        'def create_model(provider=None):',
        '    provider = provider or os.getenv("LLM_PROVIDER", "openai").lower()',
        '    if provider == "gemini":',
        '        if env_path.exists():',
        '            load_dotenv(env_path)',
        '        api_key = os.getenv("GEMINI_API_KEY")',
        '        if not api_key:',
        '            raise ValueError("GEMINI_API_KEY is required")',
        '    elif provider == "openai":',
        '        api_key = os.getenv("OPENAI_API_KEY")',
        '        if not api_key:',
        '            raise ValueError("OPENAI_API_KEY is required")',
        '',
        'def store():',
        '    backend = os.getenv("STORE")',
        '    if backend == "s3":',
        '        return os.getenv("S3_TOKEN")',
        '    if mode == "x":',
        '        return os.getenv("UNKNOWN_SOURCE_TOKEN")',
        '',
      ].join('\n'),
    })
    expect(pythonEnvReads(dir).map((r) => [r.name, r.optional, r.when])).toEqual([
      ['GEMINI_API_KEY', true, 'LLM_PROVIDER=gemini'],
      ['LLM_PROVIDER', true, undefined],
      ['OPENAI_API_KEY', false, undefined],
      // STORE has no default: no branch is the default one
      ['S3_TOKEN', true, 'STORE=s3'],
      ['STORE', false, undefined],
      // a branch on a name that is not a setting says nothing
      ['UNKNOWN_SOURCE_TOKEN', false, undefined],
    ])
  })

  it('os.getenv / os.environ[...] (comma split → comma list)', () => {
    const reads = pythonEnvReads(uv.be)
    const get = (n: string) => reads.find((r) => r.name === n)
    expect(get('GEMINI_API_KEY')).toMatchObject({ kind: 'secret', optional: false })
    expect(at(get('GEMINI_API_KEY')?.from)).toEqual(['app/core/config.py:5'])
    expect(get('JWT_SECRET')?.kind).toBe('secret')
    expect(get('ALLOWED_ORIGINS')).toMatchObject({ kind: 'runtime', format: 'comma-list', optional: true })
    expect(get('DATABASE_URL')).toMatchObject({ optional: false })
    expect(get('LOG_FILE')).toMatchObject({ optional: true })
  })

  it('process.env in the frontend: NEXT_PUBLIC_* is build time; a client component is marked', () => {
    const reads = jsEnvReads(plain.fe)
    expect(reads.map((r) => [r.name, r.kind, r.client, at(r.from)])).toEqual([
      ['BETTER_AUTH_SECRET', 'secret', false, ['lib/auth.ts:7']],
      ['BETTER_AUTH_URL', 'runtime', false, ['lib/auth.ts:8']],
      ['DATABASE_URL', 'secret', false, ['lib/auth.ts:6']],
      ['NEXT_PUBLIC_API_URL', 'build', true, ['components/TaskList.tsx:5']],
    ])
    expect(jsEnvReads(tree({ 'a.ts': 'const u = process.env["API_URL"] ?? "x"\n' }))).toMatchObject([
      { name: 'API_URL', optional: true },
    ])
    // tested for, so the code expects it may be unset (billy-pk's VERCEL_URL): optional, its use in the branch too
    const vercel = tree({
      'lib/auth.ts':
        'const base = process.env.BETTER_AUTH_URL ||\n  (process.env.VERCEL_URL ? `https://${process.env.VERCEL_URL}` : "http://localhost:3000")\n',
      'lib/origins.ts':
        'if (process.env.EXTRA_ORIGIN) origins.push(process.env.EXTRA_ORIGIN)\nconst k = process.env.API_KEY\n',
    })
    expect(jsEnvReads(vercel).map((r) => [r.name, r.optional])).toEqual([
      ['API_KEY', false],
      ['BETTER_AUTH_URL', true],
      ['EXTRA_ORIGIN', true],
      ['VERCEL_URL', true],
    ])
    expect([classify('OPENAI_API_KEY'), classify('NEXT_PUBLIC_SECRET_THING'), classify('LOG_LEVEL')]).toEqual([
      'secret',
      'build',
      'runtime',
    ])
  })

  it('the variables the code hands a constructor directly (what an SDK means by "pass it to the constructor")', () => {
    const dir = tree({
      'src/lib/email.ts': "import { Resend } from 'resend'\nconst resend = new Resend(process.env.RESEND_API_KEY);\n",
      'src/lib/other.ts': 'const r = new Resend(key)\nconst s = new Stripe(process.env.STRIPE_KEY)\n',
    })
    expect(constructorEnvArgs(dir, 'Resend')).toEqual(['RESEND_API_KEY'])
    expect(constructorEnvArgs(dir, 'Stripe')).toEqual(['STRIPE_KEY'])
    expect(constructorEnvArgs(dir, 'Pool')).toEqual([])
  })
})

describe('frontend', () => {
  it('package manager from the lock file', () => {
    expect([packageManager(plain.fe)?.value, packageManager(uv.fe)?.value, packageManager(und.fe)?.value]).toEqual([
      'pnpm',
      'npm',
      'yarn',
    ])
    expect(at(packageManager(plain.fe)?.from)).toEqual(['pnpm-lock.yaml:1'])
  })
  it('Node version from .nvmrc (exact) or engines (a lower bound)', () => {
    expect(nodeVersion(uv.fe)).toMatchObject({ value: { major: 22, exact: true } })
    expect(at(nodeVersion(uv.fe)?.from)).toEqual(['.nvmrc:1'])
    expect(nodeVersion(plain.fe)).toMatchObject({ value: { major: 20, exact: false, spec: '>=20' } })
    expect(at(nodeVersion(plain.fe)?.from)).toEqual(['package.json:6'])
    expect(nodeVersion(tree({ 'package.json': '{"engines":{"node":"20.x"}}' }))?.value).toMatchObject({
      major: 20,
      exact: true,
    })
    expect(nodeVersion(und.fe)).toBeNull()
  })
  it('standalone output, health route, Better Auth, migrate.mjs', () => {
    expect(standaloneOutput(uv.fe)).toMatchObject({ value: true })
    expect(at(standaloneOutput(uv.fe).from)).toEqual(['next.config.mjs:3'])
    expect(standaloneOutput(plain.fe).value).toBe(false)
    const commented = tree({
      'next.config.ts':
        '// no `output: "standalone"` here\n/* output: \'standalone\' */\nexport default { images: { domains: ["https://x.example"] } }\n',
    })
    expect(standaloneOutput(commented).value).toBe(false)
    const afterComment = tree({
      'next.config.ts': '/** standalone build */\nexport default { output: "standalone" } // for Docker\n',
    })
    expect(at(standaloneOutput(afterComment).from)).toEqual(['next.config.ts:2'])
    expect(frontendHealth(uv.fe)).toMatchObject({ value: '/api/health' })
    expect(at(frontendHealth(uv.fe)?.from)).toEqual(['app/api/health/route.ts:1'])
    expect(frontendHealth(plain.fe)).toBeNull()
    expect(at(betterAuth(plain.fe)?.from)).toEqual(['package.json:5'])
    expect(betterAuth(und.fe)).toBeNull()
    expect(migrateScript(uv.fe)?.value).toBe('migrate.mjs')
    expect(migrateScript(plain.fe)).toBeNull()
  })
  it('how the browser reaches the backend: direct (NEXT_PUBLIC_*), a server-side proxy, next.config rewrites', () => {
    const direct = backendAccess(plain.fe, jsEnvReads(plain.fe))
    expect(direct.map((a) => [a.how, 'variable' in a ? a.variable : null, at(a.from)])).toEqual([
      ['direct', 'NEXT_PUBLIC_API_URL', ['components/TaskList.tsx:5']],
    ])
    const proxy = backendAccess(uv.fe, jsEnvReads(uv.fe))
    expect(proxy.map((a) => [a.how, a.variable, at(a.from)])).toEqual([
      ['proxy', 'API_BASE_URL', ['app/api/proxy/[...path]/route.ts:3']],
    ])
    const rewrites = backendAccess(und.fe, jsEnvReads(und.fe))
    expect(rewrites.map((a) => [a.how, a.variable, at(a.from)])).toEqual([
      ['rewrites', 'BACKEND_URL', ['next.config.js:3']],
    ])
  })
  it("a rewrite the app's browser code goes through: its prefix, the destination and the variable next build read", () => {
    // the shape of a real app (shazilk-dev): /backend/* on the frontend to NEXT_PUBLIC_API_URL, which the page's
    // client calls as `${window.location.origin}/backend`
    const nextConfig = [
      'const config = {',
      '  async rewrites() {',
      '    const backendUrl = process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000";',
      '    return [',
      '      {',
      '        source: "/backend/:path*",',
      '        destination: `${backendUrl}/:path*`,',
      '      },',
      '    ];',
      '  },',
      '};',
      'export default config;',
      '',
    ].join('\n')
    const client = 'const API_URL = typeof window !== "undefined" ? `${window.location.origin}/backend` : "x";\n'
    const used = tree({ 'next.config.ts': nextConfig, 'lib/api.ts': client })
    expect(backendRewrite(used)).toEqual({
      prefix: '/backend',
      strip: '',
      destination: '${backendUrl}/:path*',
      variable: 'NEXT_PUBLIC_API_URL',
      from: { file: 'next.config.ts', line: 6, text: 'source: "/backend/:path*",' },
    })
    // a literal URL with a path: the part before :path* is what the backend sees in front of the rest
    const literal = tree({
      'next.config.js': nextConfig.replace('`${backendUrl}/:path*`', "'http://api:8000/api/:path*'"),
      'app/page.tsx': "fetch('/backend/tasks')\n",
    })
    // (and no variable: next build reads none for it, whatever else the config reads)
    expect(backendRewrite(literal)).toMatchObject({
      prefix: '/backend',
      strip: '/api',
      variable: null,
    })
    // no code names the prefix: not the way the app's pages go (and the app's own route stays the app's)
    expect(backendRewrite(tree({ 'next.config.ts': nextConfig, 'lib/api.ts': 'fetch("/api/tasks")\n' }))).toBeNull()
    expect(
      backendRewrite(
        tree({
          'next.config.ts': nextConfig.replace('`${backendUrl}/:path*`', "'/api/:path*'"),
          'lib/a.ts': "'/backend/x'",
        }),
      ),
    ).toBeNull()
  })
})

describe('reading the app', () => {
  it('follows a link inside the app, never one that leads out of it', () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'kit-links-'))
    const app = path.join(base, 'app')
    mkdirSync(path.join(app, 'config'), { recursive: true })
    writeFileSync(path.join(base, 'outside.txt'), 'root:secret-hash:19000:0:99999:7:::\n')
    writeFileSync(path.join(app, 'config', 'real.json'), '{"ok":true}\n')
    symlinkSync(path.join(base, 'outside.txt'), path.join(app, 'package.json'))
    symlinkSync('config/real.json', path.join(app, 'inside.json'))
    expect(readText(app, 'package.json')).toBeNull()
    expect(readText(app, 'inside.json')).toBe('{"ok":true}\n')
    expect(readText(app, '../outside.txt')).toBeNull()
    expect(packageManager(app)).not.toMatchObject({ value: expect.stringContaining('secret') })
  })
})
