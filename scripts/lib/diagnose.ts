// Why a deploy did not become ready, per pod, in the words a developer needs: what state the pod is in, the reason
// Kubernetes gives, and the command that fixes it. The parsing is pure (kubectl JSON in, findings out) so every
// failure kind is tested from captured-shape fixtures; `diagnose()` only collects the JSON and the log lines.

import type { Ctx } from './stage.ts'
import { pythonDistribution } from './build-diagnosis.ts'

// ---------- the slices of the Kubernetes API this reads ----------

type Meta = {
  name?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: { kind?: string; name?: string }[]
  creationTimestamp?: string
  deletionTimestamp?: string
}
type ContainerState = {
  waiting?: { reason?: string; message?: string }
  running?: { startedAt?: string }
  terminated?: { exitCode?: number; reason?: string; message?: string; signal?: number; finishedAt?: string }
}
export type ContainerStatus = {
  name: string
  image?: string
  ready?: boolean
  started?: boolean
  restartCount?: number
  state?: ContainerState
  lastState?: ContainerState
}
type Condition = { type?: string; status?: string; reason?: string; message?: string }
export type Pod = {
  metadata?: Meta
  spec?: {
    containers?: { name: string; image?: string }[]
    initContainers?: { name: string; image?: string }[]
    restartPolicy?: string
    nodeName?: string
  }
  status?: {
    phase?: string
    reason?: string
    message?: string
    conditions?: Condition[]
    containerStatuses?: ContainerStatus[]
    initContainerStatuses?: ContainerStatus[]
  }
}
export type KubeEvent = {
  metadata?: Meta
  involvedObject?: { kind?: string; name?: string; fieldPath?: string }
  regarding?: { kind?: string; name?: string; fieldPath?: string } // events.k8s.io/v1 spelling
  reason?: string
  message?: string
  note?: string // events.k8s.io/v1 spelling
  type?: string
  count?: number
  series?: { count?: number; lastObservedTime?: string }
  firstTimestamp?: string | null
  lastTimestamp?: string | null
  eventTime?: string | null
}
export type Job = {
  metadata?: Meta
  status?: { conditions?: Condition[]; failed?: number; succeeded?: number; active?: number }
}
type List<T> = { items?: T[] }

// ---------- findings ----------

export type FindingKind =
  | 'CrashLoopBackOff'
  | 'OOMKilled'
  | 'ImagePull'
  | 'ConfigError'
  | 'CreateContainerError'
  | 'Unschedulable'
  | 'InitFailed'
  | 'InitRunning'
  | 'ContainerFailed'
  | 'JobFailed'
  | 'ProbeFailing'
  | 'NotReady'
  | 'Restarted'
  | 'Evicted'
  | 'Pending'

export type Finding = {
  kind: FindingKind
  /** `pod/<name>` or `job/<name>` */
  object: string
  component?: string
  phase?: string
  container?: string
  /** the reason Kubernetes reports (CrashLoopBackOff, ErrImageNeverPull, Unschedulable, BackoffLimitExceeded, ...) */
  reason: string
  /** one line: what went wrong */
  message: string
  image?: string
  /** for CreateContainerConfigError: what is missing */
  missing?: { kind: 'Secret' | 'ConfigMap'; name: string; key?: string }
  /** one line: the command (or change) that fixes it */
  fix?: string
  /** the container's restart count, where it says how settled a crash is */
  restarts?: number
  /** log lines worth showing; `diagnose()` fetches them */
  logs?: { pod: string; container: string; previous: boolean; lines?: string[] }
}

export type EventLine = {
  object: string
  reason: string
  message: string
  count: number
  /** ISO time of the last occurrence, when Kubernetes recorded one */
  last?: string
}

export type Diagnosis = {
  findings: Finding[]
  /** pods that are Ready (or completed hook pods), by name */
  healthy: string[]
  /** most recent Warning events first */
  events: EventLine[]
}

/** The stage commands the hints point at; kept here so the wording is the same in every message. */
export const FIX = {
  build: 'npx zx scripts/build.ts',
  load: 'npx zx scripts/load.ts',
  deploy: 'npx zx scripts/deploy.ts',
  setup: 'npx zx scripts/setup.ts',
} as const

