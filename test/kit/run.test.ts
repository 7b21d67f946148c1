// The runner: each ${value} is one argument (never re-parsed by a shell, none is started), dry runs print instead of
// running, stdin reaches the command without appearing anywhere, printed commands are redacted, time limits are
// bounded, and a failure is a KitError with its fix (only the CLI wrapper exits).
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KitError } from '../../scripts/lib/errors.ts'
import { createLog } from '../../scripts/lib/log.ts'
import { MAX_TIMER_MS, spawnArgv } from '../../scripts/lib/proc.ts'
import { createRedactor } from '../../scripts/lib/redact.ts'
import { createRunner, showArg, toArgv } from '../../scripts/lib/run.ts'

const words = (pieces: TemplateStringsArray, ...args: (string | number | boolean | string[])[]): string[] =>
  toArgv(pieces, args)

function runner(dryRun: boolean, secrets: Record<string, string> = {}) {
  const stdout: string[] = []
  const stderr: string[] = []
  const redact = createRedactor(secrets)
  const log = createLog({
    redact,
    dryRun,
    stdout: { write: (s: string) => stdout.push(s) },
    stderr: { write: (s: string) => stderr.push(s) },
  })
  return { r: createRunner({ dryRun, redact, log, cwd: process.cwd() }), stdout, stderr }
}

describe('toArgv', () => {
  it('splits the template on whitespace and keeps each value whole', () => {
    expect(words`docker build -t ${'a b'} ${'$(rm -rf /)'} .`).toEqual([
      'docker',
      'build',
      '-t',
      'a b',
      '$(rm -rf /)',
      '.',
    ])
    expect(words`helm ${['--set', 'a=1']} --timeout ${5}m`).toEqual(['helm', '--set', 'a=1', '--timeout', '5m'])
    expect(words`kubectl logs ${'p'} ${[]} --tail=${20}`).toEqual(['kubectl', 'logs', 'p', '--tail=20'])
    expect(words`x --memory=${'4g'}  ${''}`).toEqual(['x', '--memory=4g', ''])
  })
  it('shows arguments POSIX-quoted only where needed, redacted', () => {
    expect(showArg('todo-frontend:h-0123456789ab')).toBe('todo-frontend:h-0123456789ab')
    expect(showArg('a b')).toBe("'a b'")
    expect(showArg('')).toBe("''")
    expect(showArg("it's")).toBe(`'it'"'"'s'`)
    const { r } = runner(false, { OPENAI_API_KEY: 'sk-hidden-12345' })
    expect(r.commandLine(['docker', 'version', '--format', '{{.Server.Version}}'])).toBe(
      "docker version --format '{{.Server.Version}}'",
    )
    expect(r.commandLine(['curl', '-H', 'Authorization: Bearer sk-hidden-12345'])).toBe(
      "curl -H 'Authorization: Bearer ***'",
    )
  })
})

describe('redaction', () => {
  it('hides whole values of at least 8 characters, never a short one inside other words', () => {
    const redact = createRedactor({
      OPENAI_API_KEY: 'e',
      POSTGRES_PASSWORD: 'todo',
      BETTER_AUTH_SECRET: 'long-enough-secret',
      DATABASE_URL: 'postgresql://u:p%40ss-word-1@db:5432/app',
    })
    expect(redact('kubectl create namespace todo')).toBe('kubectl create namespace todo')
    expect(redact('x long-enough-secret y')).toBe('x *** y')
    expect(redact('url postgresql://u:p%40ss-word-1@db:5432/app and p@ss-word-1')).toBe('url *** and ***')
  })
})

