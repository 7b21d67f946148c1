// The app's own settings: secrets named by APP_SECRETS (into the Secret, the hash, the redactor and the dry-run Secret
// line; validated like the kit's secrets) and NEXT_PUBLIC_* build-time values (the frontend build arg NEXT_PUBLIC_ENV,
// part of the image tag, never secret).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../../scripts/lib/config.ts'
import { allSecrets, requireSecrets, secretData } from '../../scripts/lib/config-secrets.ts'
import { withEnvKeys } from '../../scripts/lib/env-file.ts'
import { ConfigError } from '../../scripts/lib/errors.ts'
import { imageTag } from '../../scripts/lib/images.ts'
import { secretManifest } from '../../scripts/lib/release.ts'
import { createContext } from '../../scripts/lib/stage.ts'
import { mutating, project, SECRETS, type RunResult } from './harness.ts'
import { catchConfigError, configFrom } from './config-support.ts'

const BASE =
  Object.entries(SECRETS)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n'
const load = (file: string, env: Record<string, string> = {}): Config => configFrom(BASE + file, env)
const catchError = catchConfigError

const GEMINI = 'AIzaSy-gemini-3k9Qw7Zp2Lr'
const JWT = 'jwt-8d7c6b5a4f3e2d1c0b9a'
const APP = `APP_SECRETS=GEMINI_API_KEY,JWT_SECRET\nGEMINI_API_KEY=${GEMINI}\nJWT_SECRET=${JWT}\n`

describe('APP_SECRETS: the config', () => {
  it('reads the named keys from .env only (never the environment), keeps them out of cfg.secrets and out of the unknown-key warnings', () => {
    const c = load(APP + 'STRAY_KEY=1\n')
    expect(c.appSecretKeys).toEqual(['GEMINI_API_KEY', 'JWT_SECRET'])
    expect(c.appSecrets).toEqual({ GEMINI_API_KEY: GEMINI, JWT_SECRET: JWT })
    expect(Object.keys(c.secrets)).not.toContain('GEMINI_API_KEY')
    expect(c.warnings).toEqual([expect.stringMatching(/^unknown key STRAY_KEY in /)])
    expect(c.values).not.toHaveProperty('GEMINI_API_KEY')
    // the values come from the file only: a name never carries a variable of the machine into the cluster
    expect(load(APP, { JWT_SECRET: 'jwt-from-the-environment-1' }).appSecrets.JWT_SECRET).toBe(JWT)
    // the environment may name them; a value it alone holds is not read, and a warning says so
    const fromEnv = load(`GEMINI_API_KEY=${GEMINI}\n`, { APP_SECRETS: 'GEMINI_API_KEY,JWT_SECRET', JWT_SECRET: JWT })
    expect(fromEnv.appSecrets).toEqual({ GEMINI_API_KEY: GEMINI })
    expect(fromEnv.warnings).toContainEqual(expect.stringMatching(/^JWT_SECRET is set in the environment but not read/))
  })

  it('goes into secretData and allSecrets; the Secret manifest holds them and its hash changes with them', () => {
    const c = load(APP)
    expect(secretData(c)).toEqual({ ...SECRETS, GEMINI_API_KEY: GEMINI, JWT_SECRET: JWT })
    expect(allSecrets(c)).toMatchObject({
      GEMINI_API_KEY: GEMINI,
      JWT_SECRET: JWT,
      BETTER_AUTH_SECRET: SECRETS.BETTER_AUTH_SECRET,
    })
    const m = secretManifest(c)
    expect(m.keys).toEqual([
      'BETTER_AUTH_SECRET',
      'GEMINI_API_KEY',
      'JWT_SECRET',
      'OPENAI_API_KEY',
      'POSTGRES_PASSWORD',
    ])
    const other = secretManifest(load(APP.replace(JWT, 'jwt-another-value-77aa')))
    expect(other.hash).not.toBe(m.hash)
    expect(secretManifest(load('')).hash).not.toBe(m.hash)
  })

  it('the redactor of a stage hides an app secret', () => {
    const ctx = createContext(load(APP), {
      dryRun: true,
      stdout: { write: () => true },
      stderr: { write: () => true },
    } as never)
    expect(ctx.redact(`key=${GEMINI} jwt=${JWT}`)).toBe('key=*** jwt=***')
  })

  it("rejects malformed names, NEXT_PUBLIC_* names and the kit's own keys, naming APP_SECRETS", () => {
    for (const [list, bad] of [
      ['GEMINI_API_KEY,9LIVES', '9LIVES'],
      ['MY-KEY', 'MY-KEY'],
      ['NEXT_PUBLIC_KEY', 'NEXT_PUBLIC_KEY'],
      ['OPENAI_API_KEY', 'OPENAI_API_KEY'],
      ['NAMESPACE', 'NAMESPACE'],
    ] as const) {
      const e = catchError(() => load(`APP_SECRETS=${list}\n`))
      expect(e.key, list).toBe('APP_SECRETS')
      expect(e.message).toContain(JSON.stringify(bad))
    }
  })

  it("a weak app secret fails at load time like the kit's secrets, without showing the value", () => {
    const short = catchError(() => load('APP_SECRETS=JWT_SECRET\nJWT_SECRET=abc12\n'))
    expect(short.key).toBe('JWT_SECRET')
    expect(short.message).toContain(`at least 8 characters (has 5; value hidden)`)
    expect(short.message).not.toContain('abc12')
    expect(short.fix).toMatch(/^edit JWT_SECRET in \S+\.env$/)
    const word = catchError(() => load('APP_SECRETS=JWT_SECRET\nJWT_SECRET=Password123!\n'))
    expect(word.key).toBe('JWT_SECRET')
    expect(word.message).toContain('not a common word')
    expect(word.message).not.toContain('Password123')
    const same = catchError(() => load(`APP_SECRETS=JWT_SECRET\nJWT_SECRET=${SECRETS.OPENAI_API_KEY}\n`))
    // one of the two is reported, naming the other
    expect(same.message).toMatch(
      /^(OPENAI_API_KEY|JWT_SECRET) is invalid: expected a value of its own \(it equals (JWT_SECRET|OPENAI_API_KEY)\)/,
    )
    expect(same.message).not.toContain(SECRETS.OPENAI_API_KEY)
  })

  it('a named key that is not set loads, and requireSecrets names it and .env', () => {
    const c = load('APP_SECRETS=GEMINI_API_KEY\n')
    const e = catchError(() => requireSecrets(c))
    expect(e.key).toBe('GEMINI_API_KEY')
    expect(e.message).toMatch(/^GEMINI_API_KEY is invalid: expected a value in \S+\.env: APP_SECRETS names it/)
    expect(e.fix).toMatch(/^set GEMINI_API_KEY=<the value> in \S+\.env \(or remove GEMINI_API_KEY from APP_SECRETS\)$/)
  })
})