const IMAGE_PULL_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'ImageInspectError',
  'RegistryUnavailable',
])

export type DiagnoseOptions = {
  /** how many Warning events to keep (default 10) */
  maxEvents?: number
  /** drop events whose last occurrence is older than this (ISO or Date) */
  since?: string | Date
  /** `kubectl logs --tail` for crash findings (default 20) */
  tailLines?: number
}

function parseList<T>(input: unknown): T[] {
  if (input == null || input === '') return []
  const value = typeof input === 'string' ? (JSON.parse(input) as unknown) : input
  if (Array.isArray(value)) return value as T[]
  const items = (value as List<T>).items
  if (Array.isArray(items)) return items
  // a single object (kubectl get pod <name> -o json)
  return [value as T]
}

const one = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim()

/** `couldn't find key X in Secret ns/name`, `secret "name" not found`, and the ConfigMap equivalents. */
export function parseMissingRef(message: string): Finding['missing'] | undefined {
  const key = /couldn't find key (\S+) in (Secret|ConfigMap) (?:[^/\s]+\/)?(\S+)/i.exec(message)
  if (key) return { kind: key[2]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: key[3]!, key: key[1]! }
  const obj = /(secret|configmap)s? "([^"]+)" not found/i.exec(message)
  if (obj) return { kind: obj[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: obj[2]! }
  return undefined
}

function imageOf(pod: Pod, container: string, status?: ContainerStatus): string | undefined {
  const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === container)
  return spec?.image ?? status?.image
}

function eventsFor(events: KubeEvent[], pod: string, reason: string): KubeEvent[] {
  return events.filter((e) => (e.involvedObject ?? e.regarding)?.name === pod && e.reason === reason)
}

const lastTime = (e: KubeEvent): string | undefined =>
  e.lastTimestamp ??
  e.series?.lastObservedTime ??
  e.eventTime ??
  e.firstTimestamp ??
  e.metadata?.creationTimestamp ??
  undefined

function imageFinding(
  base: Omit<Finding, 'kind' | 'reason' | 'message'>,
  reason: string,
  message: string,
  image?: string,
): Finding {
  const never = reason === 'ErrImageNeverPull' || /pull policy of Never/i.test(message)
  const what = never
    ? `image ${image ?? '?'} is not in the cluster and the pull policy is Never`
    : reason === 'InvalidImageName'
      ? `image name ${image ?? '?'} is invalid`
      : `image ${image ?? '?'} cannot be pulled (${one(message) || reason})`
  return {
    ...base,
    kind: 'ImagePull',
    reason,
    image,
    message: what,
    fix:
      reason === 'InvalidImageName'
        ? `check the image repository/tag settings in .env, then ${FIX.deploy}`
        : `load the image into the cluster: ${FIX.load} (build it first if needed: ${FIX.build})`,
  }
}

function configFinding(base: Omit<Finding, 'kind' | 'reason' | 'message'>, message: string): Finding {
  const missing = parseMissingRef(message)
  if (missing?.kind === 'Secret' && missing.key) {
    return {
      ...base,
      kind: 'ConfigError',
      reason: 'CreateContainerConfigError',
      missing,
      message: `key ${missing.key} is missing from Secret ${missing.name}`,
      fix: `add ${missing.key}=... to .env, then ${FIX.deploy} (it recreates the Secret)`,
    }
  }
  if (missing?.kind === 'Secret') {
    return {
      ...base,
      kind: 'ConfigError',
      reason: 'CreateContainerConfigError',
      missing,
      message: `Secret ${missing.name} does not exist`,
      fix: `${FIX.deploy} creates it from .env (cp .env.example .env first if you have no .env)`,
    }
  }
  if (missing) {
    return {
      ...base,
      kind: 'ConfigError',
      reason: 'CreateContainerConfigError',
      missing,
      message: missing.key
        ? `key ${missing.key} is missing from ConfigMap ${missing.name}`
        : `ConfigMap ${missing.name} does not exist`,
      fix: `${FIX.deploy} (the chart renders its ConfigMaps; a missing one means a values override points elsewhere)`,
    }
  }
  if (/runAsNonRoot/i.test(message)) {
    return {
      ...base,
      kind: 'ConfigError',
      reason: 'CreateContainerConfigError',
      message: one(message),
      fix: 'the image runs as root: give its Dockerfile a numeric non-root USER, rebuild with ' + FIX.build,
    }
  }
  return {
    ...base,
    kind: 'ConfigError',
    reason: 'CreateContainerConfigError',
    message: one(message) || 'container config error',
    fix: FIX.deploy,
  }
}

