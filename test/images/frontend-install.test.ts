// Apps installed the way their authors installed them: scripts/lib/app/package-manager.ts decides before docker runs
// (the build args and warnings loadConfig gives), frontend-docker/Dockerfile installs. Real builds of small apps
// shaped like the corpus apps that did not build:
//   pnpm, lock file v9, no packageManager (as hamza123545): pnpm 9.15.9 from the lock file format, never pnpm@latest
//   a stale package-lock.json: the kit names the drifted package, the image installs with npm install and builds
//   an npm workspace with the lock file at its root: the root is the context, APP_DIR the app, the image only the app
//   pnpm 11 skipping a native dependency's build script: the app's approval reaches it and better-sqlite3 compiles
//   from source (its prebuilt binary is on GitHub, out of reach here), with the build stage's toolchain
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  nodeImage,
  nodeImageWithHeaders,
  root,
  start,
  stopSeconds,
  tagFor,
  waitForHttp,
} from './lib/docker.ts'

const fixtures = join(root, 'test/images/fixtures')
// What the chart mounts as emptyDirs for the frontend: the only writable paths.
const writable = ['/tmp', '/app/.next/cache:uid=10001,gid=10001']
const envDirs: string[] = []

/** the config the kit loads for a frontend dir (an empty .env): the context, the build args and the warnings */
function kitConfig(appDir: string, env: Record<string, string> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'images-install-env-'))
  envDirs.push(dir)
  writeFileSync(join(dir, '.env'), '')
  return loadConfig({
    env: { FRONTEND_DIR: appDir, NODE_IMAGE: nodeImage, ...env },
    envFile: join(dir, '.env'),
    checkPaths: false,
  })
}
const buildWith = (cfg: Config, name: string, o: { target?: string; args?: Record<string, string> } = {}) =>
  build({
    dockerfile: cfg.frontend.dockerfile,
    context: cfg.frontend.contextDir,
    tag: tagFor(name),
    args: { ...cfg.frontend.buildArgs, ...o.args },
    target: o.target,
  })
const editJson = (file: string, edit: (j: Record<string, unknown>) => void): void => {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  edit(j)
  writeFileSync(file, JSON.stringify(j, null, 2))
}

beforeAll(async () => {
  await assertDockerReady([nodeImage])
})

afterAll(async () => {
  await cleanup()
  for (const d of envDirs) rmSync(d, { recursive: true, force: true })
})

describe('the package manager and the lock file, as the app has them', () => {
  it('pnpm without packageManager, lock file v9: pnpm 9.15.9 from the lock file format, and the image runs', async () => {
    const app = copyApp(join(fixtures, 'frontend-pnpm'))
    editJson(join(app, 'package.json'), (j) => delete j.packageManager)
    const cfg = kitConfig(app)
    expect(cfg.frontend.buildArgs).toMatchObject({ PACKAGE_MANAGER: 'pnpm@9.15.9', INSTALL_MODE: 'frozen' })
    expect(cfg.frontend.notes).toEqual([])
    const b = await buildWith(cfg, 'install-pnpm9')
    // pnpm records the version that installed node_modules (the build log may be all cache hits)
    const modules = await exec(b.tag, ['sh', '-c', 'grep packageManager node_modules/.modules.yaml'])
    expect(modules.out).toContain('pnpm@9.15.9')
    const port = await freePort()
    const id = await start(b.tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ layout: 'pnpm-next-start' })
  })

  it('a stale package-lock.json: the kit names the drifted package and the fix, the image installs with npm install', async () => {
    // package.json edited without a reinstall: better-sqlite3 removed, the lock file still has it
    const app = copyApp(join(fixtures, 'frontend-config-ts'))
    editJson(join(app, 'package.json'), (j) => delete (j.devDependencies as Record<string, string>)['better-sqlite3'])
    const cfg = kitConfig(app)
    expect(cfg.frontend.buildArgs).toMatchObject({ PACKAGE_MANAGER: 'npm', INSTALL_MODE: 'sync' })
    expect(cfg.frontend.notes).toHaveLength(1)
    expect(cfg.frontend.notes![0]!.cause).toMatch(
      /package-lock\.json does not match package\.json \(better-sqlite3 only in the lock file\): the image installs with npm install instead of npm ci/,
    )
    expect(cfg.frontend.notes![0]!.fix).toMatch(/ && npm install, then commit package-lock\.json/)
    const b = await buildWith(cfg, 'install-stale-npm', { args: { BUILD_PACKAGES: '' } })
    // npm install followed package.json: nothing to compile, although the lock file lists the native module
    expect(b.output).not.toMatch(/gyp (info|ERR)/)
    const r = await exec(b.tag, ['sh', '-c', 'ls node_modules/better-sqlite3 2>&1; ls node_modules/next/package.json'])
    expect(r.out).toMatch(/better-sqlite3'?: No such file/)
    const port = await freePort()
    const id = await start(b.tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ layout: 'config-ts-next-start' })
  })
})

