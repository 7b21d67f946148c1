// The checks `validate` runs, as pure functions over what kubectl, helm and docker printed, so each verdict is tested
// from fixtures. scripts/validate.ts collects the outputs and prints the table.
import { parseAllDocuments } from 'yaml'
import type { Pod } from './diagnose.ts'

export type CheckStatus = 'pass' | 'fail' | 'skip'
export type Check = {
  /** stable id for --json consumers */
  id: string
  /** what the table shows */
  name: string
  status: CheckStatus
  detail: string
  /** the command (or change) that fixes a failure */
  fix?: string
}

/** A command's outcome, the shape the kit's runner returns. */
export type Out = {
  ok: boolean
  exitCode: number | null
  stdout: string
  stderr: string
  notFound?: boolean
  timedOut?: boolean
}

export const one = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim()
/** the last non-empty line of a tool's output, on one line */
export const lastLine = (s: string): string =>
  one(
    s
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop(),
  )
export const DEPLOY = 'npx zx scripts/deploy.ts'
/** kubectl/helm stderr when there is no cluster to talk to */
export const UNREACHABLE =
  /unreachable|refused|no such host|i\/o timeout|current-context is not set|Unable to connect to the server/i
export const CLUSTER_FIX = 'kubectl cluster-info   (is the cluster running? npx zx scripts/setup.ts)'

/** Run a check; output that is not what the tool normally prints (not JSON, cut off) fails it instead of crashing. */
export function guard(id: string, name: string, fn: () => Check): Check {
  try {
    return fn()
  } catch (e) {
    return {
      id,
      name,
      status: 'fail',
      detail: `could not read the tool's output: ${(e as Error).message}`,
      fix: 're-run: npx zx scripts/validate.ts (and check the tool runs by hand)',
    }
  }
}

/** A check that could not run because an earlier one failed; the earlier failure already sets the exit code. */
export const notChecked = (id: string, name: string, why: string): Check => ({
  id,
  name,
  status: 'skip',
  detail: `not checked: ${why}`,
})

function items<T>(json: string): T[] {
  if (!json.trim()) return []
  const v = JSON.parse(json) as { items?: T[] } | T[]
  return Array.isArray(v) ? v : (v.items ?? [])
}

// ---------- release ----------

type HelmStatus = {
  name?: string
  version?: number
  info?: { status?: string; description?: string }
  chart?: { metadata?: { name?: string; version?: string } }
}

export function checkRelease(r: Out, release: string): Check {
  const base = { id: 'release', name: 'release deployed' }
  if (!r.ok) {
    // only helm's own answer says the release is missing; "command not found" or a dead cluster say nothing about it
    if (r.notFound)
      return {
        ...base,
        status: 'fail',
        detail: 'not checked: helm is not installed (or not on PATH)',
        fix: 'install Helm 4: https://helm.sh/docs/intro/install/ (Helm 3.12+ works too)',
      }
    if (r.timedOut)
      return { ...base, status: 'fail', detail: 'not checked: helm status did not answer in time', fix: CLUSTER_FIX }
    if (UNREACHABLE.test(r.stderr))
      return { ...base, status: 'fail', detail: `cluster unreachable: ${lastLine(r.stderr)}`, fix: CLUSTER_FIX }
    if (/release: not found/i.test(r.stderr))
      return { ...base, status: 'fail', detail: `release ${release} is not installed`, fix: DEPLOY }
    return {
      ...base,
      status: 'fail',
      detail: `helm status failed: ${lastLine(r.stderr) || `exit ${r.exitCode}`}`,
      fix: `helm status ${release}`,
    }
  }
  const s = JSON.parse(r.stdout) as HelmStatus
  const status = s.info?.status ?? 'unknown'
  const chart = s.chart?.metadata ? ` (${s.chart.metadata.name}-${s.chart.metadata.version})` : ''
  if (status === 'deployed')
    return { ...base, status: 'pass', detail: `${release} revision ${s.version ?? '?'}${chart}` }
  return {
    ...base,
    status: 'fail',
    detail: `${release} revision ${s.version ?? '?'} is ${status}: ${one(s.info?.description)}`,
    fix: status.startsWith('pending')
      ? `another helm operation is running or was interrupted; wait, or roll back: helm rollback ${release}, then ${DEPLOY}`
      : DEPLOY,
  }
}

// ---------- pods ----------

