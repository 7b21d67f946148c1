#!/usr/bin/env zx
// up: the whole path from source to a verified deployment — setup → build → load → deploy → validate.
// Each stage is the same file you can run alone; here they run in one process, in order, and the first failure stops.
import { argv } from 'zx'
import { nested } from './lib/stage.ts'
import { fail } from './lib/log.ts'

if (argv.help) {
  process.stdout.write(`npx zx scripts/up.ts [flags] — setup → build → load → deploy → validate

Runs each stage in order; the first that fails stops the run with its cause and fix. Every stage skips work that is
already done, so a second run with nothing changed builds, loads and upgrades nothing.

Flags (passed to every stage):
  --help                 show this help
  --dry-run              print every command the stages would run, and run nothing
  --env-path <path>      read this file instead of .env
  --force, --verbose     build: rebuild even when the tag exists / stream docker build output
  --json, --once         validate: JSON result on stdout / check once without waiting

Each stage alone: npx zx scripts/<setup|build|load|deploy|validate>.ts --help
`)
  process.exit(0)
}
// the flags any of the stages knows; anything else is a typo worth stopping for
const known = new Set(['_', 'help', 'dry-run', 'dryRun', 'env-path', 'envPath', 'force', 'verbose', 'json', 'once'])
const unknown = Object.keys(argv).filter((k) => !known.has(k))
if (unknown.length) fail(`unknown flag --${unknown[0]} for up`, 'npx zx scripts/up.ts --help')
nested.inUp = true

await import('./setup.ts')
await import('./build.ts')
await import('./load.ts')
await import('./deploy.ts')
await import('./validate.ts')