function containerFindings(
  pod: Pod,
  podName: string,
  base: Omit<Finding, 'kind' | 'reason' | 'message'>,
  s: ContainerStatus,
  init: boolean,
  events: KubeEvent[],
): Finding[] {
  const at = { ...base, container: s.name }
  const waiting = s.state?.waiting
  const term = s.state?.terminated
  const last = s.lastState?.terminated
  const image = imageOf(pod, s.name, s)
  const label = init ? `init container ${s.name}` : `container ${s.name}`
  const restarts = s.restartCount ?? 0

  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason))
    return [imageFinding(at, waiting.reason, waiting.message ?? '', image)]
  if (waiting?.reason === 'CreateContainerConfigError') return [configFinding(at, waiting.message ?? '')]
  if (waiting?.reason === 'CreateContainerError' || waiting?.reason === 'RunContainerError') {
    return [
      {
        ...at,
        kind: 'CreateContainerError',
        reason: waiting.reason,
        image,
        message: `${label} could not start: ${one(waiting.message)}`,
        fix: 'check the image command/entrypoint and the container securityContext, rebuild with ' + FIX.build,
      },
    ]
  }
  if (waiting?.reason === 'CrashLoopBackOff' && init) {
    const exit = last
      ? `exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`
      : 'it keeps exiting'
    return [
      {
        ...at,
        kind: 'InitFailed',
        reason: 'Init:CrashLoopBackOff',
        image,
        message: `${label} keeps failing (${exit}, ${restarts} restart(s)); the app containers wait for it`,
        fix: `read the log lines below; an init container that waits for the database fails while the database is down (check the database pod and POSTGRES_PASSWORD / DATABASE_URL in .env), then ${FIX.deploy}`,
        logs: { pod: podName, container: s.name, previous: true },
      },
    ]
  }
  if (waiting?.reason === 'CrashLoopBackOff') {
    const oom = last?.reason === 'OOMKilled'
    const exit = last
      ? `exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`
      : 'it keeps exiting'
    return [
      {
        ...at,
        kind: oom ? 'OOMKilled' : 'CrashLoopBackOff',
        reason: oom ? 'OOMKilled' : 'CrashLoopBackOff',
        image,
        restarts,
        message: oom
          ? `${label} was killed for using more memory than its limit; ${restarts} restart(s)`
          : `${label} keeps crashing: ${exit}, ${restarts} restart(s)`,
        fix: oom
          ? 'raise the memory limit (resources.limits.memory for this component in a --values file, config HELM_VALUES_FILES), then ' +
            FIX.deploy
          : `read the log lines below; after fixing the code or .env: ${FIX.build}, ${FIX.load}, ${FIX.deploy}`,
        logs: { pod: podName, container: s.name, previous: true },
      },
    ]
  }
  if (term && (term.exitCode ?? 0) !== 0) {
    const oom = term.reason === 'OOMKilled'
    return [
      {
        ...at,
        kind: init ? 'InitFailed' : oom ? 'OOMKilled' : 'ContainerFailed',
        reason: term.reason ?? 'Error',
        image,
        message: `${label} exited with code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}`,
        fix: oom
          ? 'raise the memory limit, then ' + FIX.deploy
          : `read the log lines below, fix the cause, then ${FIX.deploy}`,
        logs: { pod: podName, container: s.name, previous: false },
      },
    ]
  }
  if (init && s.state?.running) {
    return [
      {
        ...at,
        kind: 'InitRunning',
        reason: 'PodInitializing',
        image,
        message: `${label} is still running (pod waits for it before starting the app)`,
        logs: { pod: podName, container: s.name, previous: false },
      },
    ]
  }
  if (init) return []
  if (waiting?.reason && waiting.reason !== 'PodInitializing') {
    const mount = eventsFor(events, podName, 'FailedMount')[0]
    return [
      {
        ...at,
        kind: 'NotReady',
        reason: waiting.reason,
        image,
        message: `${label} is waiting: ${one(waiting.message) || waiting.reason}${mount ? `; ${one(mount.message)}` : ''}`,
      },
    ]
  }

  if (s.state?.running && s.ready === false) {
    const unhealthy = eventsFor(events, podName, 'Unhealthy')
      .filter((e) => !e.involvedObject?.fieldPath || e.involvedObject.fieldPath.includes(`{${s.name}}`))
      .sort((a, b) => (lastTime(b) ?? '').localeCompare(lastTime(a) ?? ''))
    const probe = unhealthy[0]
    if (probe) {
      return [
        {
          ...at,
          kind: 'ProbeFailing',
          reason: 'Unhealthy',
          image,
          message: `${label} is running but its probe fails: ${one(probe.message ?? probe.note)}${(probe.count ?? 1) > 1 ? ` (x${probe.count})` : ''}`,
          fix: /readiness/i.test(probe.message ?? '')
            ? 'the readiness check answers non-200: for the backend that means the database is not reachable (check DATABASE_URL / POSTGRES_PASSWORD in .env, then ' +
              FIX.deploy +
              ')'
            : 'the app does not answer on its port: check the log lines below and the PORT setting',
          logs: { pod: podName, container: s.name, previous: restarts > 0 },
        },
      ]
    }
    return [
      {
        ...at,
        kind: 'NotReady',
        reason: 'ContainersNotReady',
        image,
        message: `${label} is running but not ready yet`,
        logs: { pod: podName, container: s.name, previous: false },
      },
    ]
  }
  if (restarts > 0 && last) {
    const oom = last.reason === 'OOMKilled'
    return [
      {
        ...at,
        kind: oom ? 'OOMKilled' : 'Restarted',
        reason: last.reason ?? 'Restarted',
        image,
        message: `${label} restarted ${restarts} time(s); last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`,
        fix: oom ? 'raise the memory limit, then ' + FIX.deploy : undefined,
        logs: { pod: podName, container: s.name, previous: true },
      },
    ]
  }
  return []
}

