// Policy checks on rendered objects: the kube-score / Polaris / kube-linter rules the chart promises,
// written as pure functions that return one message per violation (empty list = compliant).
import type { K8sObject } from './helm.ts'

export type Workload = { object: K8sObject; component: string; pod: any; longRunning: boolean; replicas: number | null }

const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]
/** The official postgres image's own uid/gid: the chart's one documented exception to uid >= 10000. */
const POSTGRES_UID = 999

const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`

/** Every pod the chart can create: Deployments, StatefulSets, Jobs (hooks) and test Pods. */
export function workloads(objects: K8sObject[]): Workload[] {
  const out: Workload[] = []
  for (const o of objects) {
    const component = o.metadata.labels?.['app.kubernetes.io/component'] ?? ''
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      out.push({ object: o, component, pod: o.spec.template, longRunning: true, replicas: o.spec.replicas ?? null })
    } else if (o.kind === 'Job') {
      out.push({ object: o, component, pod: o.spec.template, longRunning: false, replicas: null })
    } else if (o.kind === 'Pod') {
      out.push({
        object: o,
        component,
        pod: { metadata: o.metadata, spec: o.spec },
        longRunning: false,
        replicas: null,
      })
    }
  }
  return out
}

const containersOf = (pod: any): any[] => [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]

/** Pod Security Standard "restricted", plus the chart's uid rule and no service-account token. */
export function podSecurity(w: Workload): string[] {
  const v: string[] = []
  const spec = w.pod.spec
  const psc = spec.securityContext ?? {}
  const where = id(w.object)
  if (spec.automountServiceAccountToken !== false) v.push(`${where}: automountServiceAccountToken must be false`)
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f]) v.push(`${where}: ${f} must not be set`)
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== 'name')
    if (!type || !RESTRICTED_VOLUMES.includes(type))
      v.push(`${where}: volume ${vol.name} of type ${type} is not allowed by the restricted profile`)
  }
  const podSeccomp = psc.seccompProfile?.type
  for (const c of containersOf(w.pod)) {
    const csc = c.securityContext ?? {}
    const at = `${where} container ${c.name}`
    if (csc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation must be false`)
    if (csc.privileged) v.push(`${at}: privileged`)
    if (!(csc.capabilities?.drop ?? []).includes('ALL')) v.push(`${at}: capabilities must drop ALL`)
    if ((csc.capabilities?.add ?? []).length) v.push(`${at}: adds capabilities ${csc.capabilities.add}`)
    if (csc.readOnlyRootFilesystem !== true) v.push(`${at}: readOnlyRootFilesystem must be true`)
    if ((csc.runAsNonRoot ?? psc.runAsNonRoot) !== true) v.push(`${at}: runAsNonRoot must be true`)
    const seccomp = csc.seccompProfile?.type ?? podSeccomp
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${at}: seccompProfile must be RuntimeDefault`)
    const uid = csc.runAsUser ?? psc.runAsUser
    const gid = csc.runAsGroup ?? psc.runAsGroup
    // PostgreSQL's own uid; its neon-proxy sidecar runs as the kit's images do
    const isPostgres = w.component === 'postgresql' && c.name !== 'neon-proxy'
    for (const [what, n] of [
      ['uid', uid],
      ['gid', gid],
    ] as const) {
      if (typeof n !== 'number') v.push(`${at}: numeric ${what} must be set`)
      else if (isPostgres ? n !== POSTGRES_UID : n < 10000)
        v.push(`${at}: ${what} ${n} must be ${isPostgres ? POSTGRES_UID : '>= 10000'}`)
    }
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at}: hostPort ${p.hostPort}`)
  }
  return v
}

/** Requests and limits for CPU, memory and ephemeral storage on every container; a size limit on every emptyDir. */
export function resources(w: Workload): string[] {
  const v: string[] = []
  for (const c of containersOf(w.pod)) {
    for (const kind of ['requests', 'limits'])
      for (const r of ['cpu', 'memory', 'ephemeral-storage'])
        if (c.resources?.[kind]?.[r] === undefined)
          v.push(`${id(w.object)} container ${c.name}: resources.${kind}.${r} missing`)
  }
  for (const vol of w.pod.spec.volumes ?? [])
    if (vol.emptyDir && !vol.emptyDir.sizeLimit) v.push(`${id(w.object)}: emptyDir ${vol.name} has no sizeLimit`)
  return v
}

/** PodDisruptionBudgets never keep a drain waiting on pods that are not ready anyway. */
export function disruptionBudgets(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'PodDisruptionBudget' && o.spec?.unhealthyPodEvictionPolicy !== 'AlwaysAllow')
    .map((o) => `${id(o)}: unhealthyPodEvictionPolicy must be AlwaysAllow (got ${o.spec?.unhealthyPodEvictionPolicy})`)
}

