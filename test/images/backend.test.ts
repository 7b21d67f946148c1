// backend-docker/Dockerfile, proven by real builds and runs: the reference app against a real PostgreSQL, fixture apps
// in other layouts, secrets kept out of the image, and dependency layers reused after a source change.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { $ } from 'zx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertDockerReady,
  backendDockerfile as dockerfile,
  build,
  cleanup,
  copyApp,
  exec,
  exportContains,
  freePort,
  root,
  runId,
  start,
  step,
  stopSeconds,
  tagFor,
  waitForHttp,
  type Build,
} from './lib/docker.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'
import { expectNoFakeSecrets, fakeSecrets, writeFakeEnvFiles } from './lib/secrets.ts'

const fixtures = join(root, 'test/images/fixtures')
let app: string
let ref: Build
let db: TestDatabase

beforeAll(async () => {
  await assertDockerReady()
  db = createTestDatabase('images_backend')
  app = copyApp(join(root, 'app/backend'))
  writeFakeEnvFiles(app)
  ref = await build({ dockerfile, context: app, tag: tagFor('backend') })
})

afterAll(async () => {
  await cleanup()
  db?.drop()
})

describe('backend image: reference app', () => {
  it('runs as a numeric non-root user with the venv python first on PATH', async () => {
    const r = await exec(ref.tag, ['sh', '-c', 'echo "$(id -u):$(id -g) $(command -v python)"'])
    expect(r.code).toBe(0)
    const [ids = '', python] = r.out.trim().split(' ')
    const [uid, gid] = ids.split(':').map(Number)
    expect(uid).not.toBe(0)
    expect(uid).toBeGreaterThanOrEqual(10000)
    expect(gid).toBeGreaterThanOrEqual(10000)
    expect(python).toBe('/opt/venv/bin/python')
  })

  it('migrates (python -m app.migrate, twice: idempotent) against a real PostgreSQL', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await exec(ref.tag, ['python', '-m', 'app.migrate'], {
        env: { DATABASE_URL: db.url },
        hostNetwork: true,
      })
      expect(r.code, r.out).toBe(0)
    }
  })

  it('answers /health and /ready with 200 on a read-only root filesystem, and exits promptly on SIGTERM', async () => {
    const port = await freePort()
    const id = await start(ref.tag, {
      env: {
        DATABASE_URL: db.url,
        PORT: String(port),
        JWT_ISSUER: 'http://todo.local',
        JWT_AUDIENCE: 'http://todo.local',
      },
      hostNetwork: true,
      readOnly: true,
      tmpfs: ['/tmp'],
    })
    const health = await waitForHttp(`http://127.0.0.1:${port}/health`, id)
    expect(health.status, health.body).toBe(200)
    const ready = await fetch(`http://127.0.0.1:${port}/ready`)
    expect(ready.status, await ready.text()).toBe(200)
    // uvicorn as PID 1 shuts down on SIGTERM; ignoring it would run into docker's 10 s kill timeout.
    expect(await stopSeconds(id)).toBeLessThan(8)
  })

  it('reports not ready (503) while the database is unreachable', async () => {
    const port = await freePort()
    const dead = `postgresql://postgres:postgres@127.0.0.1:${await freePort()}/postgres`
    const id = await start(ref.tag, { env: { DATABASE_URL: dead, PORT: String(port) }, hostNetwork: true })
    expect((await waitForHttp(`http://127.0.0.1:${port}/health`, id)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503)
  })

  it('keeps the .env secrets of the app dir out of history, config env and every file', async () => {
    await expectNoFakeSecrets(ref.tag, app)
  })

  it('labels the image (OCI source/version) without invalidating cached layers', async () => {
    const labelled = await build({
      dockerfile,
      context: app,
      tag: tagFor('backend-labelled'),
      args: { SOURCE_URL: 'https://example.com/todo.git', VERSION: 'h-0123456789ab' },
    })
    const labels = JSON.parse(
      (await $({ quiet: true })`docker image inspect -f ${'{{json .Config.Labels}}'} ${labelled.tag}`).stdout,
    )
    expect(labels['org.opencontainers.image.source']).toBe('https://example.com/todo.git')
    expect(labels['org.opencontainers.image.version']).toBe('h-0123456789ab')
    expect(step(labelled, /^\[stage-\d+\s+\d+\/\d+\] COPY --from=build \/opt\/venv/).cached).toBe(true)
  })

  // How much faster that is: npm run bench:images (a cold --no-cache build beside the warm one), not a timed test.
  it('rebuilds a one-line source change with the dependency layers cached', async () => {
    appendFileSync(join(app, 'app/main.py'), `\n# touched by the image tests ${Date.now()}\n`)
    const warm = await build({ dockerfile, context: app, tag: tagFor('backend-warm') })
    expect(step(warm, /uv sync --locked --no-dev --no-install-project/).cached).toBe(true)
    expect(step(warm, /\[build\s+\d+\/\d+\] RUN .*apt-get install/).cached).toBe(true)
    expect(step(warm, /\[build\s+\d+\/\d+\] COPY \. \./).cached).toBe(false)
    // the venv layer itself is reused, so a new image adds only the app source layer
    expect(step(warm, /\[stage-\d+\s+\d+\/\d+\] COPY --from=build \/opt\/venv/).cached).toBe(true)
  })
})