function podFindings(pod: Pod, events: KubeEvent[]): Finding[] {
  const name = pod.metadata?.name ?? '?'
  const phase = pod.status?.phase ?? 'Unknown'
  const base = { object: `pod/${name}`, phase, component: pod.metadata?.labels?.['app.kubernetes.io/component'] }
  if (phase === 'Succeeded') return []

  if (phase === 'Failed' && pod.status?.reason === 'Evicted') {
    return [
      {
        ...base,
        kind: 'Evicted',
        reason: 'Evicted',
        message: `evicted: ${one(pod.status.message)}`,
        fix:
          'the node ran short of memory or disk: give minikube more (MINIKUBE_MEMORY in .env, then ' + FIX.setup + ')',
      },
    ]
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled')
  if (phase === 'Pending' && scheduled?.status === 'False') {
    const msg = one(scheduled.message) || one(eventsFor(events, name, 'FailedScheduling')[0]?.message)
    const fix = /insufficient (memory|cpu)/i.test(msg)
      ? 'the node is too small: raise MINIKUBE_CPUS / MINIKUBE_MEMORY in .env and recreate minikube, or lower replicas/requests'
      : /persistentvolumeclaim/i.test(msg)
        ? 'no volume could be bound: enable a storage class (minikube addons enable storage-provisioner default-storageclass)'
        : /taint/i.test(msg)
          ? 'every node is tainted against this pod: check `kubectl describe nodes`'
          : undefined
    return [
      {
        ...base,
        kind: 'Unschedulable',
        reason: scheduled.reason ?? 'Unschedulable',
        message: `cannot be scheduled: ${msg || 'no reason given'}`,
        fix,
      },
    ]
  }

  const out: Finding[] = []
  for (const s of pod.status?.initContainerStatuses ?? [])
    out.push(...containerFindings(pod, name, base, s, true, events))
  for (const s of pod.status?.containerStatuses ?? []) out.push(...containerFindings(pod, name, base, s, false, events))
  // a container waiting for its init containers says PodInitializing; that is a consequence, not a cause
  if (out.length === 0 && phase === 'Failed') {
    out.push({
      ...base,
      kind: 'ContainerFailed',
      reason: pod.status?.reason ?? 'Failed',
      message: `pod failed: ${one(pod.status?.message) || 'no reason given'}`,
    })
  }
  if (out.length === 0 && phase === 'Pending' && !(pod.status?.containerStatuses ?? []).length) {
    out.push({ ...base, kind: 'Pending', reason: 'Pending', message: 'pending: no container has been created yet' })
  }
  return out
}

function podIsHealthy(pod: Pod): boolean {
  if (pod.status?.phase === 'Succeeded') return true
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')
  return pod.status?.phase === 'Running' && ready?.status === 'True'
}

/** Hook Jobs (the migration Job) that failed; their pods may already be gone. */
export function diagnoseJobs(jobsJson: unknown): Finding[] {
  const out: Finding[] = []
  for (const job of parseList<Job>(jobsJson)) {
    const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True')
    if (!failed) continue
    const name = job.metadata?.name ?? '?'
    const hook = job.metadata?.annotations?.['helm.sh/hook']
    out.push({
      kind: 'JobFailed',
      object: `job/${name}`,
      component: job.metadata?.labels?.['app.kubernetes.io/component'],
      reason: failed.reason ?? 'Failed',
      message: `${hook ? `hook Job (${hook})` : 'Job'} failed: ${one(failed.message) || failed.reason || 'no reason given'}${job.status?.failed ? `, ${job.status.failed} failed pod(s)` : ''}`,
      fix: `read the migration log lines (kubectl logs job/${name}${job.metadata?.namespace ? ` -n ${job.metadata.namespace}` : ''}), fix the cause, then ${FIX.deploy}`,
    })
  }
  return out
}

/** Recent Warning events, newest first, repeated ones folded by count. */
export function warningEvents(eventsJson: unknown, opts: DiagnoseOptions = {}): EventLine[] {
  const since = opts.since ? new Date(opts.since).toISOString() : undefined
  const lines = parseList<KubeEvent>(eventsJson)
    .filter((e) => e.type === 'Warning')
    .map((e) => {
      const obj = e.involvedObject ?? e.regarding
      return {
        object: `${obj?.kind ?? '?'}/${obj?.name ?? '?'}`,
        reason: e.reason ?? '',
        message: one(e.message ?? e.note),
        count: e.count ?? e.series?.count ?? 1,
        last: lastTime(e),
      } satisfies EventLine
    })
    .filter((e) => !since || !e.last || e.last >= since)
    .sort((a, b) => (b.last ?? '').localeCompare(a.last ?? ''))
  return lines.slice(0, opts.maxEvents ?? 10)
}

/**
 * The pure core: pods (and optionally Jobs) plus events in, findings out. Accepts the JSON text kubectl prints or
 * the parsed object.
 */
export function diagnosePods(
  podsJson: unknown,
  eventsJson: unknown,
  opts: DiagnoseOptions & { jobsJson?: unknown } = {},
): Diagnosis {
  const pods = parseList<Pod>(podsJson).filter((p) => !p.metadata?.deletionTimestamp)
  const events = parseList<KubeEvent>(eventsJson)
  const findings: Finding[] = []
  const healthy: string[] = []
  for (const pod of pods) {
    const f = podFindings(pod, events)
    findings.push(...f)
    if (f.length === 0 && podIsHealthy(pod)) healthy.push(pod.metadata?.name ?? '?')
    else if (f.length === 0) {
      findings.push({
        kind: 'NotReady',
        object: `pod/${pod.metadata?.name ?? '?'}`,
        phase: pod.status?.phase,
        reason: 'NotReady',
        component: pod.metadata?.labels?.['app.kubernetes.io/component'],
        message: `not ready (phase ${pod.status?.phase ?? 'Unknown'})`,
      })
    }
  }
  findings.push(...diagnoseJobs(opts.jobsJson))
  return { findings, healthy, events: warningEvents(events, opts) }
}

// ---------- printing ----------

const ago = (iso: string | undefined, now: Date): string => {
  if (!iso) return ''
  const s = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000))
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

