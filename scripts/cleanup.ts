#!/usr/bin/env zx
// cleanup (npm run down): uninstall the release and the Secret. The database volume, the images and the cluster stay
// unless asked for, because they are the slow things to get back.
import { question } from 'zx'
import { defineStage, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { KitError, fail } from './lib/errors.ts'
import { imageDaemon } from './lib/docker-env.ts'
import { releaseImages, type ImageRef } from './lib/images.ts'
import { requireContext, requireTools, type Tool } from './lib/tools.ts'

export const cleanup = defineStage({
  name: 'cleanup',
  summary: 'uninstall the release and the Secret (keeps data, images and the cluster unless asked)',
  checkPaths: false,
  flags: {
    'purge-data': {
      type: 'boolean',
      description: 'also delete the PostgreSQL volume (asks first; --yes to skip the question)',
    },
    images: { type: 'boolean', description: 'also remove the current image tags from docker (and from minikube)' },
    'prune-images': {
      type: 'boolean',
      description: "remove the kit's older h- image tags from docker (and minikube), keeping the current ones",
    },
    'stop-minikube': { type: 'boolean', description: 'also stop the minikube profile' },
    'delete-minikube': {
      type: 'boolean',
      description: 'also delete the minikube profile (asks first; --yes to skip the question)',
    },
    yes: { type: 'boolean', description: 'answer yes to the questions' },
  },
  run,
})

async function run(ctx: Ctx, flags: Flags): Promise<void> {
  const { cfg, dryRun, log, exec, query } = ctx
  const ns = cfg.namespace
  const p = cfg.minikube.profile
  const onMinikube = cfg.cluster === 'minikube'

  async function confirm(what: string, flag: string): Promise<void> {
    if (flags.yes || dryRun) return
    if (!process.stdin.isTTY)
      fail(`${what} needs confirmation and there is no terminal to ask`, `npx zx scripts/cleanup.ts --${flag} --yes`)
    const a = await question(`${what}? Type yes to continue: `)
    if (a.trim().toLowerCase() !== 'yes')
      fail(`${what}: not confirmed, nothing deleted`, `npx zx scripts/cleanup.ts --${flag} --yes`)
  }

  // a flag that cannot apply here is refused, not ignored: the user expects something the run would not do
  for (const flag of ['stop-minikube', 'delete-minikube'])
    if (flags[flag] && !onMinikube)
      fail(
        `--${flag} applies to CLUSTER=minikube; this configuration is CLUSTER=${cfg.cluster}: nothing done`,
        `npx zx scripts/cleanup.ts   (without --${flag})`,
      )

  // every tool first: a missing helm must not read as "no release" and let the Secret of a live release go
  if (!dryRun) {
    const tools: Tool[] = ['kubectl', 'helm']
    // docker-env: docker is checked against minikube's daemon once the images are removed (the local one may be off)
    if ((flags.images || flags['prune-images']) && cfg.loadMethod !== 'docker-env') tools.push('docker')
    if (
      onMinikube &&
      (flags['stop-minikube'] ||
        flags['delete-minikube'] ||
        ((flags.images || flags['prune-images']) && cfg.loadMethod === 'minikube'))
    )
      tools.push('minikube')
    await requireTools(ctx, tools)
  }
  if (flags['purge-data'])
    await confirm(
      `delete the database volume of release ${cfg.release} in namespace ${ns} (all todos and users)`,
      'purge-data',
    )
  if (flags['delete-minikube']) await confirm(`delete minikube profile ${p} and everything in it`, 'delete-minikube')

  // the tags come from the sources: a FRONTEND_DIR that cannot be read stops cleanup here, before anything is deleted
  const tags = flags.images || flags['prune-images'] ? currentImages(ctx) : null

  await requireContext(ctx)
  const reach = await query({ timeoutMs: 30_000 })`kubectl get namespace ${ns}`
  // NotFound means the cluster answered: the namespace (and so the release) is simply not there
  const reachable = dryRun || reach.ok || /NotFound/.test(reach.stderr)
  if (!reachable) {
    const why = reach.stderr.trim().split('\n').pop() || 'kubectl get namespace failed'
    if (onMinikube && (flags['stop-minikube'] || flags['delete-minikube']))
      log.warn(`cluster unreachable (${why}); the release and the Secret were left alone`)
    else
      fail(
        `cluster unreachable: ${why}`,
        onMinikube
          ? `minikube start -p ${p}   (or drop it all: npx zx scripts/cleanup.ts --delete-minikube)`
          : 'kubectl cluster-info',
      )
  } else {
    const installed = await releaseInstalled(ctx)
    const secret = await secretOwner(ctx)
    // a mistyped RELEASE must not take the Secret of the release that runs
    if (secret.owner && secret.owner !== cfg.release && !installed)
      fail(
        `release ${cfg.release} is not installed in ${ns}; Secret ${cfg.secretName} there belongs to release ${secret.owner}: nothing deleted`,
        `RELEASE=${secret.owner} npx zx scripts/cleanup.ts   (or set RELEASE in .env)`,
      )

    if (installed)
      await log.task(
        `uninstall release ${cfg.release}`,
        () =>
          exec({
            fix: `helm uninstall ${cfg.release} -n ${ns} --no-hooks`,
          })`helm uninstall ${cfg.release} -n ${ns} --wait`,
      )
    else log.ok(`release ${cfg.release} is not installed in ${ns}`)

    // a failed upgrade leaves its migration Job behind (kept for the diagnosis), with a pod that may retry an image
    // pull forever; helm uninstall does not own hooks, so they go here
    const hookSelector = `app.kubernetes.io/instance=${cfg.release}`
    if (dryRun || (await leftoverJobs(ctx, hookSelector)))
      await exec({
        fix: `kubectl get jobs,pods -n ${ns} -l ${hookSelector}`,
      })`kubectl delete jobs -n ${ns} -l ${hookSelector} --ignore-not-found --cascade=foreground --wait`

    if (secret.exists && secret.owner && secret.owner !== cfg.release)
      log.warn(
        `Secret ${cfg.secretName} belongs to release ${secret.owner} (its app.kubernetes.io/part-of label): left alone`,
      )
    else if (secret.exists && !secret.owner)
      log.warn(
        `Secret ${cfg.secretName} was not made by the kit (no app.kubernetes.io/part-of label): left alone; delete it with: kubectl delete secret ${cfg.secretName} -n ${ns}`,
      )
    else if (dryRun || secret.exists)
      await exec({
        fix: `kubectl get secret -n ${ns}`,
      })`kubectl delete secret ${cfg.secretName} -n ${ns} --ignore-not-found`
    else log.ok(`Secret ${cfg.secretName} is gone`)

    // the StatefulSet's volume claims outlive `helm uninstall` on purpose
    const pvcSelector = `app.kubernetes.io/instance=${cfg.release},app.kubernetes.io/component=postgresql`
    if (flags['purge-data'])
      await exec({
        fix: `kubectl get pvc -n ${ns}`,
      })`kubectl delete pvc -n ${ns} -l ${pvcSelector} --ignore-not-found --wait`
    else if (!dryRun) {
      const pvcs = await query`kubectl get pvc -n ${ns} -l ${pvcSelector} -o name`
      if (pvcs.ok && pvcs.stdout.trim())
        log.ok(
          `kept the database volume (${pvcs.stdout.trim().split('\n').join(', ')}); delete it with: npx zx scripts/cleanup.ts --purge-data`,
        )
    }
  }

  if (tags) await removeImages(ctx, flags, tags)

  if (onMinikube && flags['delete-minikube'])
    await log.task(`delete minikube profile ${p}`, () => exec`minikube delete -p ${p}`)
  else if (onMinikube && flags['stop-minikube'])
    await log.task(`stop minikube profile ${p}`, () => exec`minikube stop -p ${p}`)
}

function currentImages(ctx: Ctx): ImageRef[] {
  try {
    return releaseImages(ctx.cfg)
  } catch (e) {
    fail(
      `cannot compute the image tags: ${(e as Error).message}`,
      'check FRONTEND_DIR / BACKEND_DIR and the Dockerfiles in .env',
    )
  }
}

/** Only helm's own "not found" means there is no release; any other failure is not an answer. */
async function releaseInstalled(ctx: Ctx): Promise<boolean> {
  const { cfg } = ctx
  if (ctx.dryRun) return true
  const status = await ctx.query({ timeoutMs: 30_000 })`helm status ${cfg.release} -n ${cfg.namespace}`
  if (status.ok) return true
  if (/release: not found|not found$/m.test(status.stderr.trim())) return false
  fail(
    `could not ask helm about release ${cfg.release}: ${status.stderr.trim().split('\n').pop() || `exit code ${status.exitCode}`}`,
    `helm status ${cfg.release} -n ${cfg.namespace}`,
  )
}

/** Whether the Secret is there, and the release the kit made it for (its part-of label; '' when it has none). */
async function secretOwner(ctx: Ctx): Promise<{ exists: boolean; owner: string }> {
  const { cfg } = ctx
  if (ctx.dryRun) return { exists: true, owner: cfg.release }
  const r = await ctx.query({ timeoutMs: 30_000 })`kubectl get secret ${cfg.secretName} -n ${cfg.namespace} -o json`
  if (!r.ok) return { exists: false, owner: '' }
  try {
    const labels = (JSON.parse(r.stdout) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {}
    return {
      exists: true,
      owner:
        labels['app.kubernetes.io/managed-by'] === 'todo-k8s-kit' ? (labels['app.kubernetes.io/part-of'] ?? '') : '',
    }
  } catch {
    return { exists: true, owner: '' }
  }
}

async function leftoverJobs(ctx: Ctx, selector: string): Promise<boolean> {
  const jobs = await ctx.query`kubectl get jobs -n ${ctx.cfg.namespace} -l ${selector} -o json`
  if (!jobs.ok) return false
  try {
    return ((JSON.parse(jobs.stdout) as { items?: unknown[] }).items ?? []).length > 0
  } catch {
    return true // not JSON: deleting by label is safe either way (--ignore-not-found)
  }
}

async function removeImages(local: Ctx, flags: Flags, current: ImageRef[]): Promise<void> {
  const { cfg, log } = local
  const p = cfg.minikube.profile
  let ctx = local
  if (cfg.loadMethod === 'docker-env') {
    try {
      // the images live in the minikube profile's Docker: ask that daemon, never the local one
      ctx = await imageDaemon(local)
      if (!ctx.dryRun) await requireTools(ctx, ['docker'])
    } catch (e) {
      if (!(e instanceof KitError)) throw e
      // a stopped or deleted profile: --stop-minikube / --delete-minikube must still happen
      log.warn(
        `images left alone: ${e.message}; to remove them: ${e.fix}, then npx zx scripts/cleanup.ts --${flags.images ? 'images' : 'prune-images'}`,
      )
      return
    }
  }
  const { dryRun, exec, query } = ctx
  const remove: string[] = flags.images ? current.map((i) => i.local) : []
  if (flags['prune-images']) {
    // the kit's own tags only (h- + 12 hex): anything else under these names belongs to someone else
    for (const img of current) {
      const name = img.local.slice(0, img.local.lastIndexOf(':'))
      const listed = await query`docker image ls ${name} --format ${'{{.Repository}}:{{.Tag}}'}`
      const older = listed.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith(`${name}:`) && /:h-[0-9a-f]{12}$/.test(l) && l !== img.local)
      if (!dryRun)
        log.info(
          older.length ? `${older.length} older tag(s) of ${name}: ${older.join(', ')}` : `no older tags of ${name}`,
        )
      remove.push(...older)
    }
  }
  const minikubeUp = cfg.loadMethod === 'minikube' && (dryRun || (await query`minikube status -p ${p}`).ok)
  for (const ref of remove) {
    if (minikubeUp) await exec({ nothrow: true })`minikube image rm ${ref} -p ${p}`
    if (dryRun || (await query`docker image inspect ${ref}`).ok)
      await exec({ fix: `${ctx.commandLine(['docker', 'image', 'rm', '-f', ref])}` })`docker image rm ${ref}`
  }
}

if (isMain(import.meta.url)) await main(cleanup)
