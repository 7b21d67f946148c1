// Everything a stage prints goes through here, so every line is redacted (no secret value ever reaches a terminal,
// a CI log or a dry-run file) and progress looks the same in every stage.
//
// Exported API (stable):
//   out(line)                 — stdout: the copy-pasteable dry-run commands and machine output (--json), nothing else
//   info(msg) / ok(msg) / warn(msg) / detail(msg)   — progress and notes, on stderr
//   header(stage, summary)    — the stage's first line
//   step(name): Step          — start a named step; step.done(note?) / step.skip(reason) print it with elapsed time
//   task(name, fn)            — step + spinner (on a TTY) around an async fn; returns fn's result
//   fail(cause, fix, details?): never   — print "✖ cause" + "  fix: <command>" (+ indented details) and exit 1
//   elapsed(startMs): string  — "1.2s" / "2m03s"
import { spinner } from 'zx'
import chalk from 'chalk'
import { createRedactor, type Redactor } from './redact.ts'

// startStage sets it from the loaded configuration's secrets (useSecrets)
export let redact: Redactor = createRedactor({})
export const useSecrets = (secrets: Record<string, string | undefined>): void => void (redact = createRedactor(secrets))

const err = (line: string): void => {
  process.stderr.write(redact(line) + '\n')
}

export function out(line: string): void {
  process.stdout.write(redact(line) + '\n')
}

export const info = (msg: string): void => err(`${chalk.cyan('•')} ${msg}`)
export const ok = (msg: string): void => err(`${chalk.green('✔')} ${msg}`)
export const warn = (msg: string): void => err(`${chalk.yellow('!')} ${msg}`)
export const detail = (msg: string): void => err(chalk.dim(`  ${msg}`))

export function header(stage: string, summary: string): void {
  err(chalk.bold(`${stage}`) + chalk.dim(` — ${summary}`))
}

export function elapsed(startMs: number): string {
  const s = (Date.now() - startMs) / 1000
  if (s < 60) return `${s.toFixed(1)}s`
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
}

export type Step = { done(note?: string): void; skip(reason: string): void }

export function step(name: string): Step {
  const t0 = Date.now()
  err(`${chalk.cyan('▸')} ${name}`)
  return {
    done: (note) => err(`${chalk.green('✔')} ${name}${note ? ` — ${note}` : ''} ${chalk.dim(`(${elapsed(t0)})`)}`),
    skip: (reason) => err(`${chalk.green('✔')} ${name} ${chalk.dim(`— ${reason}`)}`),
  }
}

/** A long step: spinner on a TTY (never in CI logs), elapsed time when done. */
export async function task<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const s = step(name)
  const result = process.stderr.isTTY ? await spinner(name, fn) : await fn()
  s.done()
  return result
}

export function fail(cause: string, fix: string, details: string[] = []): never {
  err(`${chalk.red('✖')} ${cause}`)
  for (const d of details) err(chalk.dim(`    ${d}`))
  if (fix) err(`  ${chalk.bold('fix:')} ${fix}`)
  process.exit(1)
}