/** Plain lines (no colour codes); `redact` runs over every line, since log lines can carry anything. */
export function formatDiagnosis(
  d: Diagnosis,
  opts: { redact?: (s: string) => string; now?: Date; header?: string } = {},
): string[] {
  const redact = opts.redact ?? ((s: string) => s)
  const now = opts.now ?? new Date()
  const lines: string[] = []
  if (opts.header) lines.push(opts.header)
  if (d.findings.length === 0 && d.healthy.length === 0) lines.push('  no pods found for this release')
  for (const f of d.findings) {
    lines.push(`  ✗ ${f.object}${f.phase ? ` (${f.phase})` : ''}: ${f.reason} — ${f.message}`)
    if (f.image && f.kind === 'ImagePull') lines.push(`      image: ${f.image}`)
    if (f.logs?.lines?.length) {
      lines.push(`      last log lines (${f.logs.container}${f.logs.previous ? ', previous run' : ''}):`)
      for (const l of f.logs.lines) lines.push(`        | ${l}`)
    }
    if (f.fix) lines.push(`      fix: ${f.fix}`)
  }
  for (const p of d.healthy) lines.push(`  ✓ pod/${p}: ready`)
  if (d.events.length) {
    lines.push('  recent warning events:')
    for (const e of d.events) {
      const when = ago(e.last, now)
      lines.push(
        `    ${when ? `${when.padEnd(8)} ` : ''}${e.object} ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`,
      )
    }
  }
  return lines.map(redact)
}