describe('exec and query', () => {
  it('under --dry-run prints the command (with the stdin note, redacted) and runs nothing; queries return dry', async () => {
    const { r, stdout } = runner(true, { OPENAI_API_KEY: 'sk-hidden-12345' })
    const res = await r.exec({
      input: 'secret manifest',
      inputNote: 'stdin: Secret x',
    })`kubectl apply -f - --token ${'sk-hidden-12345'}`
    const q = await r.query`kubectl get pods`
    expect(res).toMatchObject({ ok: true, dry: true })
    expect(q).toMatchObject({ ok: false, dry: true, exitCode: null })
    expect(stdout.join('')).toBe('kubectl apply -f - --token ***  # stdin: Secret x\n')
  })

  it('runs for real without a shell: stdin reaches the command, values are single arguments, failures come back with nothrow', async () => {
    const { r, stderr } = runner(false)
    const echo = await r.query({ input: 'from stdin' })`node -e ${'process.stdin.pipe(process.stdout)'}`
    const argv =
      await r.query`node -e ${'console.log(JSON.stringify(process.argv.slice(1)))'} ${'a b'} ${'$HOME'} ${'x;y'} ${'*'} ${'a|b'}`
    const bad = await r.exec({ nothrow: true })`node -e ${'process.exit(3)'}`
    expect(echo.stdout).toBe('from stdin')
    expect(JSON.parse(argv.stdout)).toEqual(['a b', '$HOME', 'x;y', '*', 'a|b'])
    expect(bad).toMatchObject({ ok: false, exitCode: 3, dry: false })
    expect(stderr.join('')).toContain("$ node -e 'process.exit(3)'")
  })

  it('a failed command is a KitError with the cause, the last stderr lines and the fix; nothing exits', async () => {
    const { r } = runner(false)
    const e = await r.exec({
      cause: 'it broke',
      fix: 'do this',
    })`node -e ${'console.error("first\\nlast words"); process.exit(2)'}`.catch((x: unknown) => x)
    expect(e).toBeInstanceOf(KitError)
    expect((e as KitError).message).toBe('it broke: last words')
    expect((e as KitError).fix).toBe('do this')
    expect((e as KitError).details).toEqual(['first', 'last words'])
  })

  it('a missing executable is reported as such, not as a failed command', async () => {
    const { r } = runner(false)
    const q = await r.query`no-such-tool-here --version`
    expect(q).toMatchObject({ ok: false, notFound: true, exitCode: 127 })
    expect(r.hasTool('no-such-tool-here')).toBe(false)
    expect(r.hasTool('node')).toBe(true)
    const e = await r.exec`no-such-tool-here --version`.catch((x: unknown) => x)
    expect((e as KitError).message).toContain('no-such-tool-here was not found on PATH')
  })

  it('time limits: a limit stops the command; one beyond what a timer can hold is bounded instead of firing at once', async () => {
    const t0 = Date.now()
    const slow = await spawnArgv([process.execPath, '-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 })
    expect(slow).toMatchObject({ ok: false, timedOut: true, exitCode: null })
    expect(Date.now() - t0).toBeLessThan(20_000)
    // 1000h: Node's setTimeout would fire after 1 ms and kill the command at once
    const long = await spawnArgv([process.execPath, '-e', 'setTimeout(() => console.log("done"), 300)'], {
      timeoutMs: 1000 * 3_600_000,
    })
    expect(long).toMatchObject({ ok: true, timedOut: false })
    expect(long.stdout.trim()).toBe('done')
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1)
  })
})

describe('progress lines', () => {
  const capture = (isTTY: boolean, dryRun = false) => {
    const lines: string[] = []
    const log = createLog({
      redact: (s) => s,
      dryRun,
      stdout: { write: (s: string) => lines.push(`out:${s}`) },
      stderr: { isTTY, write: (s: string) => lines.push(s) },
    })
    return { log, lines }
  }
  it('one line per step on a terminal; a start line too in a CI log', () => {
    const tty = capture(true)
    tty.log.step('build todo-frontend').done()
    expect(tty.lines).toHaveLength(1)
    expect(tty.lines[0]).toMatch(/^✔ build todo-frontend \(\d+\.\ds\)\n$/)
    const ci = capture(false)
    ci.log.step('build todo-frontend').done()
    expect(ci.lines.map((l) => l.slice(0, 2))).toEqual(['▸ ', '✔ '])
  })
  it('a dry run claims nothing: no ✔ for steps, tasks or notes', async () => {
    const dry = capture(false, true)
    dry.log.step('preflight').done('docker 27')
    await dry.log.task('build x', async () => dry.log.out('docker build x'))
    dry.log.ok('namespace todo exists')
    expect(dry.lines.join('')).not.toContain('✔')
    expect(dry.lines).toEqual(['out:docker build x\n', '• namespace todo exists\n'])
  })
})

describe('withToolEnv', () => {
  it("gives the variables to that tool's commands only, and shows them in front of its lines", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-toolenv-'))
    const state = path.join(dir, 'state.json')
    const calls = path.join(dir, 'calls.log')
    writeFileSync(state, '{"context":"todo","minikube":{"running":true,"images":[]}}')
    writeFileSync(calls, '')
    const fakes = path.join(import.meta.dirname, 'fakes')
    const stderr: string[] = []
    const log = createLog({
      redact: (s) => s,
      dryRun: false,
      stdout: { write: () => true },
      stderr: { write: (s: string) => stderr.push(s) },
    })
    const env = {
      PATH: [fakes, path.dirname(process.execPath)].join(path.delimiter),
      FAKE_STATE: state,
      FAKE_LOG: calls,
    }
    const base = createRunner({ dryRun: false, redact: (s) => s, log, cwd: dir, env })
    const vars = {
      DOCKER_TLS_VERIFY: '1',
      DOCKER_HOST: 'tcp://127.0.0.1:32771',
      DOCKER_CERT_PATH: '/home/dev/.minikube/certs',
    }
    const r = base.withToolEnv({ tool: 'docker', vars, shown: 'DOCKER_HOST=tcp://127.0.0.1:32771' })
    // a stage's own extras never point docker elsewhere
    await r.exec({ env: { DOCKER_BUILDKIT: '1', DOCKER_HOST: 'unix:///elsewhere.sock' } })`docker build -t ${'a:1'} .`
    await r.query`kubectl config current-context`
    await base.query`docker image inspect ${'a:1'}`
    const hosts = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tool: string; dockerHost?: string })
    expect(hosts.map((c) => [c.tool, c.dockerHost])).toEqual([
      ['docker', 'tcp://127.0.0.1:32771'],
      ['kubectl', undefined],
      ['docker', undefined],
    ])
    expect(stderr.join('')).toContain('$ DOCKER_HOST=tcp://127.0.0.1:32771 docker build -t a:1 .')
    expect(r.commandLine(['kubectl', 'get', 'pods'])).toBe('kubectl get pods')
    expect(base.commandLine(['docker', 'ps'])).toBe('docker ps')
  })
})
