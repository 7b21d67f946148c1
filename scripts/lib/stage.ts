// What a stage is: a spec (name, summary, flags) and a function of a context. The CLI wrapper (cli.ts) and `up` both
// build the context and call `run`; a stage never exits the process and keeps no state between calls.
import type { Config } from './config.ts'
import { allSecrets } from './config-secrets.ts'
import { relPath } from './project-paths.ts'
import { createLog, type Log, type Stream } from './log.ts'
import { createRedactor, type Redactor } from './redact.ts'
import { createRunner, type CommandRunner } from './run.ts'

export type FlagSpec = { type: 'boolean' | 'string'; description: string }
export type Flags = Record<string, string | boolean | undefined>

export type StageSpec = {
  name: string
  summary: string
  /** extra help text: what the stage does, step by step */
  description?: string
  /** flags besides the common ones */
  flags?: Record<string, FlagSpec>
  /** check that source dirs, Dockerfiles and the chart exist (default true) */
  checkPaths?: boolean
  /** the first run writes a missing .env with generated secrets before this stage (deploy) */
  needsSecrets?: boolean
  /** init: a missing --env-path / KIT_ENV_FILE file is written too (other stages refuse it: a typo is no new .env) */
  createsEnvFile?: boolean
  /** refuses flag values the stage cannot use (a KitError), before a first run writes .env: bad input changes nothing */
  checkFlags?: (flags: Flags, o: { dryRun: boolean }) => Promise<void>
}

export type Ctx = CommandRunner & {
  cfg: Config
  dryRun: boolean
  redact: Redactor
  log: Log
  /** setup ran earlier in the same run (inside up and dev): its dry run already printed `kubectl create namespace` */
  afterSetup: boolean
  /** whose Docker daemon the docker commands talk to when it is not the local one (LOAD_METHOD=docker-env) */
  daemon?: string
}

export type Stage = StageSpec & { run(ctx: Ctx, flags: Flags): Promise<void> }

export const defineStage = (stage: Stage): Stage => stage

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', description: 'show this help' },
  'dry-run': {
    type: 'boolean',
    description: 'print the commands this stage would run (a script you can paste; no secret values) and run nothing',
  },
  'env-path': { type: 'string', description: 'read this file instead of .env' },
}

export type ContextOptions = {
  dryRun: boolean
  /** the environment commands run with (default process.env) */
  env?: NodeJS.ProcessEnv
  stdout?: Stream
  stderr?: Stream
}

export function createContext(cfg: Config, o: ContextOptions): Ctx {
  const redact = createRedactor(allSecrets(cfg))
  const log = createLog({ redact, dryRun: o.dryRun, stdout: o.stdout, stderr: o.stderr })
  // every command runs in the project root, so the paths it is given (and prints) are relative and pasteable
  const runner = createRunner({ dryRun: o.dryRun, redact, log, cwd: cfg.root, env: o.env })
  return { ...runner, cfg, dryRun: o.dryRun, redact, log, afterSetup: false }
}

/** A path as commands show it: relative to the project root (the commands' working directory) when inside it. */
export const shownPath = (cfg: Config, p: string): string => relPath(cfg.root, p)