/**
 * A finding that waiting longer will not fix: the image is not there, a Secret or key is missing, the image runs as
 * root, the container cannot be created, or it crashed twice (once can be a dependency still starting). Not the
 * kubelet's own hiccups: "failed to sync secret cache: timed out waiting for the condition" is a config error too, and
 * a busy node recovers from it. `deploy --fail-fast` stops on one it has seen twice in a row (a kubelet can lag
 * a just-updated Secret by a moment).
 */
export function settledFailure(f: Finding): boolean {
  if (f.kind === 'CrashLoopBackOff') return (f.restarts ?? 0) >= 2
  if (f.kind === 'ConfigError') return Boolean(f.missing) || /runAsNonRoot/i.test(f.message)
  return f.kind === 'OOMKilled' || f.kind === 'ImagePull' || f.kind === 'CreateContainerError'
}

// ---------- collecting (kubectl, through the kit's runner) ----------

/** Pods, hook Jobs and events of the release, plus the log lines each finding asks for. */
export async function collectDiagnosis(
  ctx: Ctx,
  opts: DiagnoseOptions = {},
): Promise<{ diagnosis: Diagnosis; errors: string[] }> {
  const { cfg, query } = ctx
  const sel = `app.kubernetes.io/instance=${cfg.release}`
  const [pods, events, jobs] = await Promise.all([
    query({ timeoutMs: 30_000 })`kubectl get pods -o json -n ${cfg.namespace} -l ${sel}`,
    query({ timeoutMs: 30_000 })`kubectl get events -o json -n ${cfg.namespace}`,
    query({ timeoutMs: 30_000 })`kubectl get jobs -o json -n ${cfg.namespace} -l ${sel}`,
  ])
  const errors: string[] = []
  const parsed = (r: { ok: boolean; stdout: string; stderr: string }, what: string): string => {
    if (r.ok) return r.stdout
    errors.push(`could not list ${what}: ${one(r.stderr).slice(0, 300) || 'kubectl failed'}`)
    return ''
  }
  let diagnosis: Diagnosis
  try {
    diagnosis = diagnosePods(parsed(pods, 'pods'), parsed(events, 'events'), {
      ...opts,
      jobsJson: parsed(jobs, 'jobs'),
    })
  } catch (e) {
    errors.push(`could not read kubectl's JSON: ${(e as Error).message}`)
    diagnosis = { findings: [], healthy: [], events: [] }
  }
  const tail = opts.tailLines ?? 20
  await Promise.all(
    diagnosis.findings
      .filter((f) => f.logs)
      .map(async (f) => {
        const l = f.logs!
        const r = await query({
          timeoutMs: 20_000,
        })`kubectl logs ${l.pod} -c ${l.container} -n ${cfg.namespace} --tail=${tail * 10} ${l.previous ? ['--previous'] : []}`
        l.lines = logLinesWorthShowing(r.ok ? r.stdout : '', tail)
        f.fix = fixFromLog(l.lines, Boolean(cfg.externalDatabase)) ?? f.fix
      }),
  )
  return { diagnosis, errors }
}