/** Pinned tags, never latest, an explicit pull policy (IfNotPresent is the documented exception). */
export function images(w: Workload, allowedImages: string[]): string[] {
  const v: string[] = []
  for (const c of containersOf(w.pod)) {
    const at = `${id(w.object)} container ${c.name}`
    const image: string = c.image ?? ''
    const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf(':') + 1)
    if (!image.includes(':') || image.lastIndexOf(':') < image.lastIndexOf('/'))
      v.push(`${at}: image ${image} has no tag`)
    else if (tag === 'latest' || tag === '') v.push(`${at}: image ${image} uses latest/empty tag`)
    if (!['IfNotPresent', 'Always'].includes(c.imagePullPolicy))
      v.push(`${at}: imagePullPolicy must be explicit (got ${c.imagePullPolicy})`)
    if (!allowedImages.includes(image))
      v.push(`${at}: image ${image} is not one of the release's images (${allowedImages.join(', ')})`)
  }
  return v
}

/** Startup, readiness and liveness on long-running containers; liveness is not readiness. */
export function probes(w: Workload): string[] {
  if (!w.longRunning) return []
  const v: string[] = []
  for (const c of w.pod.spec.containers) {
    const at = `${id(w.object)} container ${c.name}`
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) if (!c[p]) v.push(`${at}: ${p} missing`)
    if (c.readinessProbe && c.livenessProbe && JSON.stringify(c.readinessProbe) === JSON.stringify(c.livenessProbe))
      v.push(`${at}: liveness and readiness probes are identical`)
  }
  return v
}

/** Writable directories are emptyDir/PVC mounts, since the root filesystem is read-only. */
export function writablePaths(w: Workload, expected: Record<string, string[]>): string[] {
  const v: string[] = []
  const vols = new Map<string, any>((w.pod.spec.volumes ?? []).map((x: any) => [x.name, x]))
  const claims = new Set((w.object.spec?.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name))
  for (const c of w.pod.spec.containers) {
    // a sidecar has its own list (neon-proxy: none), the component's main container the component's
    const want = expected[c.name] ?? expected[w.component] ?? []
    for (const p of want) {
      const m = (c.volumeMounts ?? []).find((x: any) => x.mountPath === p)
      if (!m) v.push(`${id(w.object)} container ${c.name}: no writable mount at ${p}`)
      else if (!vols.get(m.name)?.emptyDir && !claims.has(m.name))
        v.push(`${id(w.object)}: ${p} is not an emptyDir or claim`)
    }
    for (const m of c.volumeMounts ?? []) {
      if (!vols.has(m.name) && !claims.has(m.name))
        v.push(`${id(w.object)} container ${c.name}: mount ${m.name} has no volume`)
    }
  }
  return v
}

/** Zero-downtime rollouts and config/secret changes that roll the pods. */
export function availability(w: Workload): string[] {
  if (w.object.kind !== 'Deployment') return []
  const v: string[] = []
  const s = w.object.spec.strategy
  if (s?.type !== 'RollingUpdate' || s.rollingUpdate?.maxUnavailable !== 0)
    v.push(`${id(w.object)}: strategy must be RollingUpdate with maxUnavailable 0`)
  const ann = w.pod.metadata?.annotations ?? {}
  for (const a of ['checksum/config', 'checksum/secret'])
    if (!/^[0-9a-f]{64}$/.test(ann[a] ?? '')) v.push(`${id(w.object)}: pod annotation ${a} missing`)
  for (const c of w.pod.spec.containers)
    if (!c.lifecycle?.preStop) v.push(`${id(w.object)} container ${c.name}: no preStop delay for endpoint removal`)
  return v
}

/**
 * $(VAR) references resolve to a variable defined earlier in the same container, and nothing that
 * looks like a secret is set as a literal value.
 */
export function environment(w: Workload, secretName: string): string[] {
  const v: string[] = []
  for (const c of containersOf(w.pod)) {
    const at = `${id(w.object)} container ${c.name}`
    const seen = new Set<string>()
    for (const e of c.env ?? []) {
      for (const ref of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g))
        if (!seen.has(ref[1]!)) v.push(`${at}: ${e.name} refers to $(${ref[1]}) before it is defined`)
      if (/PASSWORD|SECRET|API_KEY/.test(e.name) && e.value !== undefined)
        v.push(`${at}: ${e.name} is a literal value, not a secretKeyRef`)
      const ref = e.valueFrom?.secretKeyRef
      if (ref && ref.name !== secretName) v.push(`${at}: ${e.name} reads Secret ${ref.name}, expected ${secretName}`)
      seen.add(e.name)
    }
  }
  return v
}

