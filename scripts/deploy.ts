#!/usr/bin/env zx
// deploy: the Secret from .env (never in argv or values), then `helm upgrade --install` with the content-hash tags.
// Waits, rolls back on failure and says why pods did not become ready. Does nothing when nothing changed.
import { defineStage, rel, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { ConfigError, fail, inOrder } from './lib/errors.ts'
import { elapsed } from './lib/log.ts'
import { requireSecrets } from './lib/config-secrets.ts'
import { images } from './lib/images.ts'
import { chartValue } from './lib/chart-values.ts'
import { ANNOTATION, chartValues, formatMigrated, migrationKeys, parseMigrated, releaseFingerprint, secretApplyCommand, secretManifest, setArgs, valuesMatch } from './lib/release.ts'
import { helmMajor, requireContext, requireTools, rollbackFlag } from './lib/tools.ts'
import { collectDiagnosis, diagnose, diagnosisLines, settledFailure } from './lib/diagnose.ts'
import { missingImages } from './lib/cluster-images.ts'

export const deploy = defineStage({
  name: 'deploy',
  summary: 'create the Secret from .env and helm upgrade --install the chart with the image tags',
  needsSecrets: true,
  flags: {
    'fail-fast': { type: 'boolean', description: 'stop waiting (and roll back) as soon as a new pod crashes twice, lacks its image or a Secret key' },
  },
  description: `
1. Secret SECRET_NAME from .env (BETTER_AUTH_SECRET, POSTGRES_PASSWORD or DATABASE_URL, OPENAI_API_KEY, and the app's
   own keys APP_SECRETS names), applied with kubectl apply -f - (the manifest goes on stdin: secret values are never in
   a command line or a values file)
2. helm upgrade --install RELEASE CHART_DIR --wait, rolled back on failure (--atomic on Helm 3, --rollback-on-failure
   on Helm 4); skipped when the values, the chart, the values files and the Secret are what the release already has
   (--fail-fast: as soon as a pod's failure is settled, helm is interrupted and rolls back, instead of waiting out
   DEPLOY_TIMEOUT)
3. on failure: per pod phase and reason with the fix, crash log lines, recent warning events
4. on success: how to reach the app`,
  run,
})

async function run(ctx: Ctx, flags: Flags = {}): Promise<void> {
  const { cfg, dryRun, log, sh, query } = ctx
  const { detail, info, ok, out, warn } = log
  const ns = cfg.namespace
  const imgs = images(cfg)

  try {
    requireSecrets(cfg)
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, e.fix || `edit .env (see .env.example), then: npx zx scripts/deploy.ts`)
    throw e
  }

  if (!dryRun) {
    const s = log.step('preflight')
    // asked at once (each is a process start and a round trip), and failing in this order: tools, context, images
    const [found, , missing] = await inOrder(
      requireTools(ctx, ['kubectl', 'helm']),
      requireContext(ctx),
      // a missing image would only show as ImagePullBackOff after helm's whole timeout
      missingImages(ctx, [imgs.frontend, imgs.backend]),
    )
    if (missing?.length)
      fail(
        `the cluster does not have ${missing.map((i) => i.ref).join(' and ')} (LOAD_METHOD=${cfg.loadMethod})`,
        cfg.loadMethod === 'docker-env' ? `npx zx scripts/build.ts   (it builds them in minikube profile ${cfg.minikube.profile}'s Docker)` : 'npx zx scripts/load.ts   (it says when to build first)',
      )
    s.done(`kubectl ${found.kubectl}, helm ${found.helm}`)
  }
  // what the cluster has: asked at once, read in order below
  const [helm, nsFound, current, status] = await inOrder(
    helmMajor(ctx),
    // inside up, setup has just created it: a pasted dry run must not create it twice
    dryRun && ctx.inUp ? Promise.resolve(true) : query`kubectl get namespace ${ns}`.then((r) => r.ok),
    query`kubectl get secret ${cfg.secretName} -n ${ns} -o json`,
    query`helm status ${cfg.release} -n ${ns} -o json`,
  )

  // 1. the namespace and the Secret
  if (!nsFound) await sh({ fix: 'kubectl cluster-info   (cluster down? npx zx scripts/setup.ts)' })`kubectl create namespace ${ns}`
  const secret = secretManifest(cfg)
  let annotations: Record<string, string> = {}
  try {
    annotations = (JSON.parse(current.stdout) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {}
  } catch {
    annotations = {}
  }
  if (annotations[ANNOTATION.secretHash] === secret.hash) ok(`Secret ${cfg.secretName} is up to date (keys ${secret.keys.join(', ')})`)
  else if (dryRun) {
    // pasted, `kubectl apply -f -` would wait on the terminal: show the form that reads .env itself
    out(ctx.commandLine(secretApplyCommand(cfg, cfg.envFile ? rel(cfg, cfg.envFile) : '.env', secret.keys, secret.hash)))
  } else
    await sh({
      input: secret.manifest,
      inputNote: `stdin: Secret ${cfg.secretName} with keys ${secret.keys.join(', ')} from .env`,
      cause: `could not apply Secret ${ns}/${cfg.secretName}`,
      fix: `kubectl auth can-i create secrets -n ${ns}`,
    })`kubectl apply -n ${ns} -f -`

  // 2. the release
  const values = chartValues(cfg, secret.hash)
  const fingerprint = releaseFingerprint(cfg, values)
  let deployed = false
  let revision = 0
  try {
    const st = JSON.parse(status.stdout) as { info?: { status?: string }; version?: number }
    deployed = st.info?.status === 'deployed'
    revision = st.version ?? 0
  } catch {
    deployed = false
  }
  const unchanged =
    deployed &&
    annotations[ANNOTATION.release] === fingerprint &&
    valuesMatch(JSON.parse((await query`helm get values ${cfg.release} -n ${ns} -o json`).stdout || '{}'), values)

  if (unchanged) {
    ok(`release ${cfg.release} (revision ${revision}) already runs ${imgs.frontend.tag} / ${imgs.backend.tag} with this chart and config — nothing to upgrade`)
  } else {
    const valuesFiles = cfg.helmValuesFiles.flatMap((f) => ['-f', rel(cfg, f)])
    // a migration step whose image already migrated this database (same key as after the last good upgrade) is left
    // out: a one-image change runs one step, and a change of neither image (replicas, say) runs no Job
    // (the backend's key covers only the files its migration command can import: a route edit runs no Job at all)
    const { keys: migrations, backendScope } = migrationKeys(cfg, secret.hash, imgs)
    const migrated = deployed ? parseMigrated(annotations[ANNOTATION.migrated]) : {}
    const skip = (['backend', 'frontend'] as const).filter((c) => migrated[c] === migrations[c])
    const what = (c: 'backend' | 'frontend'): string => (c === 'backend' && backendScope.kind === 'files' ? `backend already ran for these migration files (${backendScope.files.size} .py files its command imports)` : `${c} already ran for this image`)
    if (skip.length) detail(`migrations: ${skip.map(what).join('; ')}; left out (migrations.skip)`)
    if (!skip.includes('backend') && backendScope.kind === 'image') detail(`migrations: the backend step runs for any change to its image: ${backendScope.why}`)
    const skipArgs = skip.length ? ['--set', `migrations.skip={${skip.join(',')}}`] : []
    // --atomic / --rollback-on-failure delete the failed pods before helm returns, so look at them while helm waits
    let lastDiagnosis: string[] = []
    let waiting = !dryRun
    const failFast = Boolean(flags['fail-fast'])
    // --fail-fast: SIGINT makes helm cancel its wait and roll back, as on its own timeout
    const giveUp = new AbortController()
    let gaveUpOn = ''
    let settledBefore = new Set<string>()
    const nap = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref())
    const started = Date.now()
    void (async () => {
      await nap(failFast ? 3_000 : 15_000)
      while (waiting) {
        const seen = await collectDiagnosis(ctx).catch(() => null)
        if (!waiting) break
        const lines = seen ? diagnosisLines(ctx, seen.diagnosis, seen.errors) : []
        if (lines.some((l) => l.includes('✗'))) lastDiagnosis = lines
        // settled on two looks in a row, 3 s apart: a condition the kubelet clears by itself is not given up on
        const settledNow = failFast ? (seen?.diagnosis.findings.filter(settledFailure) ?? []) : []
        const settled = settledNow.find((f) => settledBefore.has(`${f.object}|${f.kind}`))
        settledBefore = new Set(settledNow.map((f) => `${f.object}|${f.kind}`))
        if (settled) {
          gaveUpOn = `${settled.object}: ${settled.message}`
          giveUp.abort()
          break
        }
        // no spinner in CI logs: say something while helm waits
        if (!process.stderr.isTTY) {
          const ready = lines.filter((l) => l.trim().startsWith('✓')).length
          const notReady = lines.filter((l) => l.trim().startsWith('✗')).length
          detail(`still waiting (${elapsed(started)}): ${ready} pod(s) ready, ${notReady} not yet`)
        }
        await nap(failFast ? 3_000 : 10_000)
      }
    })()
    const r = await log.task(`helm upgrade --install ${cfg.release} (waits up to ${cfg.timeouts.deploy})`, () =>
      sh({ nothrow: true, timeoutMs: cfg.timeouts.deployMs + 120_000, interrupt: giveUp.signal })`helm upgrade --install ${cfg.release} ${rel(cfg, cfg.chartDir)} -n ${ns} --create-namespace --wait --timeout ${cfg.timeouts.deploy} ${rollbackFlag(helm)} ${valuesFiles} ${setArgs(values)} ${skipArgs}`,
    )
    waiting = false
    if (!r.ok) {
      const why = (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? `exit code ${r.exitCode}`
      // failures before anything ran: no pods to look at, the fix is about helm, the chart or the cluster
      const chart = rel(cfg, cfg.chartDir)
      if (/another operation \(install\/upgrade\/rollback\) is in progress/.test(why))
        fail(`helm upgrade of ${cfg.release} did not start: ${why}`, `helm history ${cfg.release} -n ${ns}   (then: helm rollback ${cfg.release} -n ${ns})`)
      if (/Kubernetes cluster unreachable/i.test(why)) fail(`helm cannot reach the cluster: ${why}`, cfg.cluster === 'minikube' ? 'npx zx scripts/setup.ts' : 'kubectl cluster-info')
      if (/values don't meet the specifications of the schema|parse error|template: |YAML parse error|chart requires kubeVersion/i.test(r.stderr))
        fail(`the chart did not render: ${why}`, `helm lint ${chart} ${cfg.helmValuesFiles.map((f) => `-f ${rel(cfg, f)}`).join(' ')}`.trim())
      const now = await diagnose(ctx).catch((e: Error) => [`  ! could not diagnose: ${e.message}`])
      const lines = now.some((l) => l.includes('✗')) || lastDiagnosis.length === 0 ? now : ['(pods as they were before the rollback)', ...lastDiagnosis]
      for (const l of lines) detail(l)
      const fixLine = lines.find((l) => l.trim().startsWith('fix:'))?.trim().replace(/^fix:\s*/, '')
      if (gaveUpOn) fail(`helm upgrade of ${cfg.release} stopped early and was rolled back (--fail-fast): ${gaveUpOn}`, fixLine ?? `kubectl get pods -n ${ns}   (then: npx zx scripts/deploy.ts)`)
      fail(`helm upgrade of ${cfg.release} failed and was rolled back: ${why}`, fixLine ?? `kubectl get pods -n ${ns}   (then: npx zx scripts/deploy.ts)`)
    }
    await sh({ fix: `kubectl get secret ${cfg.secretName} -n ${ns}` })`kubectl annotate secret ${cfg.secretName} -n ${ns} ${ANNOTATION.release}=${fingerprint} ${ANNOTATION.migrated}=${formatMigrated(migrations)} --overwrite`
  }

  // 3. how to reach it
  if (!dryRun) {
    const svc = `${cfg.release}-frontend`
    if (cfg.ingress.enabled) {
      let ip = ''
      if (cfg.cluster === 'minikube') {
        // the docker driver on macOS/Windows puts the node in a VM: the ingress is reached through `minikube tunnel`
        const tunnel = cfg.minikube.driver === 'docker' && process.platform !== 'linux'
        const r = await query`minikube ip -p ${cfg.minikube.profile}`
        ip = tunnel ? '127.0.0.1' : r.ok ? r.stdout.trim() : ''
        if (tunnel) warn(`keep this running in another terminal: minikube tunnel -p ${cfg.minikube.profile}`)
      } else {
        const r = await query`kubectl get ingress -n ${ns} -o json`
        try {
          const items = (JSON.parse(r.stdout) as { items?: { status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } }[] }).items ?? []
          const lb = items[0]?.status?.loadBalancer?.ingress?.[0]
          ip = lb?.ip ?? ''
          if (!ip && lb?.hostname) info(`the ingress is at ${lb.hostname}: point ${cfg.ingress.host} at it (DNS CNAME)`)
        } catch {
          ip = ''
        }
      }
      const hosts = process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\hosts' : '/etc/hosts'
      if (ip) {
        info(`open ${cfg.publicUrl} — once, add this line to ${hosts}:`)
        out(`${ip} ${cfg.ingress.host}`)
      } else info(`open ${cfg.publicUrl} once ${cfg.ingress.host} resolves to your ingress controller (kubectl get ingress -n ${ns} shows its address)`)
    }
    // sign-in checks the page's origin: a localhost origin the release already trusts (dev's) is the port to use
    const remote = Number(chartValue(cfg, ['frontend', 'service', 'port'])) || 3000
    const trusted = [cfg.publicUrl, ...cfg.extraOrigins].map((o) => /^http:\/\/localhost:(\d+)\/?$/.exec(o)?.[1]).find(Boolean)
    const local = trusted ?? String(remote)
    info(`or without ingress: kubectl port-forward -n ${ns} svc/${svc} ${local}:${remote}  (then http://localhost:${local}${trusted ? '' : `; sign-in needs PUBLIC_URL=http://localhost:${local}`})`)
    if (cfg.cluster === 'minikube') info(`or: minikube service ${svc} -n ${ns} -p ${cfg.minikube.profile} --url  (with frontend.service.type=NodePort)`)
    info('check everything: npx zx scripts/validate.ts')
  }
}

if (isMain(import.meta.url)) await main(deploy)
