#!/usr/bin/env zx
// deploy: the Secret from .env (never in argv or values), then `helm upgrade --install` with the content-hash tags.
// Waits, rolls back on failure and says why pods did not become ready. Does nothing when nothing changed.
import { defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { publicHostValues } from './lib/public-host.ts'
import { fail, inOrder } from './lib/errors.ts'
import { requireSecrets } from './lib/config-secrets.ts'
import { images, releaseImages } from './lib/images.ts'
import {
  ANNOTATION,
  chartValues,
  formatMigrated,
  planMigrations,
  releaseFingerprint,
  secretApplyCommand,
  secretManifest,
  setArgs,
} from './lib/release.ts'
import { isUpToDate, readReleaseState } from './lib/release-state.ts'
import { helmWaitFlags, requireContext, requireTools } from './lib/tools.ts'
import { missingImages } from './lib/cluster-images.ts'
import { watchRollout } from './lib/rollout-watch.ts'
import { explainHelmFailure, requireChartRenders } from './lib/helm-failure.ts'
import { printAccessHints } from './lib/access-hints.ts'
import { replacedLists } from './lib/values-files.ts'
import { chartValue } from './lib/chart-values.ts'

export const deploy = defineStage({
  name: 'deploy',
  summary: 'create the Secret from .env and helm upgrade --install the chart with the image tags',
  needsSecrets: true,
  flags: {
    'fail-fast': {
      type: 'boolean',
      description: 'stop waiting (and roll back) as soon as a new pod crashes twice, lacks its image or a Secret key',
    },
  },
  description: `
1. Secret SECRET_NAME from .env (BETTER_AUTH_SECRET, POSTGRES_PASSWORD or DATABASE_URL, OPENAI_API_KEY, and the app's
   own keys APP_SECRETS names), applied with kubectl apply -f - (the manifest goes on stdin: secret values are never in
   a command line or a values file)
2. helm upgrade --install RELEASE CHART_DIR, waiting and rolled back on failure (Helm 4: --wait=watcher
   --rollback-on-failure, server-side apply for a new release; Helm 3: --wait --atomic); skipped when the values, the chart, the values files and the Secret are what the release already has
   (--fail-fast: as soon as a pod's failure is settled, helm is interrupted and rolls back, instead of waiting out
   DEPLOY_TIMEOUT)
3. on failure: per pod phase and reason with the fix, crash log lines, recent warning events
4. on success: how to reach the app`,
  run,
})

async function run(ctx: Ctx, flags: Flags = {}): Promise<void> {
  const { cfg, dryRun, log, exec } = ctx
  const ns = cfg.namespace
  requireSecrets(cfg)
  const imgs = images(cfg)
  if (!dryRun) await preflight(ctx)
  const state = await readReleaseState(ctx)
  // PUBLIC_HOST_IN_PODS: asked before anything changes, so a missing ingress controller stops the stage here
  const hostAliases = await publicHostValues(ctx)

  const secret = secretManifest(cfg)
  const values = [...chartValues(cfg, secret.hash), ...hostAliases]
  const fingerprint = releaseFingerprint(cfg, values)
  const upToDate = await isUpToDate(ctx, state, fingerprint, values)
  const valuesFiles = cfg.helmValuesFiles.flatMap((f) => ['-f', shownPath(cfg, f)])
  // a values file or setting the chart refuses stops here, before the namespace or the Secret change
  if (!upToDate && !dryRun) await requireChartRenders(ctx, [...valuesFiles, ...setArgs(values)])

  // 1. the namespace and the Secret
  if (!state.namespaceExists)
    await exec({
      fix: 'kubectl cluster-info   (cluster down? npx zx scripts/setup.ts)',
    })`kubectl create namespace ${ns}`
  if (state.secretHash === secret.hash)
    log.ok(`Secret ${cfg.secretName} is up to date (keys ${secret.keys.join(', ')})`)
  // pasted, `kubectl apply -f -` would wait on the terminal: a dry run shows the form that reads .env itself
  else if (dryRun) log.out(ctx.commandLine(secretApplyCommand(cfg, envFileShown(cfg), secret.keys, secret.hash)))
  else
    await exec({
      input: secret.manifest,
      inputNote: `stdin: Secret ${cfg.secretName} with keys ${secret.keys.join(', ')} from .env`,
      cause: `could not apply Secret ${ns}/${cfg.secretName}`,
      fix: `kubectl auth can-i create secrets -n ${ns}`,
    })`kubectl apply -n ${ns} -f -`

  // 2. the release
  for (const r of replacedLists(cfg.helmValuesFiles, cfg.root))
    log.warn(
      `${r.by} sets ${r.at}, which replaces the list in ${r.file} whole (Helm does not merge lists): ` +
        `${r.lost.join(', ')} from it will not be set; fix: put your entries into ${r.file}'s ${r.at} instead`,
    )
  if (upToDate) {
    log.ok(
      `release ${cfg.release} (revision ${state.revision}) already runs ${imgs.frontend.tag} / ${imgs.backend.tag} with this chart and config — nothing to upgrade`,
    )
  } else {
    const chart = shownPath(cfg, cfg.chartDir)
    const migrations = planMigrations(cfg, secret.hash, imgs, state.migrated)
    for (const note of migrations.notes) log.detail(note)
    const wait = [...helmWaitFlags(state.helmMajor), '--timeout', cfg.timeouts.deploy]
    const watch = watchRollout(ctx, { failFast: Boolean(flags['fail-fast']) })
    const helmRun = { nothrow: true, timeoutMs: cfg.timeouts.deployMs + 120_000, interrupt: watch.signal }
    const upgrade = await log.task(
      `helm upgrade --install ${cfg.release} (waits up to ${cfg.timeouts.deploy})`,
      () =>
        exec(
          helmRun,
        )`helm upgrade --install ${cfg.release} ${chart} -n ${ns} --create-namespace ${wait} ${valuesFiles} ${setArgs(values)} ${migrations.args}`,
    )
    watch.stop()
    if (!upgrade.ok) await explainHelmFailure(ctx, upgrade, watch)
    // migrations.beforeBackendStarts: the install left the backend at no replicas until its Job ran; start it now,
    // every migration step already run
    if (state.revision === 0 && backendWaitsForFirstMigration(cfg)) {
      const skipAll = planMigrations(cfg, secret.hash, imgs, migrations.keys).args
      const second = watchRollout(ctx, { failFast: Boolean(flags['fail-fast']) })
      const started = await log.task(
        `start the backend, now that its first migration ran (migrations.beforeBackendStarts)`,
        () =>
          exec({
            ...helmRun,
            interrupt: second.signal,
          })`helm upgrade ${cfg.release} ${chart} -n ${ns} ${wait} ${valuesFiles} ${setArgs(values)} ${skipAll}`,
      )
      second.stop()
      if (!started.ok) await explainHelmFailure(ctx, started, second)
    }
    const deployed = [
      `${ANNOTATION.release}=${fingerprint}`,
      `${ANNOTATION.migrated}=${formatMigrated(migrations.keys)}`,
    ]
    await exec({
      fix: `kubectl get secret ${cfg.secretName} -n ${ns}`,
    })`kubectl annotate secret ${cfg.secretName} -n ${ns} ${deployed} --overwrite`
  }

  // 3. how to reach it
  if (!dryRun) await printAccessHints(ctx)
}

/** The values ask the first install to start the backend after its migrations (the chart then renders no replicas). */
function backendWaitsForFirstMigration(cfg: Ctx['cfg']): boolean {
  return (
    chartValue(cfg, ['migrations', 'beforeBackendStarts']) === true &&
    chartValue(cfg, ['migrations', 'enabled']) !== false &&
    !cfg.hpa &&
    chartValue(cfg, ['backend', 'autoscaling', 'enabled']) !== true
  )
}

const envFileShown = (cfg: Ctx['cfg']): string => (cfg.envFile ? shownPath(cfg, cfg.envFile) : '.env')

/** The tools, the cluster and the release's images, asked at once and failing in that order. */
async function preflight(ctx: Ctx): Promise<void> {
  const { cfg } = ctx
  const step = ctx.log.step('preflight')
  const [found, , missing] = await inOrder(
    requireTools(ctx, ['kubectl', 'helm']),
    requireContext(ctx),
    // a missing image would only show as ImagePullBackOff after helm's whole timeout
    missingImages(ctx, releaseImages(cfg)),
  )
  if (missing?.length)
    fail(
      `the cluster does not have ${missing.map((i) => i.ref).join(' and ')} (LOAD_METHOD=${cfg.loadMethod})`,
      cfg.loadMethod === 'docker-env'
        ? `npx zx scripts/build.ts   (it builds them in minikube profile ${cfg.minikube.profile}'s Docker)`
        : 'npx zx scripts/load.ts   (it says when to build first)',
    )
  step.done(`kubectl ${found.kubectl}, helm ${found.helm}`)
}

if (isMain(import.meta.url)) await main(deploy)
