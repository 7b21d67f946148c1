// What validate checks, in one value: the release's pods, Services, probe targets and images, read from the cluster
// once the pods have settled (a real run), or from the chart values (a dry run, which has no pods to read).
import { readTextFile } from './safe-read.ts'
import path from 'node:path'
import { parse } from 'yaml'
import { shownPath, type Ctx } from './stage.ts'
import type { Pod } from './diagnose.ts'
import { DRY, type Result } from './run.ts'
import { images } from './images.ts'
import {
  appContainer,
  appPods,
  chartTargets,
  checkEndpoints,
  checkPods,
  checkRelease,
  guard,
  notChecked,
  probeTarget,
  services,
  CLUSTER_FIX,
  UNREACHABLE,
  type Check,
  type Target,
} from './checks.ts'

/** Runs a read-only command and returns its output; validate's dry run prints it instead (and returns null). */
export type Ask = (argv: string[]) => Promise<Result | null>

export type Component = 'frontend' | 'backend'

export type Subject = {
  /** the release, pods and endpoints checks, decided while waiting for the pods to settle */
  settled: Check[]
  /** why nothing can run inside the pods (no pods, or they could not be listed), else null */
  noPods: string | null
  /** the argv prefix that runs a command in the component's app container (null: no pod to run it in) */
  exec: Record<Component, string[] | null>
  /** the pod each in-pod check names in its detail */
  podName: Record<Component, string>
  backendLive: Target
  backendReady: Target
  frontendHealth: Target
  /** the backend's liveness path through its Service, as the frontend reaches it */
  backendUrl: string
  /** the running pods, and `id -u` in each of their containers keyed `<pod>/<container>` */
  running: Pod[]
  whoami: { key: string; argv: string[] }[]
  /** the image each component runs as docker knows it (null: no pod says), and its base image */
  image: Record<Component, { ref: string | null; local: string | null; base: string }>
  /** pods and endpoints failed while the pods could be listed: worth a diagnosis */
  needsDiagnosis: boolean
}

const TIMEOUT = { timeoutMs: 30_000 }

/** A real run: helm status, then pods and endpoints until they settle (up to VALIDATE_TIMEOUT unless `once`). */
export async function observeRelease(ctx: Ctx, ask: Ask, o: { wait: boolean }): Promise<Subject> {
  const { cfg, log } = ctx
  const ns = cfg.namespace
  const selector = `app.kubernetes.io/instance=${cfg.release}`
  const lookups = releaseLookups(ctx)
  const helmStatus = await ask(lookups.status)
  const release = guard('release', 'release deployed', () => checkRelease(helmStatus ?? DRY, cfg.release))

  const look = async (): Promise<Snapshot> => {
    const [pods, svcs, slices] = await Promise.all([
      ctx.query(TIMEOUT)`${lookups.pods}`,
      ctx.query(TIMEOUT)`${lookups.services}`,
      ctx.query(TIMEOUT)`${lookups.slices}`,
    ])
    // clusters without EndpointSlices (or without RBAC for them) still have Endpoints
    const endpoints = slices.ok ? null : await ctx.query(TIMEOUT)`kubectl get endpoints -o json -n ${ns} -l ${selector}`
    return { pods, svcs, slices, endpoints }
  }
  // waiting only makes sense for a release that is there: a missing or failed one will not settle by itself
  const wait = o.wait && release.status === 'pass'
  const deadline = Date.now() + cfg.timeouts.validateMs
  const step = log.step(
    wait ? `pods and endpoints (waiting up to ${cfg.timeouts.validate} for them to settle)` : 'pods and endpoints',
  )
  let snap = await look()
  let [pods, endpoints] = podChecks(snap, ns)
  // restarts never go away by waiting, so only "not ready" and "no endpoints" are worth waiting for
  const settling = (): boolean =>
    (pods.status === 'fail' && !/restart/.test(pods.detail)) || endpoints.status === 'fail'
  while (wait && snap.pods.ok && settling() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(3000, Math.max(0, deadline - Date.now()))))
    snap = await look()
    ;[pods, endpoints] = podChecks(snap, ns)
  }
  if (pods.status === 'pass' && endpoints.status === 'pass') step.done('settled')
  else
    log.warn(
      wait ? `pods and endpoints did not settle within ${cfg.timeouts.validate}` : 'pods and endpoints are not settled',
    )

  const subject = fromPods(ctx, snap, [release, pods, endpoints])
  return await withLocalImages(subject, ask)
}

