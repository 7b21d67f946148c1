// The thin CLI wrapper around a stage: flags (node:util parseArgs, strict), --help, --dry-run, the config, the
// context, and the one place that turns a failure into "✖ cause / fix: command" and a non-zero exit code.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import chalk from 'chalk'
import { loadConfig, npmDryRun } from './config.ts'
import { ensureEnvFile, envFileToCreate, generatedSecrets } from './env-file.ts'
import { ConfigError, KitError } from './errors.ts'
import { createLog, elapsed, type Log } from './log.ts'
import { hideUrlUserinfo } from './redact.ts'
import { COMMON_FLAGS, createContext, type FlagSpec, type Flags, type Stage } from './stage.ts'

export function isMain(url: string): boolean {
  const file = fileURLToPath(url)
  // node scripts/x.ts → argv[1]; zx scripts/x.ts → argv[2] (argv[1] is zx's cli)
  return process.argv.slice(1, 3).some((a) => path.resolve(a) === file)
}

const usage = (name: string): string => `npx zx scripts/${name}.ts`

export function helpText(
  name: string,
  spec: { summary: string; description?: string; flags?: Record<string, FlagSpec> },
): string {
  const lines = [`${chalk.bold(usage(name))} [flags] — ${spec.summary}`, '']
  if (spec.description) lines.push(spec.description.trim(), '')
  lines.push('Flags:')
  for (const [f, s] of Object.entries({ ...COMMON_FLAGS, ...(spec.flags ?? {}) }))
    lines.push(`  --${(s.type === 'string' ? `${f} <value>` : f).padEnd(22)} ${s.description}`)
  lines.push('', 'Configuration comes from .env and the environment; every key is documented in .env.example.')
  return lines.join('\n')
}

export function parseFlags(name: string, specs: Record<string, FlagSpec>, argv: string[]): Flags {
  const options = Object.fromEntries(
    Object.entries({ ...COMMON_FLAGS, ...specs }).map(([k, s]) => [k, { type: s.type }]),
  ) as Record<string, { type: 'boolean' | 'string' }>
  const help = `${usage(name)} --help`
  let values: Flags
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Flags
  } catch (e) {
    const err = e as Error & { code?: string }
    const msg = err.message
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(msg)?.[1] ?? msg
      throw new KitError(`unknown flag ${flag.startsWith('-') ? flag : `--${flag}`} for ${name}`, help)
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const word = /'([^']+)'/.exec(msg)?.[1] ?? ''
      throw new KitError(`unexpected argument ${word ? `"${word}" ` : ''}for ${name} (flags start with --)`, help)
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /--[\w-]+/.exec(msg)?.[0] ?? 'a flag'
      // `--timeout -5`: parseArgs will not take a value that starts with a dash unless it is joined with =
      const next = argv[argv.indexOf(flag) + 1]
      if (/ambiguous/.test(msg) && next !== undefined)
        throw new KitError(
          `${flag} ${next}: a value that starts with "-" is read as a flag; to pass it, write ${flag}=${next}`,
          help,
        )
      throw new KitError(
        `${flag} ${options[flag.slice(2)]?.type === 'string' ? 'needs a value' : 'takes no value'}`,
        help,
      )
    }
    throw new KitError(msg, help)
  }
  for (const [k, s] of Object.entries({ ...COMMON_FLAGS, ...specs }))
    if (s.type === 'string' && values[k] !== undefined && String(values[k]).trim() === '')
      throw new KitError(`--${k} needs a value, got an empty one`, help)
  return values
}

export const dryRunRequested = (flags: Flags, env: NodeJS.ProcessEnv): boolean =>
  Boolean(flags['dry-run']) || npmDryRun(env)

/**
 * First run: a stage that needs secrets writes a missing default .env with generated ones and says so once. A dry run
 * writes nothing: it plans with generated values held in memory (returned as the environment to load) and says so.
 */
export function firstRunEnv(o: {
  log: Log
  dryRun: boolean
  envFile?: string
  root?: string
  env?: NodeJS.ProcessEnv
  createExplicit?: boolean
}): NodeJS.ProcessEnv | undefined {
  const env = o.env ?? process.env
  if (o.dryRun) {
    const file = envFileToCreate({ envFile: o.envFile, root: o.root, env, createExplicit: o.createExplicit })
    if (!file) return undefined
    const fill = generatedSecrets(env)
    o.log.info(
      `dry run: ${path.basename(file)} does not exist; a real run writes it with generated ${Object.keys(fill).join(' and ') || 'nothing'} (shown here as ***)`,
    )
    return { ...env, ...fill }
  }
  const { created, keys } = ensureEnvFile({ envFile: o.envFile, root: o.root, env, createExplicit: o.createExplicit })
  // a file named by --env-path or KIT_ENV_FILE is shown by its path, and may be anywhere: not said to be git-ignored
  const named = Boolean(o.envFile ?? env.KIT_ENV_FILE)
  if (created)
    o.log.info(
      `created ${named ? created : path.basename(created)} with generated ${keys.join(' and ') || 'settings'} (mode 0600${named ? '' : ', git-ignored'}): keep it, it holds this deployment's secrets; every other key is documented in it`,
    )
  return undefined
}

