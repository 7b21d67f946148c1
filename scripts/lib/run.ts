// Running external commands the way every stage needs them: argv-safe, redacted, dry-run aware. A runner is made per
// stage context (createRunner); there is no process-wide dry-run switch.
//
//   exec`docker build -f ${file} ...`              — a command that changes something. Echoed (redacted) before it runs;
//   exec({ input, inputNote, cause, fix, timeoutMs, stream, nothrow })`...`
//                                                  under --dry-run it is only printed to stdout, copy-pasteable.
//                                                  On failure: throws KitError(cause + last stderr line, fix), unless
//                                                  nothrow.
//   query`kubectl get pods -o json`               — a read-only look at the world. Silent, never throws; returns
//   query({ always, input, timeoutMs })`...`       { ok:false, dry:true } under --dry-run (so stages plan as if on a
//                                                  clean machine) unless `always` (for harmless probes like `helm version`).
//   hasTool(name): boolean                        — is the executable on PATH
//   commandLine(argv): string                     — how a command is shown: POSIX-quoted only where needed, redacted
//   withToolEnv({ tool, vars, shown }): CommandRunner — the same runner, except that `tool`'s commands also get `vars`
//                                                  in their environment and are shown with the `shown` prefix
//                                                  (LOAD_METHOD=docker-env: docker talks to minikube's daemon, and a
//                                                  printed docker line must say so or it would run against another one)
//
// Template pieces are split into words; each ${value} is exactly one argument (arrays: one per element), and the
// process is started without a shell (proc.ts). So stages cannot use pipes, redirects or globbing, by construction.
import { KitError } from './errors.ts'
import type { Log } from './log.ts'
import { findExecutable, spawnArgv } from './proc.ts'
import type { Redactor } from './redact.ts'

export type Result = {
  ok: boolean
  exitCode: number | null
  stdout: string
  stderr: string
  dry: boolean
  timedOut?: boolean
  notFound?: boolean
}

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
  /** return the failed Result instead of throwing */
  nothrow?: boolean
  /** abort it to interrupt the command (SIGINT: helm cancels its wait and rolls back) */
  interrupt?: AbortSignal
  /** extra environment variables (not shown in the printed command; keep them non-essential, e.g. DOCKER_BUILDKIT) */
  env?: Record<string, string>
}

export type QueryOptions = { always?: boolean; input?: string; timeoutMs?: number }

/** Environment for one executable only, e.g. minikube's DOCKER_* for `docker` while kubectl and helm run unchanged. */
export type ToolEnv = {
  tool: string
  vars: Record<string, string>
  /** how the variables are shown before that tool's command lines, e.g. `DOCKER_HOST=tcp://127.0.0.1:32771` */
  shown: string
}

type Arg = string | number | boolean | readonly (string | number | boolean)[]
type Tag = (pieces: TemplateStringsArray, ...args: Arg[]) => Promise<Result>
export type Runner<O> = {
  (pieces: TemplateStringsArray, ...args: Arg[]): Promise<Result>
  (opts: O): Tag
}

