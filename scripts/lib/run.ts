// Running external commands the way every stage needs them: argv-safe, redacted, dry-run aware.
//
// Exported API (stable):
//   sh`docker build -f ${file} ...`              — a command that changes something. Echoed (redacted) before it runs;
//   sh({ input, inputNote, cause, fix, timeoutMs, stream, nothrow })`...`
//                                                  under --dry-run it is only printed to stdout, copy-pasteable.
//                                                  On failure: fail(cause + last stderr line, fix) → exit 1, unless nothrow.
//   query`kubectl get pods -o json`               — a read-only look at the world. Silent, never throws; returns
//   query({ always, input, timeoutMs })`...`       { ok:false, dry:true } under --dry-run (so stages plan as if on a
//                                                  clean machine) unless `always` (for harmless probes like `helm version`).
//   setDryRun(on) / isDryRun()
//   commandLine(argv): string                     — how a command is shown: POSIX-quoted only where needed, redacted
//   hasTool(name): Promise<boolean>               — is the executable on PATH
//
// Template pieces are split into words; each ${value} is exactly one argument (arrays: one per element), never
// re-parsed by a shell. So stages cannot use pipes, redirects or globbing, by construction: the same commands run on
// Linux, macOS and Windows.
import { $, which, type ProcessOutput } from 'zx'
import { detail, fail, out, redact } from './log.ts'

export type Result = { ok: boolean; exitCode: number | null; stdout: string; stderr: string; dry: boolean }

export type RunOptions = {
  /** stdin for the command (e.g. a Secret manifest for `kubectl apply -f -`); never printed */
  input?: string
  /** what the dry-run line says stdin holds, e.g. "stdin: Secret todo/todo-secrets made from .env" */
  inputNote?: string
  /** one-line cause printed when the command fails (default: "`<cmd>` failed") */
  cause?: string
  /** the command that fixes it, printed after "fix:" */
  fix?: string
  timeoutMs?: number
  /** stream the command's output (redacted) to stderr while it runs */
  stream?: boolean
  /** return the failed Result instead of exiting */
  nothrow?: boolean
  /** extra environment variables (not shown in the printed command; keep them non-essential, e.g. DOCKER_BUILDKIT) */
  env?: Record<string, string>
}

export type QueryOptions = { always?: boolean; input?: string; timeoutMs?: number }

type Arg = string | number | boolean | readonly (string | number | boolean)[]
type Tag = (pieces: TemplateStringsArray, ...args: Arg[]) => Promise<Result>

let dryRun = false
export const setDryRun = (on: boolean): void => {
  dryRun = on
}
export const isDryRun = (): boolean => dryRun

/** Split template pieces into words; each interpolated value is one word (joined to adjacent text, like a shell). */
export function toArgv(pieces: readonly string[], args: readonly Arg[]): string[] {
  const argv: string[] = []
  let cur: string | null = null
  const push = (): void => {
    if (cur !== null) argv.push(cur)
    cur = null
  }
  pieces.forEach((piece, i) => {
    const parts = piece.split(/(\s+)/)
    for (const p of parts) {
      if (p === '') continue
      if (/^\s+$/.test(p)) push()
      else cur = (cur ?? '') + p
    }
    if (i < args.length) {
      const a = args[i] as Arg
      if (Array.isArray(a)) {
        // an array spreads into separate words (like zx)
        a.forEach((el, j) => {
          if (j > 0) push()
          cur = (cur ?? '') + String(el)
        })
        if (a.length === 0 && cur === null) return
      } else cur = (cur ?? '') + String(a)
    }
  })
  push()
  return argv
}

const plain = /^[\w@%+=:,./-]+$/
/** POSIX-style quoting that also pastes into PowerShell for values without single quotes. */
export function showArg(a: string): string {
  if (a !== '' && plain.test(a)) return a
  return `'${a.replace(/'/g, `'"'"'`)}'`
}
export const commandLine = (argv: readonly string[]): string => redact(argv.map(showArg).join(' '))

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  return lines[lines.length - 1] ?? ''
}

async function exec(argv: string[], o: { input?: string; timeoutMs?: number; stream?: boolean; env?: Record<string, string> }): Promise<Result> {
  const p = $({ quiet: true, nothrow: true, input: o.input, timeout: o.timeoutMs, env: { ...process.env, ...(o.env ?? {}) } })`${argv}`
  if (o.stream) {
    p.stdout.on('data', (d: Buffer) => process.stderr.write(redact(String(d))))
    p.stderr.on('data', (d: Buffer) => process.stderr.write(redact(String(d))))
  }
  const r: ProcessOutput = await p
  return { ok: r.exitCode === 0, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, dry: false }
}

const DRY: Result = { ok: false, exitCode: null, stdout: '', stderr: '', dry: true }

function runner<O>(fn: (argv: string[], o: O) => Promise<Result>) {
  function r(pieces: TemplateStringsArray, ...args: Arg[]): Promise<Result>
  function r(opts: O): Tag
  function r(first: TemplateStringsArray | O, ...args: Arg[]): Promise<Result> | Tag {
    if (Array.isArray(first) && 'raw' in (first as object)) return fn(toArgv(first as unknown as TemplateStringsArray, args), {} as O)
    return (pieces: TemplateStringsArray, ...a: Arg[]) => fn(toArgv(pieces, a), first as O)
  }
  return r
}

export const sh = runner<RunOptions>(async (argv, o) => {
  const line = commandLine(argv)
  if (dryRun) {
    out(o.inputNote ? `${line}  # ${o.inputNote}` : line)
    return { ...DRY, ok: true }
  }
  detail(`$ ${line}`)
  const r = await exec(argv, o)
  if (!r.ok && !o.nothrow) {
    const why = r.exitCode === null ? `timed out after ${Math.round((o.timeoutMs ?? 0) / 1000)}s` : r.exitCode === 127 ? `${argv[0]} was not found on PATH` : lastLine(r.stderr) || lastLine(r.stdout) || `exit code ${r.exitCode}`
    const lines = (r.stderr || r.stdout).split("\n").filter((l) => l.trim())
    const tail = lines.length > 1 ? lines.slice(-12) : []
    fail(`${o.cause ?? `\`${argv.slice(0, 2).join(' ')}\` failed`}: ${why}`, o.fix ?? line, o.stream ? [] : tail)
  }
  return r
})

export const query = runner<QueryOptions>(async (argv, o) => {
  if (dryRun && !o.always) return DRY
  return exec(argv, o)
})

export async function hasTool(name: string): Promise<boolean> {
  return (await which(name, { nothrow: true })) !== null
}