describe('an npm workspace with the lock file at the root', () => {
  let ws: string
  let cfg: Config
  let tag: string

  beforeAll(async () => {
    ws = copyApp(join(fixtures, 'frontend-npm-workspace'))
    cfg = kitConfig(join(ws, 'apps/web'))
    tag = (await buildWith(cfg, 'install-npm-workspace')).tag
  })

  it('builds the workspace root as the context with the app as APP_DIR, from the frozen root lock file', () => {
    expect(cfg.frontend.contextDir).toBe(ws)
    expect(cfg.frontend.buildArgs).toEqual({
      NODE_IMAGE: nodeImage,
      PACKAGE_MANAGER: 'npm',
      INSTALL_MODE: 'frozen',
      APP_DIR: 'apps/web',
    })
    expect(cfg.frontend.notes).toEqual([])
  })

  it('holds the app and the workspace package it imports, not the sibling app, its dependencies or devDependencies', async () => {
    const r = await exec(tag, [
      'sh',
      '-c',
      'for p in apps/web/package.json packages/greeting/index.js apps/docs node_modules/is-odd node_modules/@types/react node_modules/next/package.json; do test -e $p && echo "has $p" || echo "no $p"; done; readlink apps/web/.next/cache; ls -A .next/cache | wc -l',
    ])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('has apps/web/package.json')
    expect(r.out).toContain('has packages/greeting/index.js')
    expect(r.out).toContain('has node_modules/next/package.json')
    expect(r.out).toContain('no apps/docs')
    expect(r.out).toContain('no node_modules/is-odd') // apps/docs' dependency
    expect(r.out).toContain('no node_modules/@types/react') // the app's devDependency
    // the chart's writable emptyDir at /app/.next/cache is where the app's own .next/cache leads
    expect(r.out).toContain('/app/.next/cache\n0')
  })

  it('runs the app from its directory on a read-only root filesystem, the workspace package resolved', async () => {
    const port = await freePort()
    const id = await start(tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toEqual({
      status: 'ok',
      layout: 'npm-workspace',
      greeting: 'hello health from packages/greeting',
      cwd: '/app/apps/web',
    })
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello workspace from packages/greeting')
    expect(await stopSeconds(id)).toBeLessThan(8)
    const over = (await imageSizeMb(tag)) - (await imageSizeMb(nodeImage))
    expect(over, `${over.toFixed(0)} MB over ${nodeImage}`).toBeLessThanOrEqual(250)
  })
})

describe('a native dependency under pnpm >= 10 (install stage only)', () => {
  const probe =
    "const D = require('better-sqlite3'); console.log('sum', new D(':memory:').prepare('select 41 + 1 as x').get().x)"

  it("the app's own approval reaches pnpm 11 and better-sqlite3 compiles from source; without it, no binary", async () => {
    const nodeBase = await nodeImageWithHeaders()
    const cfg = kitConfig(copyApp(join(fixtures, 'install-pnpm-native')), { NODE_IMAGE: nodeBase })
    expect(cfg.frontend.buildArgs).toMatchObject({
      PACKAGE_MANAGER: 'pnpm@11.29.0',
      INSTALL_MODE: 'frozen',
      PNPM_ALLOW_BUILDS: 'better-sqlite3',
    })
    const b = await buildWith(cfg, 'install-pnpm-native', { target: 'deps' })
    const ok = await exec(b.tag, ['node', '-e', probe])
    expect(ok.out).toContain('sum 42')
    // the toolchain is the build stages' only: the final image never has it (existing-app.test.ts checks that)
    const without = await buildWith(cfg, 'install-pnpm-native-unapproved', {
      target: 'deps',
      args: { PNPM_ALLOW_BUILDS: '' },
    })
    // pnpm 11 ignores package.json's "pnpm" field and skips the build script; the kit keeps that from stopping the
    // install (the build above succeeded), and the module is there without its binary
    const missing = await exec(without.tag, ['node', '-e', probe])
    expect(missing.code).not.toBe(0)
    expect(missing.out).toMatch(/Could not locate the bindings file|better_sqlite3\.node/)
  })
})
