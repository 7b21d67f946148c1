// Real apps of ../shared/corpus through the kit as a new user runs it (init, then build), each copied unchanged to a
// temp dir, on the stand-in base images. next/font/google cannot reach Google here: the fonts stand-in base image
// answers it (test/support/node-build-standin.ts), as the stand-in images answer for Docker Hub. Together they cover
// what the fixture apps of the other files cannot: pnpm picked from a lock file's format with a stale package-lock.json
// beside it, an app without any lock file, and app code that demands DATABASE_URL while `next build` collects page
// data. (yarn and an npm workspace: frontend.test.ts and frontend-install.test.ts; no corpus app uses them.)
// `npm run bench:corpus -- --build-standin` runs all twelve and prints the table.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultCorpus, initAndBuild, type CorpusRun } from '../support/corpus-app.ts'
import { buildStandinNodeImage } from '../support/node-build-standin.ts'
import { assertDockerReady, nodeImage, pythonImage } from './lib/docker.ts'

let fontsImage = ''
const built: string[] = []
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' })
async function kit(app: string): Promise<CorpusRun> {
  const r = await initAndBuild(app, { nodeImage: fontsImage, pythonImage })
  for (const image of Object.values(r.images)) if (image) built.push(image)
  return r
}

beforeAll(async () => {
  expect(existsSync(defaultCorpus), `the corpus of real apps is read from ${defaultCorpus}`).toBe(true)
  await assertDockerReady()
  fontsImage = buildStandinNodeImage(nodeImage)
})
afterAll(() => {
  for (const image of built) execFileSync('docker', ['image', 'rm', image], { stdio: 'ignore' })
})

describe('real apps, unchanged, through init and build', () => {
  it('hamza123545: pnpm 9 from the lock file format, frozen, the stale package-lock.json beside it named and ignored', async () => {
    const r = await kit('hamza123545')
    expect(r.frontend, r.buildOut).toEqual({ ok: true, cause: null, fix: null })
    expect(r.backend, r.buildOut).toEqual({ ok: true, cause: null, fix: null })
    expect(r.buildOut).toMatch(/--build-arg PACKAGE_MANAGER=pnpm@9\.15\.9 --build-arg INSTALL_MODE=frozen/)
    expect(r.buildOut).toMatch(/package-lock\.json/)
    // Better Auth on Drizzle over Neon's HTTP driver: init names the module its auth config imports, build makes the
    // proxy the in-cluster database needs
    expect(r.initOut).toMatch(/neon: lib\/db-drizzle\.ts uses @neondatabase\/serverless \(neon\(\): HTTPS \/sql\)/)
    expect(r.initOut).toContain('FRONTEND_DB_DRIVER=neon')
    expect(r.images.neonProxy, r.buildOut).toMatch(/^kit-corpus-hamza123545-frontend-neon-proxy:h-\w{12}$/)
    // Better Auth's tables: its own migrate on the app's config, with the Drizzle schema's names
    expect(r.initOut).toContain('FRONTEND_AUTH_MIGRATE=better-auth:lib/auth-server.ts')
    expect(r.images.migrate, r.buildOut).toMatch(/^kit-corpus-hamza123545-frontend-migrate:h-\w{12}$/)
    // no lock file for the backend and no git history in the copy: init names the key that dates its versions
    expect(r.initOut).toMatch(/set BACKEND_DEPS_AS_OF=<the date it last worked/)
    // its requirements.txt was left behind when pyproject.toml (which its own Dockerfile installs) gained the agent
    // packages: the image installs pyproject's list, so the backend's `from agents import ...` finds its module
    expect(r.initOut).toContain('BACKEND_DEPS_FROM=pyproject')
    expect(r.buildOut).toMatch(/--build-arg DEPS_FROM=pyproject/)
    const agents = docker(
      'run',
      '--rm',
      '--entrypoint',
      'python',
      r.images.backend!,
      '-c',
      'import agents, mcp; print("ok")',
    )
    expect(agents.trim()).toBe('ok')
    // the image runs the app's own pnpm-installed server
    const out = docker('run', '--rm', '--entrypoint', 'sh', r.images.frontend!, '-c', 'test -f server.js && id -u')
    expect(out.trim()).toBe('10001')
  })

  it('shazilk-dev: its route module throws without DATABASE_URL while next build collects page data; built with a placeholder that stays out of the image', async () => {
    const r = await kit('shazilk-dev')
    expect(r.buildOut).toContain(
      'next build needs DATABASE_URL while it collects page data (the app reads it at import): building again',
    )
    expect(r.frontend, r.buildOut).toEqual({ ok: true, cause: null, fix: null })
    const env = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Env}}', r.images.frontend!))
    expect(env.filter((e: string) => e.startsWith('DATABASE_URL='))).toEqual([])
    expect(docker('history', '--no-trunc', r.images.frontend!)).not.toContain('postgresql://placeholder')
    // its auth runs on pg, its Drizzle module on Neon's HTTP driver: server code that needs the proxy all the same
    expect(r.initOut).toMatch(/neon: lib\/db\.ts uses @neondatabase\/serverless \(neon\(\): HTTPS \/sql\)/)
    expect(r.images.neonProxy, r.buildOut).toMatch(/^kit-corpus-shazilk-dev-frontend-neon-proxy:h-\w{12}$/)
    // its backend's Alembic revisions point foreign keys at Better Auth's "user": the auth migration runs first
    expect(r.initOut).toMatch(
      /migration order: after the frontend's auth migration, which runs again after it: the backend's migrations reference Better Auth's "user"/,
    )
    // Better Auth's CLI 1.4.18 (the app's version) asks for better-auth ^1.4.18, which alone would install a newer
    // release whose better-auth/db no longer exports the getMigrations the CLI imports: the image pins the app's
    const cli = docker(
      'run',
      '--rm',
      '-w',
      '/kit/auth-cli',
      '--entrypoint',
      'node',
      r.images.migrate!,
      '--input-type=module',
      '-e',
      "const m = await import('better-auth/db'); const fs = await import('node:fs'); console.log(JSON.parse(fs.readFileSync('node_modules/better-auth/package.json', 'utf8')).version, typeof m.getMigrations)",
    )
    expect(cli.trim()).toBe('1.4.18 function')
  })

  it('sammar-13: no lock file, installed from package.json with the warning; its backend pins Python 3.11, refused before docker runs', async () => {
    const r = await kit('sammar-13')
    expect(r.frontend, r.buildOut).toEqual({ ok: true, cause: null, fix: null })
    expect(r.buildOut).toMatch(/no lock file/)
    expect(r.backend.ok).toBe(false)
    expect(r.backend.cause).toMatch(/^the app pins Python 3\.11 \(<app>\/backend\/runtime\.txt:1 python-3\.11\)/)
    expect(r.backend.fix).toMatch(/PYTHON_IMAGE/)
    expect(r.images.backend).toBeNull()
  })
})