describe('NEXT_PUBLIC_*: the config', () => {
  it('every NEXT_PUBLIC_* key from .env and the environment is the frontend build arg NEXT_PUBLIC_ENV, sorted, one line each', () => {
    const c = load('NEXT_PUBLIC_API_URL=https://todo.example.com\nNEXT_PUBLIC_EMPTY=\n', { NEXT_PUBLIC_A: 'one two' })
    expect(c.publicEnv).toEqual({ NEXT_PUBLIC_A: 'one two', NEXT_PUBLIC_API_URL: 'https://todo.example.com' })
    expect(c.frontend.buildArgs).toEqual({
      NODE_IMAGE: 'node:24-slim',
      PACKAGE_MANAGER: 'npm',
      INSTALL_MODE: 'frozen',
      NEXT_PUBLIC_ENV: 'NEXT_PUBLIC_A=one two\nNEXT_PUBLIC_API_URL=https://todo.example.com',
    })
    expect(Object.keys(c.frontend.buildArgs)[0]).toBe('NODE_IMAGE')
    expect(c.backend.buildArgs).toEqual({ PYTHON_IMAGE: 'python:3.13-slim' })
    expect(c.warnings).toEqual([])
    // public: not hidden, not in the Secret
    expect(allSecrets(c)).not.toHaveProperty('NEXT_PUBLIC_API_URL')
    expect(secretData(c)).not.toHaveProperty('NEXT_PUBLIC_API_URL')
    expect(createContext(c, { dryRun: true } as never).redact('https://todo.example.com')).toBe(
      'https://todo.example.com',
    )
    // none set: no build arg at all, so the tag of such an app stays what it was
    expect(load('').frontend.buildArgs).toEqual({
      NODE_IMAGE: 'node:24-slim',
      PACKAGE_MANAGER: 'npm',
      INSTALL_MODE: 'frozen',
    })
  })

  it('the frontend tag changes with a NEXT_PUBLIC_* value', () => {
    const spec = (file: string): Config['frontend'] => ({
      ...load(file).frontend,
      contextDir: path.resolve(import.meta.dirname, 'fixtures'),
      dockerfile: path.resolve(import.meta.dirname, 'app-env.test.ts'),
    })
    const a = imageTag(spec('NEXT_PUBLIC_API_URL=https://a.example.com\n'))
    expect(imageTag(spec('NEXT_PUBLIC_API_URL=https://a.example.com\n'))).toBe(a)
    expect(imageTag(spec('NEXT_PUBLIC_API_URL=https://b.example.com\n'))).not.toBe(a)
    expect(imageTag(spec(''))).not.toBe(a)
  })

  it('refuses a value holding a secret, or a secret equal to a public value, without showing it', () => {
    const e = catchError(() => load(`NEXT_PUBLIC_KEY=x${SECRETS.OPENAI_API_KEY}\n`))
    expect(e.key).toBe('NEXT_PUBLIC_KEY')
    expect(e.message).toContain('it holds the value of OPENAI_API_KEY')
    expect(e.message).not.toContain(SECRETS.OPENAI_API_KEY)
    const app = catchError(() => load(`APP_SECRETS=JWT_SECRET\nJWT_SECRET=${JWT}\nNEXT_PUBLIC_JWT=${JWT}\n`))
    expect(app.key).toBe('JWT_SECRET')
    expect(app.message).not.toContain(JWT)
  })

  it('init may add NEXT_PUBLIC_* keys to a .env', () => {
    expect(withEnvKeys('A=1\n', { NEXT_PUBLIC_API_URL: 'https://todo.example.com' }, 'added').text).toContain(
      'NEXT_PUBLIC_API_URL=https://todo.example.com',
    )
  })
})

