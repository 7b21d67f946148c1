// The runner: each ${value} is one argument (never re-parsed by a shell), dry runs print instead of running,
// stdin reaches the command without appearing anywhere, and printed commands are redacted.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../scripts/lib/config.ts'
import { useSecrets } from '../../scripts/lib/log.ts'
import { commandLine, query, setDryRun, sh, showArg, toArgv } from '../../scripts/lib/run.ts'

const words = (pieces: TemplateStringsArray, ...args: (string | number | boolean | string[])[]): string[] => toArgv(pieces, args)

describe('toArgv', () => {
  it('splits the template on whitespace and keeps each value whole', () => {
    expect(words`docker build -t ${'a b'} ${'$(rm -rf /)'} .`).toEqual(['docker', 'build', '-t', 'a b', '$(rm -rf /)', '.'])
    expect(words`helm ${['--set', 'a=1']} --timeout ${5}m`).toEqual(['helm', '--set', 'a=1', '--timeout', '5m'])
    expect(words`kubectl logs ${'p'} ${[]} --tail=${20}`).toEqual(['kubectl', 'logs', 'p', '--tail=20'])
    expect(words`x --memory=${'4g'}  ${''}`).toEqual(['x', '--memory=4g', ''])
  })
  it('shows arguments POSIX-quoted only where needed', () => {
    expect(showArg('todo-frontend:h-0123456789ab')).toBe('todo-frontend:h-0123456789ab')
    expect(showArg('a b')).toBe("'a b'")
    expect(showArg('')).toBe("''")
    expect(showArg("it's")).toBe(`'it'"'"'s'`)
    expect(commandLine(['docker', 'version', '--format', '{{.Server.Version}}'])).toBe("docker version --format '{{.Server.Version}}'")
  })
})

describe('sh and query', () => {
  const writes: string[] = []
  afterEach(() => {
    setDryRun(false)
    vi.restoreAllMocks()
    writes.length = 0
  })
  const capture = (): void => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true))
  }

  it('under --dry-run prints the command (with the stdin note, redacted) and runs nothing; queries return dry', async () => {
    const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'kit-run-')), '.env')
    writeFileSync(f, 'OPENAI_API_KEY=sk-hidden-12345\n')
    useSecrets(loadConfig({ env: {}, envFile: f, checkPaths: false }).secrets)
    setDryRun(true)
    capture()
    const r = await sh({ input: 'secret manifest', inputNote: 'stdin: Secret x' })`kubectl apply -f - --token ${'sk-hidden-12345'}`
    const q = await query`kubectl get pods`
    vi.restoreAllMocks()
    expect(r).toMatchObject({ ok: true, dry: true })
    expect(q).toMatchObject({ ok: false, dry: true, exitCode: null })
    expect(writes.join('')).toBe('kubectl apply -f - --token ***  # stdin: Secret x\n')
  })

  it('runs for real: stdin reaches the command, values are single arguments, failures come back with nothrow', async () => {
    capture()
    const echo = await query({ input: 'from stdin' })`node -e ${'process.stdin.pipe(process.stdout)'}`
    const argv = await query`node -e ${'console.log(JSON.stringify(process.argv.slice(1)))'} ${'a b'} ${'$HOME'} ${'x;y'}`
    const bad = await sh({ nothrow: true })`node -e ${'process.exit(3)'}`
    const dryProbe = (setDryRun(true), await query({ always: true })`node -e ${'console.log(42)'}`)
    vi.restoreAllMocks()
    expect(echo.stdout).toBe('from stdin')
    expect(JSON.parse(argv.stdout)).toEqual(['a b', '$HOME', 'x;y'])
    expect(bad).toMatchObject({ ok: false, exitCode: 3, dry: false })
    expect(dryProbe.stdout.trim()).toBe('42')
    expect(writes.join('')).toContain("$ node -e 'process.exit(3)'")
  })
})