/** What validate asks the cluster about the release before any check: helm's status, pods, Services, slices. */
function releaseLookups(ctx: Ctx): Record<'status' | 'pods' | 'services' | 'slices', string[]> {
  const { release, namespace: ns } = ctx.cfg
  const selector = `app.kubernetes.io/instance=${release}`
  return {
    status: ['helm', 'status', release, '-n', ns, '-o', 'json'],
    pods: ['kubectl', 'get', 'pods', '-o', 'json', '-n', ns, '-l', selector],
    services: ['kubectl', 'get', 'services', '-o', 'json', '-n', ns, '-l', selector],
    slices: ['kubectl', 'get', 'endpointslices', '-o', 'json', '-n', ns],
  }
}

type Snapshot = { pods: Result; svcs: Result; slices: Result; endpoints: Result | null }

function podChecks(s: Snapshot, ns: string): [Check, Check] {
  if (!s.pods.ok) {
    const why = s.pods.stderr.trim().split('\n').pop() ?? ''
    const unreachable = UNREACHABLE.test(s.pods.stderr)
    const pods: Check = {
      id: 'pods',
      name: 'pods ready, no restarts',
      status: 'fail',
      detail: unreachable ? `cluster unreachable: ${why}` : `kubectl get pods failed: ${why}`,
      fix: unreachable ? CLUSTER_FIX : `kubectl get pods -n ${ns}`,
    }
    return [pods, notChecked('endpoints', 'services have endpoints', 'the pods could not be listed')]
  }
  return [
    guard('pods', 'pods ready, no restarts', () => checkPods(s.pods.stdout)),
    guard('endpoints', 'services have endpoints', () =>
      checkEndpoints(
        s.svcs.ok ? s.svcs.stdout : '',
        s.slices.ok ? s.slices.stdout : null,
        s.endpoints?.ok ? s.endpoints.stdout : null,
      ),
    ),
  ]
}

// output that is not what the tool normally prints: the pods/endpoints checks already report it
function parsed<T>(fn: () => T, fallback: T): T {
  try {
    return fn()
  } catch {
    return fallback
  }
}

const componentOf = (p: Pod): string | undefined => p.metadata?.labels?.['app.kubernetes.io/component']

