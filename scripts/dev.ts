#!/usr/bin/env zx
// dev (npm run dev): bring the release up to date once, then rebuild and roll only the image whose sources change,
// with the app's logs streamed and a port-forward to the frontend kept up. The same build, load and deploy stages as
// `up` do the work, so the release stays what `helm` and every other stage see.
import path from 'node:path'
import chalk from 'chalk'
import { isMain, main, report, finish } from './lib/cli.ts'
import { createContext, defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { KitError, fail } from './lib/errors.ts'
import { elapsed } from './lib/log.ts'
import { ignoreFileFor, images } from './lib/images.ts'
import { chartValue } from './lib/chart-values.ts'
import { onInterrupt } from './lib/proc.ts'
import { watchSources } from './lib/watch-sources.ts'
import { ChangeSet, scheduleCycles, type Component } from './lib/dev-loop.ts'
import { followPodLogs } from './lib/pod-logs.ts'
import { keepForwarding, portInUse, type Forward } from './lib/port-forward.ts'
import type { Config, ImageSpec } from './lib/config.ts'
import { setup } from './setup.ts'
import { build } from './build.ts'
import { load } from './load.ts'
import { deploy } from './deploy.ts'
import { cleanup } from './cleanup.ts'

export const dev = defineStage({
  name: 'dev',
  summary: 'up once, then rebuild and roll the image whose sources change; logs and a port-forward meanwhile',
  needsSecrets: true,
  flags: {
    once: {
      type: 'boolean',
      description: 'bring the release up to date (one cycle) and exit: no watching, logs or port-forward',
    },
    cleanup: { type: 'boolean', description: 'on Ctrl-C (or after --once) also run cleanup: uninstall the release' },
    port: { type: 'string', description: 'local port of the frontend port-forward (default 3000)' },
    verbose: { type: 'boolean', description: 'print every stage line of each cycle, not only the summary' },
  },
  description: `
1. setup, build, load and deploy, as in up (each skips what is already done; validate is left to you), with the
   port-forward's origin http://localhost:<port> trusted for sign-in (chart extraOrigins; a later npm run up drops
   it again, rolling both Deployments once)
2. watches FRONTEND_DIR and BACKEND_DIR (each with its image's ignore file), their Dockerfiles and ignore files;
   saves are gathered for 300 ms, and a change that leaves the content hash as it was starts nothing
3. each change: build the image that changed, load it, helm upgrade (only that Deployment rolls; deploy --fail-fast
   stops at a crash loop and rolls back); one line per cycle with each phase's time. A failure prints the diagnosis,
   the previous release keeps serving, and the next save starts a new cycle
4. meanwhile: kubectl logs -f of every frontend and backend pod, [component/pod] before each line, new pods picked
   up after each rollout; kubectl port-forward svc/<release>-frontend <port> on 127.0.0.1, restarted after rollouts
Ctrl-C stops watching, logs and the port-forward and leaves the release running (--cleanup: uninstalls it).`,
  checkFlags,
  run,
})

const DEBOUNCE_MS = 300

async function checkFlags(flags: Flags, { dryRun }: { dryRun: boolean }): Promise<void> {
  const port = parsePort(flags.port)
  // the port-forward comes last, after the first cycle's minutes: a busy port is refused now, before anything runs
  if (flags.once || dryRun) return
  const busy = await portInUse(port)
  if (busy)
    fail(
      `the port-forward cannot listen: ${busy}`,
      `npm run dev -- --port ${port + 1}   (or stop what listens on ${port})`,
    )
}

function parsePort(v: string | boolean | undefined): number {
  if (v === undefined) return 3000
  const n = Number(v)
  if (!/^\d+$/.test(String(v)) || n < 1 || n > 65535)
    throw new KitError(`--port ${String(v)} is not a port (1 to 65535)`, 'npm run dev -- --port 3000')
  return n
}

/** dev's configuration: the port-forward's origin is trusted besides PUBLIC_URL (sign-in checks the origin). */
function devConfig(cfg: Config, port: number): Config {
  const origin = `http://localhost:${port}`
  if (cfg.publicUrl.replace(/\/$/, '') === origin || cfg.extraOrigins.includes(origin)) return cfg
  return { ...cfg, extraOrigins: [...cfg.extraOrigins, origin] }
}

const specOf = (cfg: Config, c: Component): ImageSpec => (c === 'frontend' ? cfg.frontend : cfg.backend)

async function run(outer: Ctx, flags: Flags): Promise<void> {
  const once = Boolean(flags.once)
  const port = parsePort(flags.port)
  const cfg = devConfig(outer.cfg, port)
  const ctx: Ctx = { ...outer, cfg }
  const { log, dryRun } = ctx
  const service = `${cfg.release}-frontend`
  const upFlags: Flags = { 'fail-fast': true }

  // a dry run prints the commands of the first cycle and what would keep running; it watches nothing
  if (dryRun) return printPlan(ctx, port, once)

  // --port was checked (parsed, and not busy) by checkFlags before a first run wrote .env

  // ---- 1. the first cycle: up without validate ----
  const t0 = Date.now()
  // what this cycle deploys (a save while it runs is found below, once the watcher is up); the tags read every
  // source file, so one that cannot be read stops dev here, before setup starts minikube
  const planned = tagsOf(cfg)
  const deployed = await firstCycle(ctx, once)
  // after a failed first cycle any change (or none that docker sees) is worth a full cycle
  let lastTags = deployed ? planned : { frontend: '', backend: '' }
  if (deployed) log.ok(chalk.bold(`release ${cfg.release} is up to date (${elapsed(t0)})`))
  if (once) {
    if (flags.cleanup) await runCleanup(ctx)
    return
  }

  // ---- 2. logs, the port-forward, the watcher ----
  const write = (line: string): void => void process.stdout.write(line + '\n')
  const logs = followPodLogs(ctx, { write })
  const remotePort = await frontendPort(ctx, service)
  const forward: Forward = keepForwarding(ctx, { service, port, remotePort, note: (m) => log.warn(m) })
  void forward.ready(120_000).then((ok) => {
    if (ok) {
      log.info(
        chalk.bold(`frontend: http://localhost:${port}`) +
          chalk.dim(`  (port-forward to svc/${service}; sign-in works here)`),
      )
      // the journey through the port-forward, as the browser here goes: from a second terminal while dev runs
      log.detail(`prove it works: npx zx scripts/validate.ts --url http://localhost:${port}`)
    } else
      log.warn(
        `the port-forward to svc/${service} does not answer yet (is the frontend running? kubectl get pods -n ${cfg.namespace})`,
      )
  })

  const changes = new ChangeSet()
  const cycle = async (): Promise<void> => {
    const { files, savedAt } = changes.take()
    const tags = tagsOf(cfg)
    const rolled = (['frontend', 'backend'] as const).filter(
      (c) => tags[c] !== lastTags[c] && (lastTags[c] !== '' || files.has(c)),
    )
    if (rolled.length === 0) return // saved, but nothing docker would see changed
    const what = rolled.map((c) => `${c} (${describe(cfg, c, files.get(c) ?? [])})`).join(', ')
    // each cycle's stage lines go to a buffer: one summary line on success, all of them on failure
    const lines: string[] = []
    const sink = { write: (s: string) => void lines.push(s), isTTY: false }
    const quiet = flags.verbose ? ctx : { ...createContext(cfg, { dryRun: false, stderr: sink }), afterSetup: true }
    const times: string[] = []
    try {
      for (const stage of [build, load, deploy]) {
        const ts = Date.now()
        await stage.run(quiet, upFlags)
        times.push(`${stage.name} ${elapsed(ts)}`)
      }
      lastTags = tags
      log.ok(
        `${what} · ${times.join(' · ')} · ${chalk.bold(`new ${rolled.join(' and ')} serving ${elapsed(savedAt)} after the save`)}`,
      )
      if (rolled.includes('frontend')) forward.restart()
    } catch (e) {
      for (const l of lines) process.stderr.write(l)
      report(log, e, 'dev')
      log.warn(`${what}: not deployed; the previous release keeps serving. Fix it and save again.`)
    }
  }
  const cycles = scheduleCycles(changes, cycle, DEBOUNCE_MS)

  const watcher = await watchSources([cfg.frontend, cfg.backend], (component, file) => {
    changes.add(component, file)
    cycles.kick()
  })
  log.info(
    `watching ${shownPath(cfg, cfg.frontend.contextDir)} and ${shownPath(cfg, cfg.backend.contextDir)} — save a file to roll its image; Ctrl-C to stop (the release keeps running)`,
  )
  // saved while the first cycle ran (before anything watched): one more cycle now
  const now = tagsOf(cfg)
  for (const c of ['frontend', 'backend'] as const)
    if (deployed && now[c] !== planned[c]) {
      changes.add(c)
      cycles.kick()
    }

  // ---- 3. until Ctrl-C ----
  await new Promise<void>((resolve) => {
    onInterrupt(async () => {
      process.stderr.write('\n')
      if (cycles.busy) log.info('waiting for the running cycle to finish (Ctrl-C again to stop at once)')
      await cycles.stop()
      await watcher.close()
      logs.stop()
      forward.stop()
      if (flags.cleanup) await runCleanup(ctx).catch((e: unknown) => report(log, e, 'cleanup'))
      else log.info(`release ${cfg.release} keeps running; npm run down removes it`)
      onInterrupt(null)
      resolve()
    })
  })
}

async function printPlan(ctx: Ctx, port: number, once: boolean): Promise<void> {
  const { cfg, log } = ctx
  for (const stage of [setup, build, load, deploy]) {
    log.header(stage.name, stage.summary)
    await stage.run({ ...ctx, afterSetup: true }, { 'dry-run': true, 'fail-fast': true })
  }
  if (once) return
  log.info('then, until Ctrl-C, a real run would:')
  for (const c of ['frontend', 'backend'] as const) {
    const spec = specOf(cfg, c)
    const ignore = ignoreFileFor(spec)
    const rules = ignore ? `minus what ${shownPath(cfg, ignore)} excludes` : 'every file: no ignore file'
    log.info(
      `  watch ${shownPath(cfg, spec.contextDir)} (${rules}) and ${shownPath(cfg, spec.dockerfile)}: a change runs build, load and deploy --fail-fast for ${c}`,
    )
  }
  const remote = Number(chartValue(cfg, ['frontend', 'service', 'port'])) || 3000
  log.out(
    ctx.commandLine([
      'kubectl',
      'port-forward',
      '-n',
      cfg.namespace,
      `svc/${cfg.release}-frontend`,
      `${port}:${remote}`,
      '--address',
      '127.0.0.1',
    ]),
  )
  log.out(
    ctx.commandLine([
      'kubectl',
      'logs',
      '-f',
      '-n',
      cfg.namespace,
      '-l',
      `app.kubernetes.io/instance=${cfg.release}`,
      '--prefix',
      '--max-log-requests',
      '10',
    ]),
  )
}

/** setup, build, load and deploy as up runs them; true when the release is up to date. */
async function firstCycle(ctx: Ctx, once: boolean): Promise<boolean> {
  const { log } = ctx
  for (const stage of [setup, build, load, deploy]) {
    const ts = Date.now()
    log.header(stage.name, stage.summary)
    try {
      await stage.run({ ...ctx, afterSetup: true }, { 'fail-fast': true })
      finish(log, stage.name, ts, false)
    } catch (e) {
      // without a cluster there is nothing to watch for; a build or rollout failure is fixed by the next save
      if (once || stage === setup) throw e
      report(log, e, stage.name)
      log.warn('dev keeps watching: fix the cause and save, and the next cycle starts')
      return false
    }
  }
  return true
}

function tagsOf(cfg: Config): Record<Component, string> {
  const imgs = images(cfg)
  return { frontend: imgs.frontend.tag, backend: imgs.backend.tag }
}

/** `app/routes/health.py +2 more`: paths as in the project, or inside the build context when it lies outside */
function describe(cfg: Config, c: Component, files: string[]): string {
  if (files.length === 0) return 'changed'
  const shown = shownPath(cfg, files[0]!)
  const first =
    shown.startsWith('..') || path.isAbsolute(shown) ? path.relative(specOf(cfg, c).contextDir, files[0]!) : shown
  return files.length === 1 ? first : `${first} +${files.length - 1} more`
}

async function frontendPort(ctx: Ctx, service: string): Promise<number> {
  const r = await ctx.query({
    timeoutMs: 20_000,
  })`kubectl get service ${service} -n ${ctx.cfg.namespace} -o jsonpath={.spec.ports[0].port}`
  const n = Number(r.stdout.trim())
  return r.ok && n > 0 ? n : 3000
}

async function runCleanup(ctx: Ctx): Promise<void> {
  ctx.log.header(cleanup.name, cleanup.summary)
  await cleanup.run({ ...ctx, afterSetup: false }, {})
}

if (isMain(import.meta.url)) await main(dev)