// ---------- the stages, against the fake tools ----------

const appEnv = BASE + APP
const noValues = (r: RunResult, values: string[]): void => {
  for (const v of values) {
    expect(r.stdout).not.toContain(v)
    expect(r.stderr).not.toContain(v)
    for (const c of r.calls) expect(c.args.join(' ')).not.toContain(v)
  }
}

describe('APP_SECRETS: deploy', { timeout: 120_000 }, () => {
  it('puts the app secrets into the Secret on stdin, and a changed one rolls the pods', async () => {
    const p = project({ envFile: appEnv })
    p.seedImages()
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    noValues(r, [GEMINI, JWT])
    const secret = JSON.parse(p.state().stdin[0]) as {
      data: Record<string, string>
      metadata: { annotations: Record<string, string> }
    }
    expect(
      Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
    ).toEqual({ ...SECRETS, GEMINI_API_KEY: GEMINI, JWT_SECRET: JWT })
    const hash = secret.metadata.annotations['todo-k8s-kit/secret-hash']

    p.write('.env', appEnv.replace(JWT, 'jwt-rotated-value-0f1e2d'))
    const r2 = await p.run('deploy')
    expect(mutating(r2.calls).slice(0, 2)).toEqual([
      'kubectl apply -n todo -f -',
      expect.stringMatching(/^helm upgrade/),
    ])
    const upgrade = mutating(r2.calls)[1] as string
    expect(upgrade).toContain('podAnnotations.todo-k8s-kit/secret-hash=')
    expect(upgrade).not.toContain(`secret-hash=${hash}`)
  })

  it('an app secret a tool prints is hidden in the output', async () => {
    const p = project({ envFile: appEnv })
    p.seedImages()
    // the fake helm fails with a message that quotes the value
    p.setState({ fail: { 'helm upgrade': { stderr: `Error: UPGRADE FAILED: bad value ${GEMINI}`, code: 1 } } })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Error: UPGRADE FAILED: bad value ***')
    noValues({ ...r, calls: [] }, [GEMINI])
  })

  it('a missing or weak app secret stops deploy before any command, naming the key and .env', async () => {
    const missing = project({ envFile: BASE + 'APP_SECRETS=GEMINI_API_KEY\n' })
    const r = await missing.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/✖ GEMINI_API_KEY is invalid: expected a value in \S*\.env: APP_SECRETS names it/)
    expect(r.stderr).toMatch(/fix: set GEMINI_API_KEY=<the value> in \S*\.env/)
    expect(r.calls).toEqual([])

    const weak = project({ envFile: BASE + 'APP_SECRETS=GEMINI_API_KEY\nGEMINI_API_KEY=changeme1\n' })
    const w = await weak.run('deploy')
    expect(w.code).toBe(1)
    expect(w.stderr).toContain('GEMINI_API_KEY is invalid: expected a random value, not a common word')
    expect(w.stderr).not.toContain('changeme1')
    expect(w.calls).toEqual([])
  })

  it('the dry-run Secret line lists the app secrets and, pasted, puts them into the Secret', async () => {
    const p = project({ envFile: appEnv })
    const r = await p.run('deploy', ['--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    noValues(r, [GEMINI, JWT])
    const line = r.stdout.split('\n').find((l) => l.startsWith('node --env-file-if-exists='))
    expect(line).toContain(
      'const k=[`BETTER_AUTH_SECRET`,`GEMINI_API_KEY`,`JWT_SECRET`,`OPENAI_API_KEY`,`POSTGRES_PASSWORD`]',
    )
    const pasted = spawnSync('/bin/sh', ['-c', line as string], {
      cwd: p.dir,
      env: { ...p.env, PATH: `${path.join(p.dir, 'bin')}${path.delimiter}${path.dirname(process.execPath)}` },
      encoding: 'utf8',
    })
    expect(pasted.status, pasted.stderr).toBe(0)
    const applied = p.state().stdin as string[]
    expect(JSON.parse(applied[applied.length - 1] as string).stringData).toEqual({
      ...SECRETS,
      GEMINI_API_KEY: GEMINI,
      JWT_SECRET: JWT,
    })
  })
})

describe('NEXT_PUBLIC_*: build', { timeout: 120_000 }, () => {
  const publicEnv = BASE + 'NEXT_PUBLIC_API_URL=https://todo.example.com\nNEXT_PUBLIC_FLAG=on\n'
  it('passes NEXT_PUBLIC_ENV as one build arg of the frontend only, and a changed value builds a new tag', async () => {
    const p = project({ envFile: publicEnv })
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    const fe = r.calls.find(
      (c) => c.tool === 'docker' && c.args[0] === 'build' && c.args.some((a) => a.startsWith('todo-frontend:')),
    )!
    const be = r.calls.find(
      (c) => c.tool === 'docker' && c.args[0] === 'build' && c.args.some((a) => a.startsWith('todo-backend:')),
    )!
    const i = fe.args.indexOf('NEXT_PUBLIC_ENV=NEXT_PUBLIC_API_URL=https://todo.example.com\nNEXT_PUBLIC_FLAG=on')
    expect(i).toBeGreaterThan(0)
    expect(fe.args[i - 1]).toBe('--build-arg')
    expect(be.args.join(' ')).not.toContain('NEXT_PUBLIC')
    const tag = fe.args[fe.args.indexOf('-t') + 1]

    p.write('.env', publicEnv.replace('NEXT_PUBLIC_FLAG=on', 'NEXT_PUBLIC_FLAG=off'))
    const r2 = await p.run('build')
    const fe2 = mutating(r2.calls).filter((l) => l.startsWith('docker build'))
    expect(fe2).toHaveLength(1)
    expect(fe2[0]).toContain('NEXT_PUBLIC_FLAG=off')
    expect(fe2[0]).not.toContain(tag)
  })

  it('the dry run shows the build arg quoted as one argument, and it pastes as one', async () => {
    const p = project({ envFile: publicEnv })
    const r = await p.run('build', ['--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(
      `--build-arg 'NEXT_PUBLIC_ENV=NEXT_PUBLIC_API_URL=https://todo.example.com\nNEXT_PUBLIC_FLAG=on' -t todo-frontend:h-`,
    )
    const start = r.stdout.indexOf('docker build')
    const cmd = r.stdout.slice(start, r.stdout.indexOf('\n', r.stdout.indexOf("FLAG=on'")))
    const pasted = spawnSync('/bin/sh', ['-c', cmd], {
      cwd: p.dir,
      env: { ...p.env, PATH: `${path.join(p.dir, 'bin')}${path.delimiter}${path.dirname(process.execPath)}` },
      encoding: 'utf8',
    })
    expect(pasted.status, pasted.stderr).toBe(0)
    const log = readFileSync(p.env.FAKE_LOG as string, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; args: string[] })
    const built = log.filter((c) => c.tool === 'docker' && c.args[0] === 'build').pop()!
    expect(built.args).toContain('NEXT_PUBLIC_ENV=NEXT_PUBLIC_API_URL=https://todo.example.com\nNEXT_PUBLIC_FLAG=on')
  })
})
