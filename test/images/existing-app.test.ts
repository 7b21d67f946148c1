// Apps users arrive with and must not change, built as they are: init reads the fixture apps, the build args the kit
// derives from the .env init wrote build them with the kit's Dockerfiles, and each image answers the health routes
// init inferred, run with the environment init inferred (the backend against a real PostgreSQL).
//   frontend-config-ts: npm, next.config.ts without standalone output, better-sqlite3 (native) in devDependencies,
//                       tsconfig "@/*" -> "./*" with both hooks/ and app/hooks/
//   backend-poetry:     a Poetry pyproject (no [project]) next to requirements.txt, Python pinned in runtime.txt
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { parse as parseYaml } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../../scripts/lib/config.ts'
import {
  assertDockerReady,
  build,
  cleanup,
  copyApp,
  exec,
  freePort,
  imageSizeMb,
  logs,
  nodeImage,
  nodeImageWithHeaders,
  pythonImage,
  root,
  start,
  stopSeconds,
  tagFor,
  waitForHttp,
  type Build,
} from './lib/docker.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'

type EnvVar = { name: string; value?: string }
type Values = {
  frontend: { probes: Record<string, { path: string }> }
  backend: { extraEnv: EnvVar[]; probes: Record<string, { path: string }> }
}

const fixtures = join(root, 'test/images/fixtures')
// What the chart mounts as emptyDirs for the frontend: the only writable paths.
const writable = ['/tmp', '/app/.next/cache:uid=10001,gid=10001']

let fe: string
let be: string
let envFile: string
let initOut: string
let env: Record<string, string>
let values: Values
let cfg: Config
let nodeBase: string
let db: TestDatabase