/**
 * A fix the log lines name better than the pod's state does. A refused database password: the in-cluster database
 * keeps the password its volume was first made with, so a POSTGRES_PASSWORD changed since (a new .env, init run
 * afresh) is refused until the old one is back or the volume is emptied.
 */
export function fixFromLog(lines: readonly string[], externalDatabase: boolean): string | undefined {
  if (!lines.some((l) => /password authentication failed for user/.test(l))) return importFix(lines)
  if (externalDatabase)
    return "the database refused DATABASE_URL's user and password: correct them in .env, then npx zx scripts/deploy.ts"
  return 'the database volume keeps the POSTGRES_PASSWORD it was first made with: put that one back in .env, or empty the database (deletes its data): npx zx scripts/cleanup.ts --purge-data, then npx zx scripts/deploy.ts'
}

/**
 * A Python traceback that ends in an import error: the app's code does not import as the kit runs it (hamza123545's
 * routers/health.py imports an `engine` its db.py does not define). The last frame under /app says where.
 */
function importFix(lines: readonly string[]): string | undefined {
  const error = lines.map((l) => /^\s*((?:ModuleNotFoundError|ImportError): .*)$/.exec(l)?.[1]).findLast(Boolean)
  if (!error) return undefined
  const frame = lines.map((l) => /^\s*File "\/app\/([^"]+)", line (\d+)/.exec(l)).findLast(Boolean)
  const at = frame ? ` (${frame[1]}:${frame[2]})` : ''
  const missing = /No module named '([^'.]+)/.exec(error)?.[1]
  const change = missing
    ? `add ${pythonDistribution(missing)} to the backend's requirements (requirements.txt or pyproject.toml)`
    : "fix the import in the app's code"
  return `the app's code does not import: ${error}${at}; ${change}, then ${FIX.build}, ${FIX.load}, ${FIX.deploy}`
}

/**
 * The last `max` lines of a crashed container's log that say something. Node prints an error object with every field
 * (`detail: undefined,` for a dozen of pg's) after the message and the stack, so the plain last lines of a failed
 * migration were its empty fields and never `error: relation "tasks" does not exist`. Fields without a value go, and a
 * stack keeps its first frame (where it was thrown), so the message stays in view.
 */
export function logLinesWorthShowing(text: string, max: number): string[] {
  const out: string[] = []
  let inStack = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '').slice(0, 400)
    if (!line || /^\s+[\w$]+: (undefined|null),?$/.test(line)) continue
    const frame = /^\s+at\s/.test(line)
    if (frame && inStack) {
      // the frames left out, and the brace that opens the error's fields when the last of them carried it
      if (!out.at(-1)!.startsWith('    …')) out.push('    …')
      if (line.endsWith(' {')) out[out.length - 1] = '    … {'
      continue
    }
    inStack = frame
    out.push(line)
  }
  return out.slice(-max)
}

/**
 * What deploy prints when `helm upgrade --wait` fails: per pod phase and reason with the fix, crash log lines, recent
 * Warning events. Every line is redacted (log lines can contain anything).
 */
export async function diagnose(ctx: Ctx, opts: DiagnoseOptions = {}): Promise<string[]> {
  const { diagnosis, errors } = await collectDiagnosis(ctx, opts)
  return diagnosisLines(ctx, diagnosis, errors)
}

/** diagnose()'s lines for a diagnosis already collected. */
export function diagnosisLines(ctx: Ctx, diagnosis: Diagnosis, errors: string[]): string[] {
  const { cfg, redact } = ctx
  const lines = formatDiagnosis(diagnosis, {
    redact,
    header: `Diagnosis of release ${cfg.release} in namespace ${cfg.namespace}:`,
  })
  return [...lines, ...errors.map((e) => redact(`  ! ${e}`))]
}