/** The app.kubernetes.io labels on every object, selectors that match their own pod templates. */
export function labels(objects: K8sObject[]): string[] {
  const v: string[] = []
  const required = [
    'app.kubernetes.io/name',
    'app.kubernetes.io/instance',
    'app.kubernetes.io/managed-by',
    'app.kubernetes.io/component',
    'helm.sh/chart',
  ]
  for (const o of objects) {
    for (const l of required) if (!o.metadata.labels?.[l]) v.push(`${id(o)}: label ${l} missing`)
    const sel = o.spec?.selector?.matchLabels
    const tpl = o.spec?.template?.metadata?.labels
    if (sel && tpl)
      for (const [k, val] of Object.entries(sel))
        if (tpl[k] !== val) v.push(`${id(o)}: selector ${k}=${val} does not match its pod template`)
  }
  return v
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, val]) => labels[k] === val)

/** Every Service selects exactly one workload and targets a named port its pods expose. */
export function services(objects: K8sObject[]): string[] {
  const v: string[] = []
  const ws = workloads(objects).filter((w) => w.longRunning)
  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const hits = ws.filter((w) => matches(s.spec.selector, w.pod.metadata.labels))
    if (hits.length !== 1) {
      v.push(`${id(s)}: selects ${hits.length} workloads`)
      continue
    }
    const ports = hits[0]!.pod.spec.containers.flatMap((c: any) => c.ports ?? [])
    for (const p of s.spec.ports) {
      if (!ports.some((cp: any) => cp.name === p.targetPort || cp.containerPort === p.targetPort))
        v.push(`${id(s)}: targetPort ${p.targetPort} is not a container port`)
    }
  }
  return v
}

/** With NetworkPolicies on, every pod is selected by a policy restricting both directions. */
export function networkCoverage(objects: K8sObject[]): string[] {
  const v: string[] = []
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
  for (const w of workloads(objects)) {
    const mine = policies.filter((p) => matches(p.spec.podSelector.matchLabels ?? {}, w.pod.metadata.labels))
    const types = new Set(mine.flatMap((p) => p.spec.policyTypes ?? []))
    if (!types.has('Ingress') || !types.has('Egress'))
      v.push(`${id(w.object)}: not covered by Ingress and Egress NetworkPolicies`)
    const egress = mine.flatMap((p) => p.spec.egress ?? [])
    if (w.component !== 'postgresql' && !egress.some((r: any) => (r.ports ?? []).some((p: any) => p.port === 53)))
      v.push(`${id(w.object)}: egress does not allow DNS`)
  }
  return v
}

/** Components whose pods a policy admits on its ingress rules ("any" when a rule has no `from`). */
export function ingressPeers(policy: K8sObject): string[] {
  const out: string[] = []
  for (const rule of policy.spec.ingress ?? []) {
    if (!rule.from) out.push('any')
    for (const f of rule.from ?? []) out.push(f.podSelector?.matchLabels?.['app.kubernetes.io/component'] ?? 'other')
  }
  return out.sort()
}

/** Components a policy lets its pods reach ("ipBlock:<cidr>" for addresses). */
export function egressPeers(policy: K8sObject): string[] {
  const out: string[] = []
  for (const rule of policy.spec.egress ?? []) {
    if (!rule.to) out.push('any')
    for (const t of rule.to ?? [])
      out.push(t.podSelector?.matchLabels?.['app.kubernetes.io/component'] ?? `ipBlock:${t.ipBlock?.cidr}`)
  }
  return out.sort()
}

/** Parses a Kubernetes quantity into a number (cores or bytes). */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q
  const m = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q)
  if (!m) throw new Error(`bad quantity ${q}`)
  const mult: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    Ki: 1024,
    M: 1e6,
    Mi: 1024 ** 2,
    G: 1e9,
    Gi: 1024 ** 3,
    T: 1e12,
    Ti: 1024 ** 4,
  }
  return Number(m[1]) * mult[m[2] ?? '']!
}

/** Total requests and limits of the long-running pods at their replica counts. */
export function footprint(objects: K8sObject[]) {
  const total = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } }
  for (const w of workloads(objects).filter((x) => x.longRunning)) {
    const n = w.replicas ?? 1
    for (const c of w.pod.spec.containers)
      for (const kind of ['requests', 'limits'] as const)
        for (const r of ['cpu', 'memory'] as const) total[kind][r] += n * quantity(c.resources[kind][r])
  }
  return total
}