beforeAll(async () => {
  await assertDockerReady([nodeImage, pythonImage])
  nodeBase = await nodeImageWithHeaders()
  db = createTestDatabase('images_existing')
  fe = copyApp(join(fixtures, 'frontend-config-ts'))
  be = copyApp(join(fixtures, 'backend-poetry'))
  const dir = mkdtempSync(join(tmpdir(), 'images-existing-env-'))
  envFile = join(dir, '.env')
  writeFileSync(envFile, '')
  initOut = execFileSync(
    process.execPath,
    [join(root, 'scripts/init.ts'), '--frontend', fe, '--backend', be, '--env-path', envFile],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  env = parseDotenv(readFileSync(envFile, 'utf8'))
  values = parseYaml(readFileSync(join(dir, '.kit/app-values.yaml'), 'utf8')) as Values
  // No registry here: the local stand-ins take the place of the public images init names (the environment wins).
  const standIns: Record<string, string> = { 'python:3.13-slim': pythonImage, 'node:24-slim': nodeBase }
  cfg = loadConfig({
    env: {
      PYTHON_IMAGE: standIns[env.PYTHON_IMAGE ?? ''] ?? env.PYTHON_IMAGE ?? '',
      NODE_IMAGE: standIns[env.NODE_IMAGE ?? 'node:24-slim']!,
    },
    envFile,
    checkPaths: false,
  })
})

afterAll(async () => {
  await cleanup()
  db?.drop()
  if (envFile) rmSync(join(envFile, '..'), { recursive: true, force: true })
})

describe('init on apps that must stay unchanged', () => {
  it('proposes the base image the app pins, the ASGI module and the health routes', () => {
    expect(env.FRONTEND_DIR).toBeTruthy()
    expect(env.BACKEND_DIR).toBeTruthy()
    expect(env.PYTHON_IMAGE).toBe('python:3.13-slim') // runtime.txt: python-3.13.5
    expect(env.FRONTEND_SIZE_BUDGET_MB).toBeUndefined() // the user's app: its size is reported, not judged
    expect(initOut).toMatch(/Python version: 3\.13 .*runtime\.txt:1/)
    expect(initOut).toMatch(/dependencies: pip install -r requirements\.txt/)
    expect(initOut).toMatch(/frontend output: not standalone: the image runs `next start`/)
    expect(values.backend.extraEnv).toContainEqual({ name: 'APP_MODULE', value: 'app.main:app' })
    expect(values.backend.probes.liveness!.path).toBe('/healthz')
    expect(values.backend.probes.readiness!.path).toBe('/readyz')
    expect(values.frontend.probes.readiness!.path).toBe('/api/health')
    expect(cfg.backend.buildArgs).toEqual({ PYTHON_IMAGE: pythonImage })
  })
})

describe('backend image: a Poetry pyproject next to requirements.txt', () => {
  let b: Build

  beforeAll(async () => {
    b = await build({
      dockerfile: cfg.backend.dockerfile,
      context: cfg.backend.contextDir,
      tag: tagFor('existing-backend'),
      args: cfg.backend.buildArgs,
    })
  })

  it('installs requirements.txt and never the Poetry project itself', async () => {
    expect(b.steps.some((st) => st.name.startsWith('[python-check'))).toBe(true)
    expect(b.output).not.toMatch(/poetry-core|Building wheel for todo-api/)
    const r = await exec(b.tag, [
      'python',
      '-c',
      'import importlib.metadata as m; print(sorted(d.metadata["Name"].lower() for d in m.distributions()))',
    ])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain("'fastapi'")
    expect(r.out).toContain("'psycopg'")
    expect(r.out).not.toContain('todo-api')
  })

  it('answers the liveness and readiness routes init found, with the env init inferred and a real PostgreSQL', async () => {
    const port = await freePort()
    const appEnv = Object.fromEntries(
      values.backend.extraEnv.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
    )
    const id = await start(b.tag, {
      env: { ...appEnv, DATABASE_URL: db.url, PORT: String(port) },
      hostNetwork: true,
      readOnly: true,
      tmpfs: ['/tmp'],
    })
    const live = await waitForHttp(`http://127.0.0.1:${port}${values.backend.probes.liveness!.path}`, id)
    expect(live.status, live.body).toBe(200)
    expect(JSON.parse(live.body)).toMatchObject({ layout: 'poetry-requirements' })
    const ready = await fetch(`http://127.0.0.1:${port}${values.backend.probes.readiness!.path}`)
    expect(ready.status, await ready.text()).toBe(200)
    expect(await stopSeconds(id)).toBeLessThan(8)
  })
})

describe('backend image: the Python version comes from the app', () => {
  // Each stops in the python-check stage, seconds into the build, before any dependency is installed.
  const cases: [string, (dir: string) => void, RegExp][] = [
    [
      '.python-version',
      (d) => writeFileSync(join(d, '.python-version'), '3.12.4\n'),
      /pins Python 3\.12 \(\.python-version\)/,
    ],
    [
      'runtime.txt',
      (d) => writeFileSync(join(d, 'runtime.txt'), 'python-3.12.4\n'),
      /pins Python 3\.12 \(runtime\.txt\)/,
    ],
    [
      'requires-python',
      (d) =>
        writeFileSync(
          join(d, 'pyproject.toml'),
          '[project]\nname = "pinned"\nversion = "0.1.0"\nrequires-python = ">=3.10,<3.13"\ndependencies = ["fastapi"]\n',
        ),
      /pins Python 3\.12 \(requires-python = ">=3\.10,<3\.13" in pyproject\.toml\)/,
    ],
  ]
  for (const [file, write, cause] of cases) {
    it(`a ${file} pin the base image lacks fails early, naming the file and the PYTHON_IMAGE to set`, async () => {
      const ctx = copyApp(join(fixtures, 'backend-poetry'))
      rmSync(join(ctx, 'runtime.txt'))
      write(ctx)
      const err = await build({
        dockerfile: cfg.backend.dockerfile,
        context: ctx,
        tag: tagFor(`pin-${file.replace(/\W/g, '')}`),
        args: cfg.backend.buildArgs,
      }).then(
        () => '',
        (e: Error) => e.message,
      )
      expect(err).toMatch(cause)
      expect(err).toContain(`but PYTHON_IMAGE=${pythonImage} has 3.13.`)
      expect(err).toContain(`fix: set PYTHON_IMAGE=${pythonImage.replace('3.13', '3.12')} in .env`)
      expect(err).not.toMatch(/pip install|Collecting /)
    })
  }

  it('a uv app pinning a Python the image lacks fails the same way, and uv downloads no Python', async () => {
    const ctx = copyApp(join(root, 'app/backend'))
    writeFileSync(join(ctx, '.python-version'), '3.12\n')
    const err = await build({
      dockerfile: cfg.backend.dockerfile,
      context: ctx,
      tag: tagFor('pin-uv'),
      args: cfg.backend.buildArgs,
    }).then(
      () => '',
      (e: Error) => e.message,
    )
    expect(err).toMatch(/pins Python 3\.12 \(\.python-version\) but PYTHON_IMAGE=/)
    expect(err).not.toMatch(/Downloading cpython|uv sync/)
  })
})

describe('frontend image: next.config.ts, no standalone output, a native devDependency', () => {
  let b: Build

  beforeAll(async () => {
    b = await build({
      dockerfile: cfg.frontend.dockerfile,
      context: cfg.frontend.contextDir,
      tag: tagFor('existing-frontend'),
      args: cfg.frontend.buildArgs,
    })
  })

  it('compiles better-sqlite3 with the build-stage toolchain, which no final layer carries', async () => {
    const r = await exec(b.tag, [
      'sh',
      '-c',
      'for t in g++ make python3; do command -v $t || echo "no-$t"; done; ls node_modules/better-sqlite3 2>&1; id -u',
    ])
    expect(r.out).toContain('no-g++')
    expect(r.out).toContain('no-make')
    expect(r.out).toContain('no-python3')
    expect(r.out).toMatch(/better-sqlite3'?: No such file/) // a devDependency: pruned
    expect(Number(r.out.trim().split('\n').at(-1))).toBeGreaterThanOrEqual(10000)
  })

  it('without the toolchain, npm ci of the same app fails: the build-stage packages are what make it work', async () => {
    const err = await build({
      dockerfile: cfg.frontend.dockerfile,
      context: cfg.frontend.contextDir,
      tag: tagFor('existing-frontend-notools'),
      args: { ...cfg.frontend.buildArgs, BUILD_PACKAGES: '' },
    }).then(
      () => '',
      (e: Error) => e.message,
    )
    expect(err).toMatch(/gyp ERR! cwd \/app\/node_modules\/better-sqlite3/)
    expect(err).toMatch(/gyp ERR! (find Python|not found: make)/)
  })

  it("keeps typescript for next.config.ts, loads it with Node's type stripping and ships no @next/swc-* compiler", async () => {
    const r = await exec(b.tag, [
      'sh',
      '-c',
      'cat server.js; test -f node_modules/typescript/package.json && echo typescript-kept; find node_modules -maxdepth 3 -path "*@next/swc-*" | head -3; find node_modules -name "*.js.map" | head -3; ls -A .next/cache | wc -l',
    ])
    expect(r.out).toContain("'--experimental-next-config-strip-types'")
    expect(r.out).toContain('typescript-kept')
    expect(r.out).not.toContain('@next/swc-')
    expect(r.out).not.toContain('.map')
    expect(r.out.trim().split('\n').at(-1)).toBe('0') // no build cache shipped
  })

  it('answers its health route on a read-only root filesystem, with "@/hooks" resolved to the root hooks/ folder', async () => {
    const port = await freePort()
    const id = await start(b.tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}${values.frontend.probes.readiness!.path}`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ layout: 'config-ts-next-start', hooksDir: 'root hooks/' })
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(page).toContain('root hooks/')
    expect(page).not.toContain('app/hooks/')
    const log = await logs(id)
    expect(log).toContain('next.config.ts')
    expect(log).not.toMatch(/Downloading swc|Failed to (load|transpile)/i)
    expect(await stopSeconds(id)).toBeLessThan(8)
  })

  it("stays within 250 MB over its base image for next start (the kit's trimming; validate leaves the user's app unjudged)", async () => {
    const over = (await imageSizeMb(b.tag)) - (await imageSizeMb(nodeBase))
    expect(cfg.frontend.sizeBudgetMb).toBeNull()
    expect(over, `${over.toFixed(0)} MB over ${nodeBase}`).toBeLessThanOrEqual(250)
  })
})