/** KIT_DEBUG=1 (or a stage's --verbose) shows where an unexpected error came from. */
export const debugRequested = (env: NodeJS.ProcessEnv = process.env, flags: Flags = {}): boolean =>
  /^(1|true|yes)$/i.test(env.KIT_DEBUG ?? '') || flags.verbose === true

/** The first line of an unexpected error, naming what it is about (Node's fs errors name the file). */
function unexpectedCause(e: unknown): string {
  const err = e as (Error & { code?: string }) | undefined
  const msg = (err instanceof Error ? err.message : String(e)).split('\n').find((l) => l.trim()) ?? String(e)
  return err?.code && !msg.includes(err.code) ? `${msg} (${err.code})` : msg
}

/** Print a failure the one way the kit does: cause, details, fix. */
export function report(log: Log, e: unknown, name: string, o: { trace?: boolean } = {}): void {
  if (e instanceof KitError) {
    log.raw(`${chalk.red('✖')} ${e.message}`)
    for (const d of e.details) log.raw(chalk.dim(`    ${d}`))
    if (e.fix) log.raw(`  ${chalk.bold('fix:')} ${e.fix}`)
    return
  }
  if (e instanceof ConfigError) {
    const fix =
      e.fix ||
      (e.key === 'KIT_ENV_FILE'
        ? 'cp .env.example .env'
        : `set ${e.key} in .env (documented in .env.example), then: ${usage(name)}`)
    log.raw(`${chalk.red('✖')} ${e.message}`)
    log.raw(`  ${chalk.bold('fix:')} ${fix}`)
    return
  }
  // not a failure the kit foresaw: still one cause line and a fix; the trace only when asked for (KIT_DEBUG=1)
  const trace = o.trace ?? debugRequested()
  log.raw(`${chalk.red('✖')} ${name} stopped on an unexpected error: ${unexpectedCause(e)}`)
  if (trace)
    for (const l of String((e as Error)?.stack ?? '')
      .split('\n')
      .slice(1))
      log.raw(chalk.dim(`    ${l.trim()}`))
  const again = trace
    ? 'report it with the lines above'
    : `run it again as KIT_DEBUG=1 ${usage(name)} and report the output`
  log.raw(`  ${chalk.bold('fix:')} check the file or value named above; if it is right, ${again}`)
}

/** Run a stage (or up) as a command. Never calls process.exit: the exit code is set and the event loop drains. */
export async function main(
  stage: Stage,
  argv: string[] = process.argv.slice(process.argv[1]?.endsWith('.ts') ? 2 : 3),
): Promise<number> {
  const t0 = Date.now()
  // before the configuration is loaded no secret is known; a URL's password is still never printed
  const plain = createLog({ redact: hideUrlUserinfo, dryRun: false })
  let log: Log = plain
  let trace = debugRequested()
  try {
    const flags = parseFlags(stage.name, stage.flags ?? {}, argv)
    trace = debugRequested(process.env, flags)
    if (flags.help) {
      process.stdout.write(hideUrlUserinfo(helpText(stage.name, stage)) + '\n')
      return (process.exitCode = 0)
    }
    const dryRun = dryRunRequested(flags, process.env)
    const envFile = typeof flags['env-path'] === 'string' ? path.resolve(flags['env-path']) : undefined
    await stage.checkFlags?.(flags, { dryRun })
    const env = stage.needsSecrets
      ? firstRunEnv({ log, dryRun, envFile, createExplicit: stage.createsEnvFile })
      : undefined
    const cfg = loadConfig({
      envFile,
      env,
      checkPaths: stage.checkPaths ?? true,
      // init's dry run plans with the file it would create (firstRunEnv holds its secrets in memory)
      envFileMayBeMissing: dryRun && stage.createsEnvFile,
    })
    const ctx = createContext(cfg, { dryRun })
    log = ctx.log
    for (const w of cfg.warnings) log.warn(w)
    // up prints a header for each stage it runs
    if (stage.name !== 'up') log.header(stage.name, stage.summary)
    await stage.run(ctx, flags)
    if (stage.name !== 'up') finish(log, stage.name, t0, dryRun)
    return (process.exitCode = 0)
  } catch (e) {
    report(log, e, stage.name, { trace })
    return (process.exitCode = 1)
  }
}

export function finish(log: Log, name: string, t0: number, dryRun: boolean): void {
  if (dryRun) log.info(`${name}: dry run — the commands above were printed, not run`)
  else log.ok(`${name} done ${chalk.dim(`(${elapsed(t0)})`)}`)
}
