#!/usr/bin/env zx
// up: the whole path from source to a verified deployment — setup → build → load → deploy → validate.
// Each stage is the same one you can run alone; here they run in one process with one configuration, in order, and
// the first failure stops the run. Flags and --help come from the stages' own specs.
import chalk from 'chalk'
import { isMain, main, finish } from './lib/cli.ts'
import { requireSecrets } from './lib/config-secrets.ts'
import { images } from './lib/images.ts'
import { elapsed } from './lib/log.ts'
import type { Ctx, FlagSpec, Flags, Stage } from './lib/stage.ts'
import { setup } from './setup.ts'
import { build } from './build.ts'
import { load } from './load.ts'
import { deploy } from './deploy.ts'
import { validate } from './validate.ts'

export const STAGES: Stage[] = [setup, build, load, deploy, validate]

// every stage's flags, each once; a flag two stages share must mean the same thing in both
const flags: Record<string, FlagSpec & { stages: string[] }> = {}
for (const s of STAGES)
  for (const [name, spec] of Object.entries(s.flags ?? {})) {
    flags[name] ??= { ...spec, stages: [] }
    flags[name].stages.push(s.name)
  }

export const up = {
  name: 'up',
  summary: 'setup → build → load → deploy → validate',
  description: `
Runs each stage in order; the first that fails stops the run with its cause and fix. Every stage skips work that is
already done, so a second run with nothing changed builds, loads and upgrades nothing. Flags go to the stage that
takes them. Each stage alone: npx zx scripts/<${STAGES.map((s) => s.name).join('|')}>.ts --help`,
  flags: Object.fromEntries(
    Object.entries(flags).map(([k, v]) => [
      k,
      { type: v.type, description: `${v.stages.join(', ')}: ${v.description}` },
    ]),
  ),
  // build needs the sources, so the one configuration checks them
  checkPaths: true,
  needsSecrets: true,
  async run(ctx: Ctx, all: Flags): Promise<void> {
    const started = Date.now()
    const staged: Ctx = { ...ctx, afterSetup: true }
    // deploy needs them: say so now, not after minikube started and the images were built
    requireSecrets(ctx.cfg)
    // build hashes every source file for the tags: one it cannot read stops up here, before minikube starts
    images(ctx.cfg)
    for (const stage of STAGES) {
      const t0 = Date.now()
      const own = Object.fromEntries(Object.entries(all).filter(([k]) => k in (stage.flags ?? {}) || k === 'dry-run'))
      ctx.log.header(stage.name, stage.summary)
      await stage.run(staged, own)
      finish(ctx.log, stage.name, t0, ctx.dryRun)
    }
    if (!ctx.dryRun) ctx.log.ok(chalk.bold(`up done (${elapsed(started)})`))
  },
}

if (isMain(import.meta.url)) await main(up)
