// frontend-docker/Dockerfile, proven by real builds and runs: the reference app (standalone output, npm), a pnpm app
// without standalone output, secrets kept out of the image, and the dependency layer reused after a source change.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { $ } from 'zx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertDockerReady,
  build,
  cleanup,
  copyApp,
  exec,
  exportContains,
  freePort,
  frontendDockerfile as dockerfile,
  imageSizeMb,
  nodeImage,
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
import { largestPackages, largestPackagesArgv } from '../../scripts/lib/image-weight.ts'
import { expectNoFakeSecrets, fakeSecrets, writeFakeEnvFiles } from './lib/secrets.ts'

const fixtures = join(root, 'test/images/fixtures')
let app: string
let ref: Build
let db: TestDatabase
// Test-only values for a throwaway database; the real ones come from the Kubernetes Secret.
const runtimeEnv = () => ({
  DATABASE_URL: db.url,
  BETTER_AUTH_SECRET: `image-test-only-secret-${runId}-0123456789abcdef`,
  BETTER_AUTH_URL: 'http://todo.local',
  BETTER_AUTH_TRUSTED_ORIGINS: 'http://todo.local',
  BACKEND_URL: 'http://127.0.0.1:9',
})
// What the chart mounts as emptyDirs: the only writable paths.
const writable = ['/tmp', '/app/.next/cache:uid=10001,gid=10001']

beforeAll(async () => {
  await assertDockerReady()
  db = createTestDatabase('images_frontend')
  app = copyApp(join(root, 'app/frontend'))
  writeFakeEnvFiles(app)
  ref = await build({ dockerfile, context: app, tag: tagFor('frontend') })
})

afterAll(async () => {
  await cleanup()
  db?.drop()
})

describe('frontend image: reference app', () => {
  it('runs as a numeric non-root user from /app with server.js and migrate.mjs', async () => {
    const r = await exec(ref.tag, [
      'sh',
      '-c',
      'echo "$(id -u):$(id -g) $(pwd)"; ls server.js migrate.mjs .next/static',
    ])
    expect(r.code, r.out).toBe(0)
    const [ids = '', cwd] = (r.out.split('\n')[0] ?? '').split(' ')
    const [uid, gid] = ids.split(':').map(Number)
    expect(uid).not.toBe(0)
    expect(uid).toBeGreaterThanOrEqual(10000)
    expect(gid).toBeGreaterThanOrEqual(10000)
    expect(cwd).toBe('/app')
  })

  it('creates the auth tables with `node migrate.mjs` (twice: idempotent) against a real PostgreSQL', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await exec(ref.tag, ['node', 'migrate.mjs'], {
        env: runtimeEnv(),
        hostNetwork: true,
        readOnly: true,
        tmpfs: writable,
      })
      expect(r.code, r.out).toBe(0)
    }
  })

  it('answers /api/health with 200 on a read-only root filesystem, and exits promptly on SIGTERM', async () => {
    const port = await freePort()
    const id = await start(ref.tag, {
      env: { ...runtimeEnv(), PORT: String(port) },
      hostNetwork: true,
      readOnly: true,
      tmpfs: writable,
    })
    const r = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(r.status, r.body).toBe(200)
    expect(await stopSeconds(id)).toBeLessThan(8)
  })

  it('keeps the .env secrets of the app dir out of history, config env and every file', async () => {
    await expectNoFakeSecrets(ref.tag, app)
  })

  it('stays within 60 MB over its base image (standalone output)', async () => {
    const over = (await imageSizeMb(ref.tag)) - (await imageSizeMb(nodeImage))
    expect(over, `${over.toFixed(0)} MB over ${nodeImage}`).toBeLessThanOrEqual(60)
  })

  it('rebuilds a one-line source change without reinstalling dependencies', async () => {
    appendFileSync(join(app, 'app/api/health/route.ts'), `\n// touched by the image tests ${Date.now()}\n`)
    const warm = await build({ dockerfile, context: app, tag: tagFor('frontend-warm') })
    expect(step(warm, /\[deps\s+\d+\/\d+\] RUN .*npm ci/).cached).toBe(true)
    // the manifests stage reruns on any change; its output (package.json + lock file) is what the COPY caches by
    expect(step(warm, /\[deps\s+\d+\/\d+\] COPY --from=manifests/).cached).toBe(true)
    expect(step(warm, /\[build\s+\d+\/\d+\] COPY \. \./).cached).toBe(false)
    expect(step(warm, /\[build\s+\d+\/\d+\] RUN .*run build/).cached).toBe(false)
  })

  it('refuses NEXT_PUBLIC_ENV lines that are not NEXT_PUBLIC_* (server settings belong at runtime)', async () => {
    await expect(
      build({
        dockerfile,
        context: app,
        tag: tagFor('frontend-bad-arg'),
        args: { NEXT_PUBLIC_ENV: 'DATABASE_URL=postgresql://x' },
      }),
    ).rejects.toThrow(/NEXT_PUBLIC_ENV takes only NEXT_PUBLIC_\*=value lines \(got 'DATABASE_URL'\)/)
  })
})

