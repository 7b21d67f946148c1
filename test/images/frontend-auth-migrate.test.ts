// FRONTEND_AUTH_MIGRATE: an app with Better Auth (the JWT plugin, a pg Pool reached through the "@/*" alias) and no
// migration of its own. The frontend Dockerfile's auth-migrate target, built with the build args the kit derives,
// runs Better Auth's own CLI against the app's lib/auth.ts and a real PostgreSQL, read-only and as uid 10001, the
// way the chart's migration Job runs it. The same app's lib/auth-drizzle.ts hands Better Auth the Drizzle adapter with
// a schema of its own names: the image creates those tables, and the app's auth then works on them.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $ } from 'zx'
import { loadConfig } from '../../scripts/lib/config.ts'
import { frontendMigrateCommand, frontendMigrateSpec, imageTag } from '../../scripts/lib/images.ts'
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts'
import {
  assertDockerReady,
  build,
  cleanup,
  copyApp,
  frontendDockerfile as dockerfile,
  logs,
  nodeImage,
  root,
  start,
  tagFor,
} from './lib/docker.ts'

let db: TestDatabase
let drizzleDb: TestDatabase
beforeAll(async () => {
  await assertDockerReady([nodeImage])
  db = createTestDatabase('auth_migrate')
  drizzleDb = createTestDatabase('auth_migrate_drizzle')
})
afterAll(async () => {
  await cleanup()
  db?.drop()
  drizzleDb?.drop()
})

const SECRET = 'images-test-secret-0123456789abcdef0123'

/** runs the image to completion (host network, read-only, /tmp a tmpfs); env through an env file, never argv */
async function runToEnd(image: string, cmd?: string[], url = db.url): Promise<{ code: number; log: string }> {
  const id = await start(image, {
    env: { DATABASE_URL: url, BETTER_AUTH_SECRET: SECRET },
    hostNetwork: true,
    readOnly: true,
    tmpfs: ['/tmp'],
    cmd,
  })
  const code = Number((await $({ quiet: true })`docker wait ${id}`).stdout.trim())
  return { code, log: await logs(id) }
}