/** Split template pieces into words; each interpolated value is one word (joined to adjacent text, like a shell). */
export function toArgv(pieces: readonly string[], args: readonly Arg[]): string[] {
  const argv: string[] = []
  let cur: string | null = null
  const push = (): void => {
    if (cur !== null) argv.push(cur)
    cur = null
  }
  pieces.forEach((piece, i) => {
    for (const p of piece.split(/(\s+)/)) {
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

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return lines[lines.length - 1] ?? ''
}

/** What a read-only query returns under --dry-run: nothing ran, so nothing is known. */
export const DRY: Result = { ok: false, exitCode: null, stdout: '', stderr: '', dry: true }

function tagged<O>(fn: (argv: string[], o: O) => Promise<Result>): Runner<O> {
  function r(pieces: TemplateStringsArray, ...args: Arg[]): Promise<Result>
  function r(opts: O): Tag
  function r(first: TemplateStringsArray | O, ...args: Arg[]): Promise<Result> | Tag {
    if (Array.isArray(first) && 'raw' in (first as object))
      return fn(toArgv(first as unknown as TemplateStringsArray, args), {} as O)
    return (pieces: TemplateStringsArray, ...a: Arg[]) => fn(toArgv(pieces, a), first as O)
  }
  return r
}

export type CommandRunner = {
  exec: Runner<RunOptions>
  query: Runner<QueryOptions>
  hasTool(name: string): boolean
  commandLine(argv: readonly string[]): string
  /** the environment commands run with (the kit's own process environment unless a test gives another) */
  env: NodeJS.ProcessEnv
  withToolEnv(toolEnv: ToolEnv): CommandRunner
}

type RunnerOptions = {
  dryRun: boolean
  redact: Redactor
  log: Log
  cwd: string
  env?: NodeJS.ProcessEnv
  toolEnv?: ToolEnv
}

export function createRunner(o: RunnerOptions): CommandRunner {
  const baseEnv = o.env ?? process.env
  const own = (argv: readonly string[]): ToolEnv | undefined =>
    o.toolEnv && argv[0] === o.toolEnv.tool ? o.toolEnv : undefined
  const commandLine = (argv: readonly string[]): string => {
    const te = own(argv)
    return o.redact((te?.shown ? `${te.shown} ` : '') + argv.map(showArg).join(' '))
  }
  const spawn = async (
    argv: string[],
    x: { input?: string; timeoutMs?: number; stream?: boolean; env?: Record<string, string>; interrupt?: AbortSignal },
  ): Promise<Result> => {
    const write = (s: string): void => {
      process.stderr.write(o.redact(s))
    }
    const r = await spawnArgv(argv, {
      cwd: o.cwd,
      // the tool's own variables last: a stage's extras (DOCKER_BUILDKIT) never point docker elsewhere
      env: { ...baseEnv, ...(x.env ?? {}), ...(own(argv)?.vars ?? {}) },
      input: x.input,
      timeoutMs: x.timeoutMs,
      interrupt: x.interrupt,
      onStdout: x.stream ? write : undefined,
      onStderr: x.stream ? write : undefined,
    })
    return {
      ok: r.ok,
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      dry: false,
      timedOut: r.timedOut,
      notFound: r.notFound,
    }
  }

  const exec = tagged<RunOptions>(async (argv, x) => {
    const line = commandLine(argv)
    if (o.dryRun) {
      o.log.out(x.inputNote ? `${line}  # ${x.inputNote}` : line)
      return { ...DRY, ok: true }
    }
    o.log.detail(`$ ${line}`)
    const r = await spawn(argv, x)
    if (!r.ok && !x.nothrow) {
      const why = r.timedOut
        ? `timed out after ${Math.round((x.timeoutMs ?? 0) / 1000)}s`
        : r.notFound
          ? `${argv[0]} was not found on PATH`
          : lastLine(r.stderr) || lastLine(r.stdout) || `exit code ${r.exitCode}`
      const lines = (r.stderr || r.stdout).split('\n').filter((l) => l.trim())
      const tail = lines.length > 1 && !x.stream ? lines.slice(-12).map(o.redact) : []
      throw new KitError(
        o.redact(`${x.cause ?? `\`${argv.slice(0, 2).join(' ')}\` failed`}: ${why}`),
        x.fix ?? line,
        tail,
      )
    }
    return r
  })

  const query = tagged<QueryOptions>(async (argv, x) => {
    if (o.dryRun && !x.always) return DRY
    return spawn(argv, x)
  })

  return {
    exec,
    query,
    hasTool: (name) => findExecutable(name, baseEnv) !== null,
    commandLine,
    env: baseEnv,
    withToolEnv: (toolEnv) => createRunner({ ...o, toolEnv }),
  }
}