describe('backend image: other app layouts', () => {
  it('requirements.txt with main:app in the root, psycopg2 compiled from source; a broken test file does not stop it', async () => {
    const ctx = copyApp(join(fixtures, 'backend-requirements'))
    writeFakeEnvFiles(ctx)
    // as in a real app (abdulhadi453): a test the server never imports that Python cannot parse
    mkdirSync(join(ctx, 'tests'), { recursive: true })
    writeFileSync(join(ctx, 'tests', 'test_unfinished.py'), 'def test_x(:\n    pass\n')
    const b = await build({ dockerfile, context: ctx, tag: tagFor('backend-requirements') })
    // the server's own code is byte-compiled, the tests are not
    const pyc = await exec(b.tag, ['sh', '-c', 'ls __pycache__ tests/__pycache__ 2>&1 | grep -c "cpython" || true'])
    expect(Number(pyc.out.trim())).toBeGreaterThan(0)
    expect((await exec(b.tag, ['sh', '-c', 'ls tests/__pycache__ 2>/dev/null | wc -l'])).out.trim()).toBe('0')
    // build tools stay in the build stage; the runtime library psycopg2 links against comes along
    const tools = await exec(b.tag, [
      'sh',
      '-c',
      'command -v gcc || echo no-gcc; dpkg -s libpq5 >/dev/null && echo libpq5',
    ])
    expect(tools.out).toContain('no-gcc')
    expect(tools.out).toContain('libpq5')
    const port = await freePort()
    const id = await start(b.tag, {
      env: { APP_MODULE: 'main:app', PORT: String(port) },
      hostNetwork: true,
      readOnly: true,
      tmpfs: ['/tmp'],
    })
    const r = await waitForHttp(`http://127.0.0.1:${port}/health`, id)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ layout: 'requirements' })
    expect(JSON.parse(r.body).psycopg2).toMatch(/^2\.9/)
    expect((await exportContains(b.tag, fakeSecrets)).found).toEqual([])
  })

  it('DEPS_AS_OF: a requirements.txt of ranges installs what they allowed that day (SQLAlchemy 2.0 with greenlet), not today', async () => {
    const ctx = copyApp(join(fixtures, 'backend-requirements'))
    // ranges only, as most apps without a lock file have them; SQLAlchemy 2.1 (September 2026) no longer brings
    // greenlet, which its asyncio extension needs, so an app written in January and built today breaks at startup
    writeFileSync(join(ctx, 'requirements.txt'), 'fastapi>=0.115\nuvicorn>=0.30\nsqlalchemy>=2.0\n')
    const b = await build({
      dockerfile,
      context: ctx,
      tag: tagFor('backend-deps-as-of'),
      args: { DEPS_AS_OF: '2026-01-02' },
    })
    expect(b.output).toContain('backend-docker: the newest versions as of 2026-01-02 (DEPS_AS_OF)')
    const v = await exec(b.tag, [
      'python',
      '-c',
      'import importlib.util, sqlalchemy; print(sqlalchemy.__version__, importlib.util.find_spec("greenlet") is not None)',
    ])
    expect(v.out.trim()).toMatch(/^2\.0\.\d+ True$/)
  })

  it("DEPS_FROM=pyproject: pyproject.toml's [project] list is installed, not a requirements.txt left behind beside it", async () => {
    const ctx = copyApp(join(fixtures, 'backend-requirements'))
    // as in apps whose requirements.txt stopped being updated when pyproject.toml took over (a later package missing)
    writeFileSync(join(ctx, 'requirements.txt'), 'fastapi>=0.115,<1\nuvicorn>=0.30,<1\n')
    writeFileSync(
      join(ctx, 'pyproject.toml'),
      '[project]\nname = "api"\nversion = "0.1.0"\ndependencies = [\n  "fastapi>=0.115,<1",\n  "uvicorn[standard]>=0.30,<1",\n  "six>=1.16",\n]\n',
    )
    const b = await build({
      dockerfile,
      context: ctx,
      tag: tagFor('backend-deps-from'),
      args: { DEPS_FROM: 'pyproject' },
    })
    const v = await exec(b.tag, ['python', '-c', 'import six, uvloop; print("ok")'])
    expect(v.out.trim()).toBe('ok')
  })

  it("DEPS_FROM=pyproject beside a uv.lock out of date: pyproject.toml's list is installed, not the lock", async () => {
    const ctx = copyApp(join(root, 'app/backend'))
    // a package added to pyproject.toml and never locked: uv sync --locked stops on this lock
    const py = readFileSync(join(ctx, 'pyproject.toml'), 'utf8')
    writeFileSync(
      join(ctx, 'pyproject.toml'),
      py.replace('"openai-agents>=0.1",', '"openai-agents>=0.1",\n    "six>=1.16",'),
    )
    const b = await build({
      dockerfile,
      context: ctx,
      tag: tagFor('backend-stale-lock'),
      args: { DEPS_FROM: 'pyproject' },
    })
    // built at all: uv sync --locked stops on this lock (the step's output is not asserted: a cached build prints none)
    const v = await exec(b.tag, ['python', '-c', 'import six, fastapi, agents; print("ok")'])
    expect(v.out.trim()).toBe('ok')
  })

  it('pyproject.toml (pip) with a src layout at src.main:app', async () => {
    const b = await build({ dockerfile, context: join(fixtures, 'backend-src-layout'), tag: tagFor('backend-src') })
    const port = await freePort()
    const id = await start(b.tag, { env: { APP_MODULE: 'src.main:app', PORT: String(port) }, hostNetwork: true })
    const r = await waitForHttp(`http://127.0.0.1:${port}/health`, id)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ layout: 'src' })
  })

  it('fails with a message naming the fix when the app dir has no dependency manifest', async () => {
    const empty = copyApp(join(fixtures, 'backend-src-layout'))
    writeFileSync(join(empty, 'pyproject.toml.bak'), '')
    await $({ quiet: true })`rm ${join(empty, 'pyproject.toml')}`
    await expect(build({ dockerfile, context: empty, tag: tagFor('backend-empty') })).rejects.toThrow(
      /no uv.lock, requirements.txt or pyproject.toml[\s\S]*fix:/,
    )
  })
})