const psql = (sql: string, url = db.url): string[] =>
  execFileSync('psql', [url, '-Atc', sql], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
const tables = (url = db.url): string[] =>
  psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", url)

/** the app's copy and its auth-migrate image for one auth config file (the fixture has two) */
async function migrateImage(authConfig: string) {
  const app = copyApp(join(root, 'test/images/fixtures/frontend-better-auth'))
  const envDir = mkdtempSync(join(tmpdir(), 'images-auth-migrate-'))
  const envFile = join(envDir, '.env')
  writeFileSync(envFile, '')
  const cfg = loadConfig({
    env: { NODE_IMAGE: nodeImage, FRONTEND_DIR: app, FRONTEND_AUTH_MIGRATE: `better-auth:${authConfig}` },
    envFile,
    checkPaths: false,
  })
  rmSync(envDir, { recursive: true, force: true })
  const spec = frontendMigrateSpec(cfg)!
  const b = await build({
    dockerfile,
    context: app,
    tag: tagFor(`frontend-auth-migrate-${imageTag(spec)}`),
    args: spec.buildArgs,
    target: spec.target,
  })
  return { app, cfg, spec, tag: b.tag }
}

describe('frontend image: auth-migrate target (Better Auth CLI on the app build)', () => {
  it('creates user, session, account, verification and jwks from the app config; a second run changes nothing', async () => {
    const { app, cfg, spec, tag } = await migrateImage('lib/auth.ts')
    const b = { tag }
    expect(spec.target).toBe('auth-migrate')
    expect(spec.buildArgs.AUTH_CONFIG).toBe('lib/auth.ts')
    // its own tag: the same sources with another stage and config are another image
    expect(imageTag(spec)).not.toBe(imageTag(cfg.frontend))
    // the CLI (the package `auth` from 1.5 on) at the app's better-auth version, or at least its minor
    const version = async (pkg: string) =>
      (
        await $({
          quiet: true,
        })`docker run --rm --entrypoint node ${b.tag} -p ${`require('${pkg}/package.json').version`}`
      ).stdout.trim()
    const lib = (await version('/app/node_modules/better-auth')).split('.')
    const cli = (await version('/kit/auth-cli/node_modules/auth')).split('.')
    expect(cli.slice(0, 2)).toEqual(lib.slice(0, 2))
    const user = (await $({ quiet: true })`docker image inspect -f {{.Config.User}} ${b.tag}`).stdout.trim()
    expect(user).toBe('10001:10001')
    // the base image with the installed dependencies and the sources: not the build stage's toolchain (BUILD_PACKAGES)
    // or its `next build` output, which the migration never runs (and a cluster would be sent again on every edit)
    const parts = await $({
      nothrow: true,
      quiet: true,
    })`docker run --rm --entrypoint sh ${b.tag} -c ${'test ! -e /usr/bin/g++ && test ! -e /app/.next && test -d /app/node_modules/better-auth && test -f /app/lib/auth.ts'}`
    expect(parts.exitCode).toBe(0)

    expect(tables()).toEqual([])
    // the image's own command (auth-migrate: migrate --config AUTH_CONFIG -y)
    const first = await runToEnd(b.tag)
    expect(first.code, first.log).toBe(0)
    expect(tables()).toEqual(['account', 'jwks', 'session', 'user', 'verification'])
    expect(psql("SELECT column_name FROM information_schema.columns WHERE table_name = 'jwks'")).toContain('privateKey')

    // the command deploy gives the chart's migration step: nothing left to do, exit 0
    const second = await runToEnd(b.tag, frontendMigrateCommand(cfg)!)
    expect(second.code, second.log).toBe(0)
    expect(second.log).toMatch(/No migrations needed/)
    expect(tables()).toEqual(['account', 'jwks', 'session', 'user', 'verification'])
    // the secret never shows in what the CLI prints
    expect(first.log + second.log).not.toContain(SECRET)

    // the default target is still the runtime image: no CLI in it
    const runtime = await build({
      dockerfile,
      context: app,
      tag: tagFor('frontend-auth-runtime'),
      args: cfg.frontend.buildArgs,
    })
    const kit = await $({
      nothrow: true,
      quiet: true,
    })`docker run --rm --entrypoint sh ${runtime.tag} -c ${'test ! -e /kit'}`
    expect(kit.exitCode).toBe(0)
  }, 900_000)

  it("the Drizzle adapter: the tables and columns get the app's Drizzle schema names, and the app's own auth then signs up and mints a JWKS key in them", async () => {
    const { tag } = await migrateImage('lib/auth-drizzle.ts')
    expect(tables(drizzleDb.url)).toEqual([])
    const first = await runToEnd(tag, undefined, drizzleDb.url)
    expect(first.code, first.log).toBe(0)
    // Better Auth's own migrate would have said "only works with the built-in Kysely adapter" and created nothing
    expect(first.log).not.toMatch(/only works with the built-in Kysely adapter/)
    expect(first.log).toMatch(/auth-migrate: user: table "app_user" \(the app's Drizzle schema\)/)
    expect(tables(drizzleDb.url)).toEqual(['app_account', 'app_jwks', 'app_session', 'app_user', 'app_verification'])
    const columns = (table: string) =>
      psql(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY 1`, drizzleDb.url)
    expect(columns('app_user')).toEqual(['created_at', 'email', 'email_verified', 'id', 'image', 'name', 'updated_at'])
    expect(columns('app_jwks')).toEqual(['alg', 'created_at', 'crv', 'expires_at', 'id', 'private_key', 'public_key'])
    expect(columns('app_session')).toContain('user_id')

    // the app's own Better Auth on Drizzle works on them: a sign-up (user, account, session) and the JWT plugin's key
    const script = [
      "const { createJiti } = await import('/kit/auth-cli/node_modules/jiti/lib/jiti.mjs')",
      "const jiti = createJiti('/app/', { alias: { '@': '/app' } })",
      "const { auth } = await jiti.import('/app/lib/auth-drizzle.ts')",
      "const res = await auth.api.signUpEmail({ body: { email: 'drizzle@example.test', password: 'drizzle-password-1', name: 'D' } })",
      'const jwks = await auth.api.getJwks()',
      'console.log(JSON.stringify({ email: res.user.email, keys: jwks.keys.length }))',
      'process.exit(0)',
    ].join('\n')
    const signUp = await runToEnd(tag, ['node', '--input-type=module', '-e', script], drizzleDb.url)
    expect(signUp.code, signUp.log).toBe(0)
    expect(signUp.log).toContain('{"email":"drizzle@example.test","keys":1}')
    expect(psql('SELECT email FROM app_user', drizzleDb.url)).toEqual(['drizzle@example.test'])
    expect(psql("SELECT count(*) FROM app_account WHERE provider_id = 'credential'", drizzleDb.url)).toEqual(['1'])
    expect(psql('SELECT count(*) FROM app_jwks', drizzleDb.url)).toEqual(['1'])

    // a second run finds nothing to do
    const second = await runToEnd(tag, undefined, drizzleDb.url)
    expect(second.code, second.log).toBe(0)
    expect(second.log).toMatch(/No migrations needed/)
    expect(first.log + second.log + signUp.log).not.toContain(SECRET)
  }, 900_000)
})
