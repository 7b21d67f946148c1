#!/usr/bin/env zx
// validate: is the deployed release really working? A pass/fail table (or --json for CI), exit 1 if any check fails.
// Every check runs from outside the app (kubectl, helm, docker) or inside its own pods (kubectl exec with the image's
// own python/node), so it works the same on any cluster and any OS, with no port-forward and no shell pipes.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import chalk from 'chalk'
import { parse } from 'yaml'
import { defineStage, rel as relPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { KitError, fail } from './lib/errors.ts'
import { imageDaemon } from './lib/docker-env.ts'
import type { Result } from './lib/run.ts'
import { diagnose } from './lib/diagnose.ts'
import type { Pod } from './lib/diagnose.ts'
import { allSecrets } from './lib/config-secrets.ts'
import { images } from './lib/images.ts'
import { requireTools } from './lib/tools.ts'
import {
  appContainer, appPods, chartTargets, checkDatabase, checkEndpoints, checkHttp, checkImageSize, checkLeaks, checkNonRoot, checkPods, checkRelease,
  fallbackNote, getArgs, guard, local, manifestSources, notChecked, probeTarget, services, CLUSTER_FIX, NODE_GET, PY_DB, PY_GET, UNREACHABLE, type Check, type Source, type Target,
} from './lib/checks.ts'

export const validate = defineStage({
  name: 'validate',
  summary: 'check the deployed release end to end: a pass/fail table, exit 1 on any failure',
  checkPaths: false,
  flags: {
    json: { type: 'boolean', description: 'print the result as JSON on stdout (for CI); progress stays on stderr' },
    once: { type: 'boolean', description: 'check once instead of waiting up to VALIDATE_TIMEOUT for pods and endpoints to settle' },
  },
  description: `
Checks, in order:
  release deployed               helm status <release> -o json
  pods ready, no restarts        kubectl get pods -l app.kubernetes.io/instance=<release>
  services have endpoints        kubectl get services / endpointslices
  backend liveness, readiness    kubectl exec <backend pod> -- python -c <GET 127.0.0.1:<port><path>>
  frontend readiness             kubectl exec <frontend pod> -- node -e <fetch 127.0.0.1:<port><path>>
  frontend → backend             kubectl exec <frontend pod> -- node -e <fetch http://<backend service>:<port><liveness path>>
  backend → database             kubectl exec <backend pod> -- python -c <TCP to DATABASE_URL's host:port, then the readiness path>
  containers run as non-root     kubectl exec <pod> -c <container> -- id -u (else the securityContext)
  images within budget           docker image inspect <image> <base image> (size over base vs *_SIZE_BUDGET_MB)
  no secrets in images/manifests docker history / docker image inspect / helm get manifest / helm get values:
                                 no value from .env may appear outside the Kubernetes Secret
The paths and ports are those of the pods' own httpGet liveness/readiness probes (a named port through the
container's ports); a container without one gets /health, /ready, /api/health and the detail says so. --dry-run has
no pods: it takes them from the chart values (the chart's values.yaml, then HELM_VALUES_FILES) and says so in a
# comment line.
A check that could not run fails (it never passes unseen).`,
  run,
})

async function run(ctx: Ctx, flags: Flags): Promise<void> {
  const { cfg, dryRun, query } = ctx
  const { out, step, warn } = ctx.log
  const ns = cfg.namespace
  const rel = cfg.release
  const sel = `app.kubernetes.io/instance=${rel}`
  const json = Boolean(flags.json)
  const Q = { timeoutMs: 30_000 }

  if (dryRun) {
    // validate only reads; these are its commands as they run (kubectl exec picks a pod of each Deployment)
    let tags = { frontend: `${cfg.frontend.name}:<tag>`, backend: `${cfg.backend.name}:<tag>` }
    try {
      const imgs = images(cfg)
      tags = { frontend: imgs.frontend.ref, backend: imgs.backend.ref }
    } catch {
      /* sources not there: the image checks read whatever image the pods run */
    }
    // the GETs' paths and ports: from the chart values the release was deployed with (the chart's values.yaml, then
    // HELM_VALUES_FILES); a real run reads them from the running pods' probes instead
    const valueFiles = [path.join(cfg.chartDir, 'values.yaml'), ...cfg.helmValuesFiles]
    let from = `# paths and ports from the chart values: ${valueFiles.map((f) => relPath(cfg, f)).join(', ')} (a real run reads the running pods' probes)`
    let values: unknown[] = []
    try {
      values = valueFiles.map((f) => parse(readFileSync(f, 'utf8')) as unknown)
    } catch (e) {
      from = `# could not read the chart values (${(e as Error).message.split('\n')[0]}): the reference app's paths and $PORT (a real run reads the running pods' probes)`
    }
    const t = chartTargets(values)
    const be = ['kubectl', 'exec', '-n', ns, `deploy/${rel}-backend`, '-c', 'backend', '--']
    const fe = ['kubectl', 'exec', '-n', ns, `deploy/${rel}-frontend`, '-c', 'frontend', '--']
    const lookups = [
      ['helm', 'status', rel, '-n', ns, '-o', 'json'],
      ['kubectl', 'get', 'pods', '-o', 'json', '-n', ns, '-l', sel],
      ['kubectl', 'get', 'services', '-o', 'json', '-n', ns, '-l', sel],
      ['kubectl', 'get', 'endpointslices', '-o', 'json', '-n', ns],
    ]
    const inPods = [
      [...be, 'python', '-c', PY_GET, ...getArgs(t.beLive)],
      [...be, 'python', '-c', PY_GET, ...getArgs(t.beReady)],
      [...fe, 'node', '-e', NODE_GET, ...getArgs(t.feHealth)],
      [...fe, 'node', '-e', NODE_GET, `http://${rel}-backend:${t.beServicePort}${t.beLive.path}`],
      [...be, 'python', '-c', PY_DB],
      [...be, 'id', '-u'],
      [...fe, 'id', '-u'],
      ['docker', 'image', 'inspect', tags.frontend],
      ['docker', 'image', 'inspect', cfg.frontend.buildArgs.NODE_IMAGE ?? 'node:24-slim'],
      ['docker', 'image', 'inspect', tags.backend],
      ['docker', 'image', 'inspect', cfg.backend.buildArgs.PYTHON_IMAGE ?? 'python:3.13-slim'],
      ['docker', 'history', '--no-trunc', '--format', '{{json .}}', tags.frontend],
      ['docker', 'history', '--no-trunc', '--format', '{{json .}}', tags.backend],
      ['helm', 'get', 'manifest', rel, '-n', ns],
      ['helm', 'get', 'values', rel, '-n', ns, '-o', 'json'],
    ]
    // LOAD_METHOD=docker-env: the images are in minikube's Docker, and the docker lines say so
    const node = await imageDaemon(ctx)
    for (const l of lookups) out(ctx.commandLine(l))
    out(from)
    for (const l of inPods) out(node.commandLine(l))
    return
  }

  // the tools first: a missing helm is not a missing release
  const tools = ctx.log.step('preflight')
  await requireTools(ctx, ['kubectl', 'helm'])
  tools.done()

  const checks: Check[] = []

  // ---- release ----
  const helmStatus = await query(Q)`helm status ${rel} -n ${ns} -o json`
  checks.push(guard('release', 'release deployed', () => checkRelease(helmStatus, rel)))

  // ---- pods and endpoints (waiting up to VALIDATE_TIMEOUT for them to settle) ----
  type Snapshot = { pods: Result; svcs: Result; slices: Result; endpoints: Result | null }
  async function snapshot(): Promise<Snapshot> {
    const [pods, svcs, slices] = await Promise.all([
      query(Q)`kubectl get pods -o json -n ${ns} -l ${sel}`,
      query(Q)`kubectl get services -o json -n ${ns} -l ${sel}`,
      query(Q)`kubectl get endpointslices -o json -n ${ns}`,
    ])
    // clusters without EndpointSlices (or without RBAC for them) still have Endpoints
    const endpoints = slices.ok ? null : await query(Q)`kubectl get endpoints -o json -n ${ns} -l ${sel}`
    return { pods, svcs, slices, endpoints }
  }
  const evaluate = (s: Snapshot): [Check, Check] => {
    if (!s.pods.ok) {
      const why = s.pods.stderr.trim().split('\n').pop() ?? ''
      const c: Check = { id: 'pods', name: 'pods ready, no restarts', status: 'fail', detail: UNREACHABLE.test(s.pods.stderr) ? `cluster unreachable: ${why}` : `kubectl get pods failed: ${why}`, fix: UNREACHABLE.test(s.pods.stderr) ? CLUSTER_FIX : 'kubectl get pods -n ' + ns }
      return [c, notChecked('endpoints', 'services have endpoints', 'the pods could not be listed')]
    }
    return [
      guard('pods', 'pods ready, no restarts', () => checkPods(s.pods.stdout)),
      guard('endpoints', 'services have endpoints', () => checkEndpoints(s.svcs.ok ? s.svcs.stdout : '', s.slices.ok ? s.slices.stdout : null, s.endpoints?.ok ? s.endpoints.stdout : null)),
    ]
  }
  // waiting only makes sense for a release that is there: a missing or failed one will not settle by itself
  const wait = !flags.once && checks[0]?.status === 'pass'
  const deadline = Date.now() + cfg.timeouts.validateMs
  const s = step(wait ? `pods and endpoints (waiting up to ${cfg.timeouts.validate} for them to settle)` : 'pods and endpoints')
  let snap = await snapshot()
  let [podsCheck, epCheck] = evaluate(snap)
  // restarts never go away by waiting, so only "not ready" and "no endpoints" are worth waiting for
  const settling = (): boolean => podsCheck.status === 'fail' && !/restart/.test(podsCheck.detail) || epCheck.status === 'fail'
  while (wait && snap.pods.ok && settling() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(3000, Math.max(0, deadline - Date.now()))))
    snap = await snapshot()
    ;[podsCheck, epCheck] = evaluate(snap)
  }
  if (podsCheck.status === 'pass' && epCheck.status === 'pass') s.done('settled')
  else warn(wait ? `pods and endpoints did not settle within ${cfg.timeouts.validate}` : 'pods and endpoints are not settled')
  checks.push(podsCheck, epCheck)

  const parsed = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn()
    } catch {
      return fallback // the pods/endpoints checks already report unreadable output
    }
  }
  const pods: Pod[] = snap.pods.ok ? parsed(() => appPods(snap.pods.stdout), []) : []
  const running = (component: string): Pod | undefined => {
    const of = pods.filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === component && p.status?.phase === 'Running')
    return of.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ?? of[0]
  }
  const containerOf = (p: Pod, component: string): string =>
    (p.spec?.containers ?? []).find((c) => c.name === component)?.name ?? p.spec?.containers?.[0]?.name ?? component

  async function exec(p: Pod | undefined, component: string, argv: string[]): Promise<Result | null> {
    if (!p?.metadata?.name) return null
    return query({ timeoutMs: 30_000 })`kubectl exec -n ${ns} ${p.metadata.name} -c ${containerOf(p, component)} -- ${argv}`
  }

  // ---- HTTP from inside the pods, at the paths and ports the release's own probes use ----
  const be = running('backend')
  const fe = running('frontend')
  // any pod of the component carries the Deployment's probes, running or not
  const anyOf = (component: string): Pod | undefined => pods.find((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === component)
  const beC = appContainer(be ?? anyOf('backend'), 'backend')
  const feC = appContainer(fe ?? anyOf('frontend'), 'frontend')
  const beLive = probeTarget(beC, ['liveness'], '/health')
  const beReadyT = probeTarget(beC, ['readiness'], '/ready')
  const feLive = probeTarget(feC, ['readiness', 'liveness'], '/api/health')
  const svcList = snap.svcs.ok ? parsed(() => services(snap.svcs.stdout), []) : []
  const beSvc = svcList.find((x) => x.metadata?.labels?.['app.kubernetes.io/component'] === 'backend')
  const bePort = beSvc?.spec?.ports?.find((p) => p.name === 'http')?.port ?? beSvc?.spec?.ports?.[0]?.port ?? 8000
  const beUrl = `http://${beSvc?.metadata?.name ?? `${rel}-backend`}:${bePort}${beLive.path}`

  const stepHttp = step('health endpoints from inside the pods')
  const [beHealth, beReady, feHealth, feToBe, dbTcp] = await Promise.all([
    exec(be, 'backend', ['python', '-c', PY_GET, ...getArgs(beLive)]),
    exec(be, 'backend', ['python', '-c', PY_GET, ...getArgs(beReadyT)]),
    exec(fe, 'frontend', ['node', '-e', NODE_GET, ...getArgs(feLive)]),
    exec(fe, 'frontend', ['node', '-e', NODE_GET, beUrl]),
    exec(be, 'backend', ['python', '-c', PY_DB]),
  ])
  stepHttp.done()
  // with no pods at all, the in-pod checks have nothing to say beyond the pods check's failure
  const noPods = pods.length === 0 ? (snap.pods.ok ? 'the release has no pods' : 'the pods could not be listed') : null
  const beName = be?.metadata?.name ?? 'backend'
  const feName = fe?.metadata?.name ?? 'frontend'
  const named = (component: string, t: Target): string => `${component} ${t.probe ? `${t.probe} ` : ''}${t.path} 200`
  const onPort = (t: Target): string => (t.port ? `port ${t.port}` : '$PORT')
  const inPod: Check[] = [
    checkHttp('backend-health', named('backend', beLive), `${beName} GET ${local(beLive)}`, beHealth,
      `the backend does not answer ${beLive.path} on ${onPort(beLive)}: kubectl logs -n ${ns} ${beName}`, fallbackNote(beLive)),
    checkHttp('backend-ready', named('backend', beReadyT), `${beName} GET ${local(beReadyT)}`, beReady,
      'the backend cannot use its database: check POSTGRES_PASSWORD / DATABASE_URL in .env, then npx zx scripts/deploy.ts', fallbackNote(beReadyT)),
    checkHttp('frontend-health', named('frontend', feLive), `${feName} GET ${local(feLive)}`, feHealth,
      `the frontend does not answer ${feLive.path} on ${onPort(feLive)}: kubectl logs -n ${ns} ${feName}`, fallbackNote(feLive)),
    checkHttp('frontend-to-backend', 'frontend → backend (Service DNS)', `${feName} GET ${beUrl}`, feToBe,
      `the frontend cannot reach the backend Service: check it has endpoints (kubectl get endpointslices -n ${ns}) and that no NetworkPolicy blocks frontend → backend`,
      fallbackNote(beLive, 'the backend has ')),
    checkDatabase(dbTcp, beReady, beReadyT.path),
  ]
  checks.push(...inPod.map((c) => (noPods ? notChecked(c.id, c.name, noPods) : c)))

  // ---- uid of every container ----
  const stepUid = step('container users')
  const uids = new Map<string, Result>()
  await Promise.all(pods.filter((p) => p.status?.phase === 'Running').flatMap((p) => (p.spec?.containers ?? []).map(async (c) => {
    const r = await query({ timeoutMs: 20_000 })`kubectl exec -n ${ns} ${p.metadata?.name ?? ''} -c ${c.name} -- id -u`
    uids.set(`${p.metadata?.name}/${c.name}`, r)
  })))
  stepUid.done()
  checks.push(noPods ? notChecked('non-root', 'containers run as non-root', noPods) : checkNonRoot(pods.filter((p) => p.status?.phase === 'Running'), uids))

  // ---- images: size budget, and what they carry ----
  const sources: Source[] = []
  const unchecked: string[] = []
  const stepImg = step('images')
  // LOAD_METHOD=docker-env: the images (and their base images) are in the minikube profile's Docker
  let node: Ctx = ctx
  try {
    node = await imageDaemon(ctx)
  } catch (e) {
    if (!(e instanceof KitError)) throw e
    warn(`images are checked against the local Docker instead: ${e.message} (fix: ${e.fix})`)
  }
  for (const spec of [cfg.frontend, cfg.backend]) {
    const p = running(spec.component) ?? pods.find((x) => x.metadata?.labels?.['app.kubernetes.io/component'] === spec.component)
    const image = p?.spec?.containers?.find((c) => c.name === spec.component)?.image ?? p?.spec?.containers?.[0]?.image
    const base = Object.values(spec.buildArgs)[0] ?? ''
    const budgetId = `image-size-${spec.component}`
    if (!image && noPods) {
      checks.push(notChecked(budgetId, `${spec.component} image within budget`, noPods))
      continue
    }
    if (!image) {
      checks.push({ id: budgetId, name: `${spec.component} image within budget`, status: 'fail', detail: `no ${spec.component} pod, so no deployed image to inspect`, fix: 'npx zx scripts/deploy.ts' })
      continue
    }
    // LOAD_METHOD=registry runs REGISTRY/<name>:<tag>; docker may hold only the name build gave it (a pushed tag can
    // be removed locally), and the content-hash tag makes the two the same image
    const pushed = new RegExp(`^.+/${spec.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(h-[0-9a-f]{12})$`).exec(image)
    const local = pushed && !(await node.query(Q)`docker image inspect ${image}`).ok ? `${spec.name}:${pushed[1]}` : image
    const [img, baseImg, hist] = await Promise.all([
      node.query(Q)`docker image inspect ${local}`,
      node.query(Q)`docker image inspect ${base}`,
      node.query(Q)`docker history --no-trunc --format ${'{{json .}}'} ${local}`,
    ])
    checks.push(guard(budgetId, `${spec.component} image within budget`, () => checkImageSize(spec.component, image, base, spec.sizeBudgetMb, img, baseImg)))
    if (img.ok) sources.push({ where: `image ${image} config (docker image inspect)`, text: img.stdout })
    else unchecked.push(`image ${image}`)
    if (hist.ok) sources.push({ where: `image ${image} history (docker history)`, text: hist.stdout })
    else unchecked.push(`history of ${image}`)
  }
  stepImg.done()

  // ---- rendered manifests and user-supplied values ----
  const [manifest, values] = await Promise.all([
    query(Q)`helm get manifest ${rel} -n ${ns}`,
    query(Q)`helm get values ${rel} -n ${ns} -o json`,
  ])
  let manifestDocs: Source[] | null = null
  try {
    manifestDocs = manifest.ok ? manifestSources(manifest.stdout) : null
  } catch {
    manifestDocs = null
  }
  if (manifestDocs) sources.push(...manifestDocs)
  else unchecked.push('helm get manifest')
  if (values.ok) sources.push({ where: 'release values (helm get values)', text: values.stdout })
  else unchecked.push('helm get values')
  checks.push(guard('no-secret-leaks', 'no secrets in images or manifests', () => checkLeaks(allSecrets(cfg), sources, unchecked)))

  // ---- report ----
  const failed = checks.filter((c) => c.status === 'fail')
  const needsDiagnosis = checks.some((c) => (c.id === 'pods' || c.id === 'endpoints') && c.status === 'fail') && snap.pods.ok
  const diagnosis = needsDiagnosis ? await diagnose(ctx) : []

  if (json) {
    out(JSON.stringify({ ok: failed.length === 0, release: rel, namespace: ns, checks, ...(diagnosis.length ? { diagnosis } : {}) }, null, 2))
  } else {
    const word = { pass: chalk.green('PASS'), fail: chalk.red('FAIL'), skip: chalk.yellow('SKIP') }
    const w = Math.max(...checks.map((c) => c.name.length))
    out('')
    out(`${'CHECK'.padEnd(w)}  RESULT  DETAIL`)
    for (const c of checks) out(`${c.name.padEnd(w)}  ${word[c.status]}    ${c.detail}`)
    if (failed.length) {
      out('')
      for (const c of failed) out(`${chalk.red('✖')} ${c.name}: ${c.fix ?? 'see the detail above'}`)
    }
    for (const l of diagnosis) out(l)
    out('')
    const skipped = checks.filter((c) => c.status === 'skip').length
    out(failed.length
      ? chalk.red(`${failed.length} of ${checks.length} checks failed`)
      : chalk.green(`all ${checks.length - skipped} checks passed`) + (skipped ? chalk.yellow(` (${skipped} skipped)`) : ''))
  }
  if (failed.length) fail(`${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.id).join(', ')}`, 'fix what the table says, then: npx zx scripts/validate.ts')
}

if (isMain(import.meta.url)) await main(validate)
