// The kit's one way to start a process: argv straight to the executable, never through a shell, so the same
// command runs on Linux, macOS and Windows (no bash, no quoting rules) and a value is always exactly one argument.
import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'

export const MAX_TIMER_MS = 2 ** 31 - 1

export type Exit = {
  ok: boolean
  /** null when the process was stopped at the time limit (or did not start) */
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  notFound: boolean
  ms: number
}

export type SpawnOptions = {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** written to stdin, then stdin is closed; without it stdin is closed from the start (nothing waits on a terminal) */
  input?: string
  /** bounded to MAX_TIMER_MS; the whole process group is stopped on POSIX */
  timeoutMs?: number
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
  /** when it aborts, the process group gets SIGINT (a chance to clean up: helm rolls back), and SIGKILL 60 s later */
  interrupt?: AbortSignal
  /** keep the output for Exit.stdout/stderr (default true; false for streams that run for hours) */
  collect?: boolean
}

export type Started = { exited: Promise<Exit>; stop(signal?: NodeJS.Signals): void }

/** PATH lookup as the OS would do it (PATHEXT on Windows), so a missing tool is known before anything runs. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const isWin = process.platform === 'win32'
  const exts = isWin ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : ['']
  const candidates = (dir: string): string[] =>
    exts.map((e) => path.join(dir, name + e)).concat(isWin ? [path.join(dir, name)] : [])
  const dirs =
    name.includes('/') || name.includes(path.sep)
      ? ['']
      : (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean)
  for (const dir of dirs) {
    for (const file of dir ? candidates(dir) : [name]) {
      try {
        if (!statSync(file).isFile()) continue
        if (!isWin) accessSync(file, constants.X_OK)
        return file
      } catch {
        /* not here */
      }
    }
  }
  return null
}

// Commands run in their own process group, so Ctrl-C on the kit does not reach them: stop them, then exit as the
// signal would have. A long-running stage (dev) takes Ctrl-C over to stop in order; a second one exits at once.
const running = new Set<() => void>()
let watching = false
let interruptHandler: (() => Promise<void>) | null = null
let interrupted = false
export function onInterrupt(handler: (() => Promise<void>) | null): void {
  interruptHandler = handler
  interrupted = false
  watchSignals()
}
function watchSignals(): void {
  if (watching) return
  watching = true
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      if (interruptHandler && !interrupted) {
        interrupted = true
        void interruptHandler()
        return
      }
      for (const stop of running) stop()
      process.exit(sig === 'SIGINT' ? 130 : 143)
    })
}

export function spawnArgv(argv: readonly string[], o: SpawnOptions = {}): Promise<Exit> {
  return startArgv(argv, o).exited
}

export function startArgv(argv: readonly string[], o: SpawnOptions = {}): Started {
  const t0 = Date.now()
  const [cmd, ...args] = argv
  const env = o.env ?? process.env
  const exe = cmd ? findExecutable(cmd, env) : null
  if (!exe) {
    const exited = Promise.resolve({
      ok: false,
      exitCode: 127,
      stdout: '',
      stderr: `${cmd ?? '(empty command)'}: not found on PATH`,
      timedOut: false,
      notFound: true,
      ms: 0,
    })
    return { exited, stop: () => undefined }
  }
  const posix = process.platform !== 'win32'
  const child = spawn(exe, args, {
    cwd: o.cwd,
    env,
    stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    // its own process group, so a time limit also stops whatever the command started
    detached: posix,
    windowsHide: true,
  })
  let settled = false
  const stop = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    if (settled) return
    try {
      if (posix && child.pid) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      child.kill(signal)
    }
  }
  const exited = new Promise<Exit>((resolve) => {
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout?.on('data', (d: Buffer) => {
      const s = String(d)
      if (o.collect !== false) stdout += s
      o.onStdout?.(s)
    })
    child.stderr?.on('data', (d: Buffer) => {
      const s = String(d)
      if (o.collect !== false) stderr += s
      o.onStderr?.(s)
    })
    if (o.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        /* the command exited without reading stdin: its exit code says why */
      })
      child.stdin.end(o.input)
    }
    const timer =
      o.timeoutMs === undefined
        ? null
        : setTimeout(
            () => {
              timedOut = true
              stop()
            },
            Math.min(Math.max(o.timeoutMs, 1), MAX_TIMER_MS),
          )
    let killLater: NodeJS.Timeout | null = null
    const onAbort = (): void => {
      stop('SIGINT')
      killLater = setTimeout(() => stop(), 60_000)
    }
    if (o.interrupt?.aborted) onAbort()
    else o.interrupt?.addEventListener('abort', onAbort, { once: true })
    const kill = (): void => stop()
    running.add(kill)
    watchSignals()
    const finish = (exitCode: number | null, err?: Error): void => {
      if (settled) return
      settled = true
      if (timer) clearTimeout(timer)
      if (killLater) clearTimeout(killLater)
      o.interrupt?.removeEventListener('abort', onAbort)
      running.delete(kill)
      if (err) stderr += `${err.message}\n`
      const code = timedOut ? null : exitCode
      resolve({ ok: code === 0, exitCode: code, stdout, stderr, timedOut, notFound: false, ms: Date.now() - t0 })
    }
    child.on('error', (e) => finish(126, e))
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : null)))
  })
  return { exited, stop }
}
