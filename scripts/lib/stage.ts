// The start of every stage: flags, --help, --dry-run, config, working directory, the header line.
//
// Exported API (stable):
//   startStage(spec: StageSpec): { cfg: Config; flags: Flags; dryRun: boolean; t0: number }
//     - prints --help (usage, what the stage does, flags) and exits 0
//     - unknown flags fail (except when the stage runs inside `up`, which passes its flags to every stage)
//     - loads config (ConfigError → "✖ KEY=... is invalid: expected ..." + fix, exit 1), prints its warnings
//     - sets the working directory of every command to the project root, so printed paths are relative and pasteable
//   finishStage(name, t0)  — "✔ <name> done (elapsed)"
//   nested                 — { inUp: boolean }: set by up.ts before it imports the stages
//   StageSpec, Flags
//
// Common flags every stage accepts: --help, --dry-run, --env-path <path>.
import { $, argv, chalk } from 'zx'
import path from 'node:path'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { elapsed, fail, header, ok, useSecrets, warn } from './log.ts'
import { setDryRun } from './run.ts'

export type StageSpec = {
  name: string
  summary: string
  /** boolean flags besides --help/--dry-run, name → description */
  flags?: Record<string, string>
  /** string-valued flags, name → description */
  options?: Record<string, string>
  /** extra help text: what the stage does, step by step */
  description?: string
  /** check source dirs/Dockerfiles/chart exist (default true) */
  checkPaths?: boolean
}

export type Flags = Record<string, string | boolean | undefined>

export const nested = { inUp: false }
// `up` loads the config once per stage; say each warning once
const warned = new Set<string>()

const common: Record<string, string> = {
  help: 'show this help',
  'dry-run': 'print the commands this stage would run (copy-pasteable, no secret values) and run nothing',
}

function help(spec: StageSpec): string {
  const lines = [`${chalk.bold(`npx zx scripts/${spec.name}.ts`)} [flags] — ${spec.summary}`, '']
  if (spec.description) lines.push(spec.description.trim(), '')
  lines.push('Flags:')
  const all = { ...common, ...(spec.flags ?? {}) }
  for (const [f, d] of Object.entries(all)) lines.push(`  --${f.padEnd(20)} ${d}`)
  for (const [f, d] of Object.entries({ 'env-path': 'read this file instead of .env', ...(spec.options ?? {}) }))
    lines.push(`  --${`${f} <value>`.padEnd(20)} ${d}`)
  lines.push('', 'Configuration comes from .env and the environment; every key is documented in .env.example.')
  return lines.join('\n')
}

export function startStage(spec: StageSpec): { cfg: Config; flags: Flags; dryRun: boolean; t0: number } {
  const t0 = Date.now()
  const flags: Flags = {}
  const known = new Set([...Object.keys(common), ...Object.keys(spec.flags ?? {}), 'env-path', ...Object.keys(spec.options ?? {})])
  for (const [k, v] of Object.entries(argv)) {
    if (k === '_') continue
    // minimist also gives camelCase twins of dashed flags; skip them
    if (/[A-Z]/.test(k)) continue
    if (!known.has(k)) {
      if (nested.inUp) continue
      fail(`unknown flag --${k} for ${spec.name}`, `npx zx scripts/${spec.name}.ts --help`)
    }
    flags[k] = v as string | boolean
  }
  if (flags.help) {
    process.stdout.write(help(spec) + '\n')
    process.exit(0)
  }
  const dryRun = Boolean(flags['dry-run'])
  setDryRun(dryRun)

  let cfg: Config
  try {
    cfg = loadConfig({
      envFile: typeof flags['env-path'] === 'string' ? path.resolve(flags['env-path']) : undefined,
      checkPaths: spec.checkPaths ?? true,
    })
  } catch (e) {
    if (e instanceof ConfigError) {
      const fix = e.key === 'KIT_ENV_FILE' ? 'cp .env.example .env' : `set ${e.key} in .env (documented in .env.example), then: npx zx scripts/${spec.name}.ts`
      fail(e.message, fix)
    }
    throw e
  }
  useSecrets(cfg.secrets)
  $.cwd = cfg.root
  if (!(nested.inUp && spec.name !== 'up')) header(spec.name, spec.summary + (dryRun ? ' (dry run: nothing is executed)' : ''))
  else header(spec.name, spec.summary)
  for (const w of cfg.warnings) if (!warned.has(w)) warn(w)
  for (const w of cfg.warnings) warned.add(w)
  return { cfg, flags, dryRun, t0 }
}

export function finishStage(name: string, t0: number): void {
  ok(`${name} done ${chalk.dim(`(${elapsed(t0)})`)}`)
}

/** A path as commands show it: relative to the project root (the commands' working directory) when inside it. */
export function rel(cfg: Config, p: string): string {
  const r = path.relative(cfg.root, p)
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r.split(path.sep).join('/') : p
}
