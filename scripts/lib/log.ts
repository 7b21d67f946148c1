// Everything a stage prints goes through a Log made for its context, so every line is redacted (no secret value ever
// reaches a terminal, a CI log or a dry-run file) and progress looks the same in every stage.
import { spinner } from 'zx'
import chalk from 'chalk'
import type { Redactor } from './redact.ts'

export type Step = { done(note?: string): void; skip(reason: string): void }

export type Log = {
  out(line: string): void
  info(msg: string): void
  ok(msg: string): void
  warn(msg: string): void
  detail(msg: string): void
  /** a line on stderr as it is (still redacted) */
  raw(line: string): void
  header(stage: string, summary: string): void
  step(name: string): Step
  task<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export type Stream = { write(s: string): unknown; isTTY?: boolean }

export function elapsed(startMs: number): string {
  const s = (Date.now() - startMs) / 1000
  if (s < 60) return `${s.toFixed(1)}s`
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
}

export function createLog(o: { redact: Redactor; dryRun: boolean; stdout?: Stream; stderr?: Stream }): Log {
  const stdout = o.stdout ?? process.stdout
  const stderr = o.stderr ?? process.stderr
  const tty = Boolean(stderr.isTTY)
  const err = (line: string): void => {
    stderr.write(o.redact(line) + '\n')
  }
  const info = (msg: string): void => err(`${chalk.cyan('•')} ${msg}`)
  const step = (name: string): Step => {
    const t0 = Date.now()
    if (!tty && !o.dryRun) err(`${chalk.cyan('▸')} ${name}`)
    return {
      done: (note) =>
        o.dryRun
          ? undefined
          : err(`${chalk.green('✔')} ${name}${note ? ` — ${note}` : ''} ${chalk.dim(`(${elapsed(t0)})`)}`),
      skip: (reason) => (o.dryRun ? undefined : err(`${chalk.green('✔')} ${name} ${chalk.dim(`— ${reason}`)}`)),
    }
  }
  return {
    out: (line) => {
      stdout.write(o.redact(line) + '\n')
    },
    info,
    ok: (msg) => (o.dryRun ? info(msg) : err(`${chalk.green('✔')} ${msg}`)),
    warn: (msg) => err(`${chalk.yellow('!')} ${msg}`),
    detail: (msg) => err(chalk.dim(`  ${msg}`)),
    raw: err,
    header: (stage, summary) =>
      err(chalk.bold(stage) + chalk.dim(` — ${summary}${o.dryRun ? ' (dry run: nothing is executed)' : ''}`)),
    step,
    task: async (name, fn) => {
      // a dry run prints the commands and claims nothing: no spinner, no ✔
      if (o.dryRun) return fn()
      const s = step(name)
      const result = tty ? await spinner(o.redact(name), fn) : await fn()
      // a command run with nothrow that failed gets no ✔: its caller prints the one ✖ line with the cause
      const failed = typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false
      if (!failed) s.done()
      return result
    },
  }
}