/** Pods of the running app: hook pods (migrations, helm tests) and completed pods are not part of it. */
export function appPods(podsJson: string): Pod[] {
  return items<Pod>(podsJson).filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.phase !== 'Succeeded' &&
      !p.metadata?.annotations?.['helm.sh/hook'] &&
      !(p.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job'),
  )
}

export function podProblems(p: Pod): string[] {
  const problems: string[] = []
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
  if (!ready) {
    const waiting = (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find(Boolean)
    const why =
      waiting ??
      p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.reason ??
      p.status?.phase ??
      'Unknown'
    problems.push(`not ready (${why})`)
  }
  const restarts = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].reduce(
    (n, c) => n + (c.restartCount ?? 0),
    0,
  )
  if (restarts > 0) problems.push(`${restarts} restart(s)`)
  return problems
}

export function checkPods(podsJson: string): Check {
  const base = { id: 'pods', name: 'pods ready, no restarts' }
  const pods = appPods(podsJson)
  if (pods.length === 0) return { ...base, status: 'fail', detail: 'no pods found for the release', fix: DEPLOY }
  const bad = pods
    .map((p) => ({ name: p.metadata?.name ?? '?', problems: podProblems(p) }))
    .filter((p) => p.problems.length)
  if (bad.length === 0) return { ...base, status: 'pass', detail: `${pods.length}/${pods.length} ready, 0 restarts` }
  return {
    ...base,
    status: 'fail',
    detail:
      `${pods.length - bad.length}/${pods.length} healthy; ` +
      bad.map((b) => `${b.name}: ${b.problems.join(', ')}`).join('; '),
    fix: 'see the diagnosis below; after fixing: ' + DEPLOY,
  }
}

// ---------- endpoints ----------

type Service = {
  metadata?: { name?: string; labels?: Record<string, string> }
  spec?: { type?: string; selector?: Record<string, string>; ports?: { name?: string; port?: number }[] }
}
type EndpointSlice = {
  metadata?: { labels?: Record<string, string> }
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[] | null
}
type Endpoints = { metadata?: { name?: string }; subsets?: { addresses?: unknown[] }[] }

export function services(servicesJson: string): Service[] {
  return items<Service>(servicesJson)
}

/**
 * Ready endpoints per Service, from EndpointSlices (discovery.k8s.io/v1) or, when the cluster did not answer for
 * those, the older Endpoints objects.
 */