describe('frontend image: other app layouts', () => {
  it('pnpm app without standalone output runs `next start` with production modules and a NEXT_PUBLIC_ build value', async () => {
    const ctx = copyApp(join(fixtures, 'frontend-pnpm'))
    writeFakeEnvFiles(ctx)
    const b = await build({
      dockerfile,
      context: ctx,
      tag: tagFor('frontend-pnpm'),
      args: { NEXT_PUBLIC_ENV: 'NEXT_PUBLIC_GREETING=hello from a build arg' },
    })
    const files = await exec(b.tag, ['sh', '-c', 'head -1 server.js; ls node_modules/.pnpm | grep -c "^next@" ; id -u'])
    expect(files.out).toContain('runs `next start`')
    expect(Number(files.out.trim().split('\n').at(-1))).toBeGreaterThanOrEqual(10000)
    // a next.config.mjs needs no compiler at `next start`: no @next/swc-* in pnpm's store layout either
    const swc = await exec(b.tag, [
      'sh',
      '-c',
      'find node_modules -maxdepth 6 \\( -path "*@next/swc-*" -o -path "*.pnpm/@next+swc-*" \\) | wc -l',
    ])
    expect(swc.out.trim()).toBe('0')
    // what validate names when an image is over its budget: pnpm's store entries, by package and version
    const [cmd = 'docker', ...args] = largestPackagesArgv(b.tag)
    const du = await $({ nothrow: true, quiet: true })`${cmd} ${args}`
    const weights = largestPackages({ ok: du.ok, exitCode: du.exitCode, stdout: du.stdout, stderr: du.stderr })
    expect(weights, du.stderr).toHaveLength(5)
    expect(weights[0]).toMatch(/^next@\d+\.\d+\.\d+ \d+ MB$/)
    const port = await freePort()
    const id = await start(b.tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ layout: 'pnpm-next-start' })
    const page = await fetch(`http://127.0.0.1:${port}/`)
    expect(await page.text()).toContain('hello from a build arg')
    expect(await stopSeconds(id)).toBeLessThan(8)
    expect((await exportContains(b.tag, fakeSecrets)).found).toEqual([])
  })

  it('yarn (classic) app with standalone output and a CommonJS next.config.js', async () => {
    const b = await build({ dockerfile, context: join(fixtures, 'frontend-yarn'), tag: tagFor('frontend-yarn') })
    const files = await exec(b.tag, ['sh', '-c', 'grep -c "next start" server.js; test -d .next/static && echo static'])
    expect(files.out).toMatch(/^0\n/) // Next.js's own standalone server, not the fallback launcher
    expect(files.out).toContain('static')
    const port = await freePort()
    const id = await start(b.tag, { env: { PORT: String(port) }, hostNetwork: true, readOnly: true, tmpfs: writable })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    expect(JSON.parse(health.body)).toMatchObject({ layout: 'yarn-standalone' })
  })
})
