// FRONTEND_AUTH_MIGRATE: an app with Better Auth (the JWT plugin, a pg Pool reached through the "@/*" alias) and no
// migration of its own. The frontend Dockerfile's auth-migrate target, built with the build args the kit derives,
// runs Better Auth's own CLI against the app's lib/auth.ts and a real PostgreSQL, read-only and as uid 10001, the
// way the chart's migration Job runs it.
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
beforeAll(async () => {
  await assertDockerReady([nodeImage])
  db = createTestDatabase('auth_migrate')
})
afterAll(async () => {
  await cleanup()
  db?.drop()
})

const SECRET = 'images-test-secret-0123456789abcdef0123'

/** runs the image to completion (host network, read-only, /tmp a tmpfs); env through an env file, never argv */
async function runToEnd(image: string, cmd?: string[]): Promise<{ code: number; log: string }> {
  const id = await start(image, {
    env: { DATABASE_URL: db.url, BETTER_AUTH_SECRET: SECRET },
    hostNetwork: true,
    readOnly: true,
    tmpfs: ['/tmp'],
    cmd,
  })
  const code = Number((await $({ quiet: true })`docker wait ${id}`).stdout.trim())
  return { code, log: await logs(id) }
}

const tables = (): string[] =>
  execFileSync('psql', [db.url, '-Atc', "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .filter(Boolean)

describe('frontend image: auth-migrate target (Better Auth CLI on the app build)', () => {
  it('creates user, session, account, verification and jwks from the app config; a second run changes nothing', async () => {
    const app = copyApp(join(root, 'test/images/fixtures/frontend-better-auth'))
    const envDir = mkdtempSync(join(tmpdir(), 'images-auth-migrate-'))
    const envFile = join(envDir, '.env')
    writeFileSync(envFile, '')
    const cfg = loadConfig({
      env: { NODE_IMAGE: nodeImage, FRONTEND_DIR: app, FRONTEND_AUTH_MIGRATE: 'better-auth:lib/auth.ts' },
      envFile,
      checkPaths: false,
    })
    rmSync(envDir, { recursive: true, force: true })
    const spec = frontendMigrateSpec(cfg)!
    expect(spec.target).toBe('auth-migrate')
    expect(spec.buildArgs.AUTH_CONFIG).toBe('lib/auth.ts')
    // its own tag: the same sources with another stage and config are another image
    expect(imageTag(spec)).not.toBe(imageTag(cfg.frontend))
    const b = await build({
      dockerfile,
      context: app,
      tag: tagFor(`frontend-auth-migrate-${imageTag(spec)}`),
      args: spec.buildArgs,
      target: spec.target,
    })
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

    expect(tables()).toEqual([])
    // the image's own command (auth-migrate: migrate --config AUTH_CONFIG -y)
    const first = await runToEnd(b.tag)
    expect(first.code, first.log).toBe(0)
    expect(tables()).toEqual(['account', 'jwks', 'session', 'user', 'verification'])
    const columns = execFileSync(
      'psql',
      [db.url, '-Atc', "SELECT column_name FROM information_schema.columns WHERE table_name = 'jwks' ORDER BY 1"],
      { encoding: 'utf8' },
    )
    expect(columns).toContain('privateKey')

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
})