function fromPods(ctx: Ctx, snap: Snapshot, settled: Check[]): Subject {
  const { cfg } = ctx
  const ns = cfg.namespace
  const pods: Pod[] = snap.pods.ok ? parsed(() => appPods(snap.pods.stdout), []) : []
  const of = (c: Component): Pod[] => pods.filter((p) => componentOf(p) === c)
  // a ready pod of the component if there is one; any pod carries the Deployment's probes, running or not
  const running = (c: Component): Pod | undefined => {
    const up = of(c).filter((p) => p.status?.phase === 'Running')
    return up.find((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) ?? up[0]
  }
  const chosen = { frontend: running('frontend'), backend: running('backend') }
  const container = (c: Component) => appContainer(chosen[c] ?? of(c)[0], c)
  const exec = (c: Component): string[] | null => {
    const p = chosen[c]
    if (!p?.metadata?.name) return null
    const name = (p.spec?.containers ?? []).find((x) => x.name === c)?.name ?? p.spec?.containers?.[0]?.name ?? c
    return ['kubectl', 'exec', '-n', ns, p.metadata.name, '-c', name, '--']
  }
  const backendLive = probeTarget(container('backend'), ['liveness'], '/health')
  const svc = (snap.svcs.ok ? parsed(() => services(snap.svcs.stdout), []) : []).find(
    (s) => s.metadata?.labels?.['app.kubernetes.io/component'] === 'backend',
  )
  const port = svc?.spec?.ports?.find((p) => p.name === 'http')?.port ?? svc?.spec?.ports?.[0]?.port ?? 8000
  const image = (c: Component): string | null => {
    const p = chosen[c] ?? of(c)[0]
    return p?.spec?.containers?.find((x) => x.name === c)?.image ?? p?.spec?.containers?.[0]?.image ?? null
  }
  const base = (c: Component): string => Object.values(cfg[c].buildArgs)[0] ?? ''
  return {
    settled,
    noPods: pods.length === 0 ? (snap.pods.ok ? 'the release has no pods' : 'the pods could not be listed') : null,
    exec: { frontend: exec('frontend'), backend: exec('backend') },
    podName: {
      frontend: chosen.frontend?.metadata?.name ?? 'frontend',
      backend: chosen.backend?.metadata?.name ?? 'backend',
    },
    backendLive,
    backendReady: probeTarget(container('backend'), ['readiness'], '/ready'),
    frontendHealth: probeTarget(container('frontend'), ['readiness', 'liveness'], '/api/health'),
    backendUrl: `http://${svc?.metadata?.name ?? `${cfg.release}-backend`}:${port}${backendLive.path}`,
    running: pods.filter((p) => p.status?.phase === 'Running'),
    whoami: pods
      .filter((p) => p.status?.phase === 'Running')
      .flatMap((p) =>
        (p.spec?.containers ?? []).map((c) => ({
          key: `${p.metadata?.name}/${c.name}`,
          argv: ['kubectl', 'exec', '-n', ns, p.metadata?.name ?? '', '-c', c.name, '--', 'id', '-u'],
        })),
      ),
    image: {
      frontend: { ref: image('frontend'), local: image('frontend'), base: base('frontend') },
      backend: { ref: image('backend'), local: image('backend'), base: base('backend') },
    },
    needsDiagnosis:
      settled.some((c) => (c.id === 'pods' || c.id === 'endpoints') && c.status === 'fail') && snap.pods.ok,
  }
}

/**
 * LOAD_METHOD=registry runs REGISTRY/<name>:<tag>; docker may hold only the name build gave it (a pushed tag can be
 * removed locally), and the content-hash tag makes the two the same image.
 */
async function withLocalImages(s: Subject, ask: Ask): Promise<Subject> {
  for (const [c, img] of Object.entries(s.image) as [Component, Subject['image'][Component]][]) {
    const name = /^.+\/([^/:]+):(h-[0-9a-f]{12})$/.exec(img.ref ?? '')
    if (name && !(await ask(['docker', 'image', 'inspect', img.ref!]))?.ok) s.image[c].local = `${name[1]}:${name[2]}`
  }
  return s
}

/**
 * A dry run: the commands as they would run, with Deployments instead of pod names, and the GETs' paths and ports from
 * the chart values the release was deployed with (the chart's values.yaml, then HELM_VALUES_FILES).
 */
export async function fromChartValues(ctx: Ctx, ask: Ask): Promise<Subject> {
  const { cfg, log } = ctx
  const ns = cfg.namespace
  // the settle loop's questions, asked once: a dry run has no pods to wait for
  for (const argv of Object.values(releaseLookups(ctx))) await ask(argv)

  const files = [path.join(cfg.chartDir, 'values.yaml'), ...cfg.helmValuesFiles]
  let values: unknown[] = []
  try {
    values = files.map((f) => parse(readTextFile(f)) as unknown)
    log.out(
      `# paths and ports from the chart values: ${files.map((f) => shownPath(cfg, f)).join(', ')} (a real run reads the running pods' probes)`,
    )
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]
    log.out(
      `# could not read the chart values (${why}): the reference app's paths and $PORT (a real run reads the running pods' probes)`,
    )
  }
  const t = chartTargets(values)
  // sources not there: the image checks read whatever image the pods run
  const tags = parsed(
    () => {
      const imgs = images(cfg)
      return { frontend: imgs.frontend.ref, backend: imgs.backend.ref }
    },
    { frontend: `${cfg.frontend.name}:<tag>`, backend: `${cfg.backend.name}:<tag>` },
  )
  const deployment = (c: Component): string[] => [
    'kubectl',
    'exec',
    '-n',
    ns,
    `deploy/${cfg.release}-${c}`,
    '-c',
    c,
    '--',
  ]
  return {
    settled: [],
    noPods: null,
    exec: { frontend: deployment('frontend'), backend: deployment('backend') },
    podName: { frontend: 'frontend', backend: 'backend' },
    backendLive: t.beLive,
    backendReady: t.beReady,
    frontendHealth: t.feHealth,
    backendUrl: `http://${cfg.release}-backend:${t.beServicePort}${t.beLive.path}`,
    running: [],
    whoami: (['backend', 'frontend'] as const).map((c) => ({ key: c, argv: [...deployment(c), 'id', '-u'] })),
    image: {
      frontend: { ref: tags.frontend, local: tags.frontend, base: cfg.frontend.buildArgs.NODE_IMAGE ?? 'node:24-slim' },
      backend: {
        ref: tags.backend,
        local: tags.backend,
        base: cfg.backend.buildArgs.PYTHON_IMAGE ?? 'python:3.13-slim',
      },
    },
    needsDiagnosis: false,
  }
}