export function checkEndpoints(
  servicesJson: string,
  slicesJson: string | null,
  endpointsJson: string | null = null,
): Check {
  const base = { id: 'endpoints', name: 'services have endpoints' }
  const svcs = services(servicesJson).filter(
    (s) => s.spec?.type !== 'ExternalName' && s.spec?.selector && Object.keys(s.spec.selector).length,
  )
  if (svcs.length === 0) return { ...base, status: 'fail', detail: 'no Services found for the release', fix: DEPLOY }
  const count = new Map<string, number>()
  if (slicesJson !== null) {
    for (const sl of items<EndpointSlice>(slicesJson)) {
      const svc = sl.metadata?.labels?.['kubernetes.io/service-name']
      if (!svc) continue
      const ready = (sl.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length
      count.set(svc, (count.get(svc) ?? 0) + ready)
    }
  } else if (endpointsJson !== null) {
    for (const ep of items<Endpoints>(endpointsJson)) {
      const n = (ep.subsets ?? []).reduce((k, s) => k + (s.addresses?.length ?? 0), 0)
      count.set(ep.metadata?.name ?? '', n)
    }
  }
  const parts = svcs.map((s) => ({ name: s.metadata?.name ?? '?', n: count.get(s.metadata?.name ?? '') ?? 0 }))
  const empty = parts.filter((p) => p.n === 0)
  const detail = parts.map((p) => `${p.name}: ${p.n}`).join(', ')
  if (empty.length === 0) return { ...base, status: 'pass', detail }
  return {
    ...base,
    status: 'fail',
    detail: `no ready endpoints for ${empty.map((p) => p.name).join(', ')} (${detail})`,
    fix: 'a Service without endpoints has no ready pod behind it: see the pods check and the diagnosis below',
  }
}

// ---------- HTTP from inside the pods ----------

/** The parts of a pod's app container that say where it answers HTTP (kubectl get pods -o json). */
export type AppContainer = {
  name: string
  ports?: { name?: string; containerPort?: number }[]
  env?: { name: string; value?: string }[]
  livenessProbe?: { httpGet?: { path?: string; port?: number | string } }
  readinessProbe?: { httpGet?: { path?: string; port?: number | string } }
}
export type ProbeKind = 'liveness' | 'readiness'
/**
 * Where an in-pod GET goes: the path and port one of the container's httpGet probes asks (what the kubelet checks),
 * or, with no such probe, the reference app's path (`probe` null). `port` undefined: the one-liner's $PORT.
 */
export type Target = { path: string; port?: number; probe: ProbeKind | null; wanted: ProbeKind[] }

const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined

/** A probe port (number, or a named port of the container) as a number; else $PORT from the spec, else its http port. */
export function resolvePort(c: AppContainer | undefined, port?: number | string): number | undefined {
  const direct = num(port)
  if (direct) return direct
  const named = typeof port === 'string' ? c?.ports?.find((p) => p.name === port)?.containerPort : undefined
  if (named) return named
  const env = num(c?.env?.find((e) => e.name === 'PORT')?.value)
  if (env) return env
  return (c?.ports?.find((p) => p.name === 'http') ?? (c?.ports?.length === 1 ? c.ports[0] : undefined))?.containerPort
}

/** The app container of a pod: the one named after its component, else the first. */
export function appContainer(pod: Pod | undefined, component: string): AppContainer | undefined {
  const cs = (pod?.spec?.containers ?? []) as AppContainer[]
  return cs.find((c) => c.name === component) ?? cs[0]
}

/** The first of `kinds` that is an httpGet probe on the container, else `fallback` (today's reference-app path). */
export function probeTarget(c: AppContainer | undefined, kinds: ProbeKind[], fallback: string): Target {
  for (const kind of kinds) {
    const g = c?.[`${kind}Probe`]?.httpGet
    if (g?.path) return { path: g.path, port: resolvePort(c, g.port), probe: kind, wanted: kinds }
  }
  return { path: fallback, port: resolvePort(c), probe: null, wanted: kinds }
}

/** "127.0.0.1:8080/status/ready", or "127.0.0.1:$PORT/health" when the port is not known. */
export const local = (t: Target): string => `127.0.0.1:${t.port ?? '$PORT'}${t.path}`

/** Said in a check's detail when it asked the reference app's path because the container has no httpGet probe. */
export const fallbackNote = (t: Target, whose = ''): string | undefined =>
  t.probe ? undefined : `${whose}no httpGet ${t.wanted.join('/')} probe; asked ${t.path}`

/** The argv after `python -c PY_GET` / `node -e NODE_GET`: the path, and the port when known. */
export const getArgs = (t: Target): string[] => (t.port ? [t.path, String(t.port)] : [t.path])

/**
 * What validate's GETs would ask, from chart values (the chart's values.yaml, then each HELM_VALUES_FILES file, as
 * helm merges them; the kit sets no probe or port with --set): for `--dry-run`, which has no pods to read.
 */
export function chartTargets(values: unknown[]): {
  beLive: Target
  beReady: Target
  feHealth: Target
  beServicePort: number
} {
  const at = (keys: string): unknown => {
    let found: unknown
    for (const doc of values) {
      let v: unknown = doc
      for (const k of keys.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined
      if (v !== undefined && v !== null) found = v
    }
    return found
  }
  const str = (keys: string): string | undefined =>
    typeof at(keys) === 'string' && at(keys) ? (at(keys) as string) : undefined
  const target = (component: string, kinds: ProbeKind[], fallback: string): Target => {
    const port = num(at(`${component}.containerPort`))
    for (const kind of kinds) {
      const path = str(`${component}.probes.${kind}.path`)
      if (path) return { path, port, probe: kind, wanted: kinds }
    }
    return { path: fallback, port, probe: null, wanted: kinds }
  }
  return {
    beLive: target('backend', ['liveness'], '/health'),
    beReady: target('backend', ['readiness'], '/ready'),
    feHealth: target('frontend', ['readiness', 'liveness'], '/api/health'),
    beServicePort: num(at('backend.service.port')) ?? 8000,
  }
}

// The one-liners hold no double quotes: Windows PowerShell 5.1 mangles them in arguments to native commands.

/**
 * Python run in the backend container: GET http://127.0.0.1:<port><path> (argv: <path> [port]; no port: $PORT, else
 * 8000) or a full URL (argv: <url>), prints "STATUS <code>" or "ERROR <why>".
 */
export const PY_GET = [
  'import os, sys, urllib.request, urllib.error',
  "port = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else os.environ.get('PORT', '8000')",
  "url = sys.argv[1] if sys.argv[1].startswith('http') else 'http://127.0.0.1:%s%s' % (port, sys.argv[1])",
  'try:',
  "    print('STATUS', urllib.request.urlopen(url, timeout=5).status)",
  'except urllib.error.HTTPError as e:',
  "    print('STATUS', e.code)",
  'except Exception as e:',
  "    print('ERROR', type(e).__name__, e)",
].join('\n')

/** Node run in the frontend container: the same contract as PY_GET (no port: $PORT, else 3000). */
export const NODE_GET = [
  "const p = process.argv[1]; const port = process.argv[2] || process.env.PORT || '3000';",
  "const url = p.startsWith('http') ? p : 'http://127.0.0.1:' + port + p;",
  "fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' })",
  "  .then((r) => console.log('STATUS', r.status))",
  "  .catch((e) => console.log('ERROR', (e.cause && (e.cause.code || e.cause.message)) || e.message));",
].join('\n')

/**
 * Python run in the backend container: can it open a TCP connection to the host:port in its DATABASE_URL? Prints
 * "DB <host>:<port> OK" or "DB <host>:<port> ERROR <why>" — never the URL itself (it holds the password).
 */
export const PY_DB = [
  'import os, socket, urllib.parse',
  "u = urllib.parse.urlsplit(os.environ.get('DATABASE_URL', ''))",
  "host, port = u.hostname or '?', u.port or 5432",
  'try:',
  '    socket.create_connection((host, port), 5).close()',
  "    print('DB %s:%s OK' % (host, port))",
  'except Exception as e:',
  "    print('DB %s:%s ERROR %s' % (host, port, type(e).__name__))",
].join('\n')

export type Probe = { status?: number; error?: string }

export function parseProbe(r: Out): Probe {
  const m = /^STATUS (\d{3})\s*$/m.exec(r.stdout)
  if (m) return { status: Number(m[1]) }
  const e = /^ERROR (.*)$/m.exec(r.stdout)
  if (e) return { error: one(e[1]) }
  if (/executable file not found|not found in \$PATH|no such file/i.test(r.stderr))
    return { error: `the container has no interpreter for the check (${lastLine(r.stderr)})` }
  return { error: lastLine(r.stderr) || lastLine(r.stdout) || `kubectl exec exited ${r.exitCode}` }
}

/** `note` (e.g. the fallback path) is appended to the detail after "; ". */
export function checkHttp(id: string, name: string, target: string, r: Out | null, fix: string, note?: string): Check {
  const n = note ? `; ${note}` : ''
  if (!r)
    return {
      id,
      name,
      status: 'fail',
      detail: `no running pod to run it in (${target})${n}`,
      fix: 'see the pods check; ' + DEPLOY,
    }
  const p = parseProbe(r)
  if (p.status === 200) return { id, name, status: 'pass', detail: `${target} → 200${n}` }
  return { id, name, status: 'fail', detail: (p.status ? `${target} → ${p.status}` : `${target}: ${p.error}`) + n, fix }
}

/** `readyPath`: the path `ready` asked (the backend's readiness probe). */
export function checkDatabase(tcp: Out | null, ready: Out | null, readyPath = '/ready'): Check {
  const base = { id: 'backend-to-database', name: 'backend → database' }
  if (!tcp || !ready)
    return {
      ...base,
      status: 'fail',
      detail: 'no running backend pod to run it in',
      fix: 'see the pods check; ' + DEPLOY,
    }
  const m = /^DB (\S+) (OK|ERROR)(?: (.*))?$/m.exec(tcp.stdout)
  if (!m)
    return {
      ...base,
      status: 'fail',
      detail: `could not run the check: ${parseProbe(tcp).error}`,
      fix: 'the backend image needs python on PATH',
    }
  const where = m[1]!
  if (m[2] !== 'OK')
    return {
      ...base,
      status: 'fail',
      detail: `cannot connect to ${where} (${one(m[3])})`,
      fix: where.startsWith('?')
        ? 'DATABASE_URL is not set in the backend: check the Secret and ' + DEPLOY
        : `is the database pod running and its Service named ${where.split(':')[0]}? (kubectl get pods,svc); external DATABASE_URL: is it reachable from the cluster?`,
    }
  const p = parseProbe(ready)
  if (p.status === 200) return { ...base, status: 'pass', detail: `TCP ${where} open, ${readyPath} → 200` }
  return {
    ...base,
    status: 'fail',
    detail: `TCP ${where} open, but ${readyPath} → ${p.status ?? p.error} (the app cannot log in or query)`,
    fix:
      'check POSTGRES_PASSWORD / DATABASE_URL in .env (a changed password needs the database volume reset: npx zx scripts/cleanup.ts --purge-data), then ' +
      DEPLOY,
  }
}

// ---------- non-root ----------

type SecCtx = { runAsUser?: number; runAsNonRoot?: boolean }
type PodWithSec = Pod & {
  spec?: Pod['spec'] & { securityContext?: SecCtx; containers?: { name: string; securityContext?: SecCtx }[] }
}

/** uid per container from `id -u` (exec), falling back to what the securityContext guarantees. */
export function checkNonRoot(pods: Pod[], uids: Map<string, Out>): Check {
  const base = { id: 'non-root', name: 'containers run as non-root' }
  if (pods.length === 0) return { ...base, status: 'fail', detail: 'no running pods to check', fix: DEPLOY }
  const parts: string[] = []
  const bad: string[] = []
  for (const pod of pods as PodWithSec[]) {
    for (const c of pod.spec?.containers ?? []) {
      const key = `${pod.metadata?.name}/${c.name}`
      const label = `${pod.metadata?.labels?.['app.kubernetes.io/component'] ?? pod.metadata?.name}/${c.name}`
      const r = uids.get(key)
      const uid = r?.ok && /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : undefined
      const sc = { ...pod.spec?.securityContext, ...c.securityContext }
      if (uid !== undefined) {
        parts.push(`${label}=${uid}`)
        if (uid === 0) bad.push(`${label} runs as uid 0`)
      } else if (sc.runAsUser !== undefined) {
        parts.push(`${label}=${sc.runAsUser} (securityContext)`)
        if (sc.runAsUser === 0) bad.push(`${label} has runAsUser 0`)
      } else if (sc.runAsNonRoot) {
        parts.push(`${label}: runAsNonRoot`)
      } else {
        bad.push(
          `${label}: cannot tell (id -u failed: ${lastLine(r?.stderr ?? '') || 'not run'}; no runAsUser/runAsNonRoot)`,
        )
      }
    }
  }
  const detail = [...parts, ...bad.filter((b) => b.includes('cannot tell'))].join(', ')
  if (bad.length === 0) return { ...base, status: 'pass', detail }
  return {
    ...base,
    status: 'fail',
    detail: bad.join('; '),
    fix: 'give the image a numeric non-root USER (or set runAsUser in the chart values), rebuild: npx zx scripts/build.ts',
  }
}

// ---------- image size ----------

type Inspect = {
  Id?: string
  RepoTags?: string[]
  Size?: number
  Config?: { Env?: string[]; Labels?: Record<string, string> | null; User?: string }
}

export function parseInspect(r: Out): Inspect | null {
  if (!r.ok) return null
  const v = JSON.parse(r.stdout) as Inspect[]
  return v[0] ?? null
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

export function checkImageSize(
  component: string,
  image: string,
  base: string,
  budgetMb: number | null,
  imageInspect: Out,
  baseInspect: Out,
): Check {
  const b = { id: `image-size-${component}`, name: `${component} image within budget` }
  const img = parseInspect(imageInspect)
  if (!img?.Size)
    return {
      ...b,
      status: 'skip',
      detail: `${image} is not in the local docker engine (built elsewhere or pushed to a registry)`,
    }
  const baseImg = parseInspect(baseInspect)
  if (!baseImg?.Size)
    return {
      ...b,
      status: 'skip',
      detail: `${image} is ${mb(img.Size)}; base ${base} is not in the local docker engine to subtract`,
      fix: `docker pull ${base}`,
    }
  const added = img.Size - baseImg.Size
  const key = `${component.toUpperCase()}_SIZE_BUDGET_MB`
  // the user's own app: its size is reported, not judged, until they give it a budget
  if (budgetMb === null)
    return {
      ...b,
      status: 'skip',
      detail: `${image}: ${mb(added)} over ${base} (total ${mb(img.Size)}); your app has no budget: set ${key} in .env to hold it to one`,
    }
  const detail = `${image}: ${mb(added)} over ${base} (budget ${budgetMb} MB, total ${mb(img.Size)})`
  if (added <= budgetMb * 1e6) return { ...b, status: 'pass', detail }
  return {
    ...b,
    status: 'fail',
    detail,
    fix: `trim the image (dev dependencies, caches, build tools in the final stage) and rebuild: npx zx scripts/build.ts; or raise ${key} in .env`,
  }
}

/** An over-budget row with what weighs most: the largest packages and layers, or that they could not be listed. */
export function withWeights(check: Check, packages: string[], layers: string[]): Check {
  const parts = [
    packages.length ? `largest packages: ${packages.join(', ')}` : '',
    layers.length ? `largest layers: ${layers.join('; ')}` : '',
  ].filter(Boolean)
  const weights = parts.length ? parts.join('; ') : 'its largest packages and layers could not be listed'
  return { ...check, detail: `${check.detail}; ${weights}` }
}

// ---------- secret leaks ----------

/** Where a text came from, e.g. "image todo-backend:h-… history" or "ConfigMap/todo-config (helm get manifest)". */
export type Source = { where: string; text: string }

/** The values to look for: each secret, and a DATABASE_URL's password on its own. Too-short values are listed apart. */
export function secretNeedles(
  secrets: Record<string, string | undefined>,
  minLength = 8,
): { needles: { key: string; value: string }[]; tooShort: string[] } {
  const needles: { key: string; value: string }[] = []
  const tooShort: string[] = []
  const add = (key: string, value: string): void => {
    if (value.length < minLength) tooShort.push(key)
    else needles.push({ key, value })
  }
  for (const [key, value] of Object.entries(secrets)) {
    if (!value) continue
    add(key, value)
    if (value.includes('://')) {
      try {
        const pw = decodeURIComponent(new URL(value).password)
        if (pw) add(`${key} password`, pw)
      } catch {
        /* not a URL after all */
      }
    }
  }
  return { needles, tooShort }
}

/** Every rendered object except Secrets, as one Source each. */
export function manifestSources(manifest: string, label = 'helm get manifest'): Source[] {
  const out: Source[] = []
  for (const doc of parseAllDocuments(manifest)) {
    const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null
    if (!obj || obj.kind === 'Secret') continue
    out.push({ where: `${obj.kind}/${obj.metadata?.name ?? '?'} (${label})`, text: doc.toString() })
  }
  return out
}

export function findLeaks(
  needles: { key: string; value: string }[],
  sources: Source[],
): { key: string; where: string }[] {
  const leaks: { key: string; where: string }[] = []
  for (const s of sources)
    for (const n of needles) if (s.text.includes(n.value)) leaks.push({ key: n.key, where: s.where })
  return leaks
}

export function checkLeaks(
  secrets: Record<string, string | undefined>,
  sources: Source[],
  unchecked: string[] = [],
): Check {
  const base = { id: 'no-secret-leaks', name: 'no secrets in images or manifests' }
  const { needles, tooShort } = secretNeedles(secrets)
  if (needles.length === 0) return { ...base, status: 'skip', detail: 'no secret values in .env to look for' }
  const leaks = findLeaks(needles, sources)
  // a search that could not look everywhere is not a pass: say what was not read, and fail
  if (leaks.length === 0 && (unchecked.length || sources.length === 0))
    return {
      ...base,
      status: 'fail',
      detail:
        `not checked: could not read ${unchecked.length ? unchecked.join(', ') : 'any image or manifest'}` +
        (sources.length ? ` (${sources.length} other source(s) clean)` : ''),
      fix: 'make the release and its images readable (helm get manifest, docker image inspect), then: npx zx scripts/validate.ts',
    }
  const note = [
    tooShort.length ? `not searched (shorter than 8 characters): ${tooShort.join(', ')}` : '',
    unchecked.length ? `could not read: ${unchecked.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ')
  if (leaks.length === 0) {
    return {
      ...base,
      status: 'pass',
      detail: `${needles.length} value(s) searched in ${sources.length} source(s)${note ? `; ${note}` : ''}`,
    }
  }
  return {
    ...base,
    status: 'fail',
    detail: leaks.map((l) => `${l.key} found in ${l.where}`).join('; ') + (note ? `; ${note}` : ''),
    fix: 'secrets belong only in .env and the Kubernetes Secret: remove them from Dockerfile ARG/ENV and values files, rebuild (npx zx scripts/build.ts) and redeploy; rotate the leaked value',
  }
}
