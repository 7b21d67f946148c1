// Runs real helm binaries against the chart and parses what they render.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import { helmBinaries } from '../support/k8s-tools.ts'

export const root = path.resolve(import.meta.dirname, '../..')
export const chartDir = path.join(root, 'helm', 'todo-chatbot')
export const chartFile = (name: string) => path.join(chartDir, name)

/**
 * The Kubernetes versions the chart is validated against: first the oldest it supports (Chart.yaml kubeVersion),
 * then 1.35 (what the e2e clusters run), 1.36 and 1.37, the newest release.
 */
export const KUBE_VERSIONS: [string, ...string[]] = ['1.30.14', '1.35.1', '1.36.3', '1.37.2']

export type Helm = { label: string; bin: string }

/** helm 3.17 and helm 4.1 from the npm layers, plus the user's own helm when one is on PATH. */
export function helms(): Helm[] {
  const list = helmBinaries()
  const which = spawnSync('sh', ['-c', 'command -v helm'], { encoding: 'utf8' })
  const own = which.status === 0 ? which.stdout.trim() : ''
  if (own) {
    const label = execFileSync(own, ['version', '--short'], { encoding: 'utf8' }).trim()
    if (!list.some((h) => h.label === label)) list.push({ label: `${label} (PATH)`, bin: own })
  }
  return list
}

export type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: any
  data?: Record<string, string>
  [key: string]: any
}

export type Rendered = { status: number; stdout: string; stderr: string; objects: K8sObject[]; file: string }

const scratch = mkdtempSync(path.join(tmpdir(), 'chart-test-'))
let counter = 0

/** `helm template` with the given values files (relative to the chart) and --set/--set-json args. */
export function template(
  helm: Helm,
  opts: { values?: string[]; set?: string[]; setJson?: string[]; args?: string[] } = {},
): Rendered {
  const args = ['template', 'todo', chartDir, '--namespace', 'todo', '--kube-version', KUBE_VERSIONS[0]]
  for (const v of opts.values ?? []) args.push('--values', chartFile(v))
  for (const s of opts.set ?? []) args.push('--set', s)
  for (const s of opts.setJson ?? []) args.push('--set-json', s)
  args.push(...(opts.args ?? []))
  const res = spawnSync(helm.bin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const file = path.join(scratch, `render-${++counter}.yaml`)
  writeFileSync(file, res.stdout ?? '')
  const objects =
    res.status === 0
      ? parseAllDocuments(res.stdout)
          .map((d) => d.toJS() as K8sObject | null)
          .filter((o): o is K8sObject => o !== null && typeof o === 'object')
      : []
  return { status: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '', objects, file }
}

export function lint(helm: Helm, values: string[]): { status: number; output: string } {
  const args = ['lint', '--strict', chartDir]
  for (const v of values) args.push('--values', chartFile(v))
  const res = spawnSync(helm.bin, args, { encoding: 'utf8' })
  return { status: res.status ?? -1, output: `${res.stdout}${res.stderr}` }
}

/** Image tags every real install passes. */
export const TAGS: [string, string] = ['frontend.image.tag=h-0123456789ab', 'backend.image.tag=h-ba9876543210']

/** The extension knobs (--set-json), set together in one matrix entry and checked one by one in extensions.test.ts. */
export const EXTENSIONS: string[] = [
  'ingress.backendPaths=["/api","/api/v1/stream"]',
  'ingress.frontendPaths=["/api/auth"]',
  'backend.writableFiles=["/app/app.log"]',
  'frontend.writableFiles=["/app/logs/server.log"]',
  'backend.secretEnv=[{"name":"GEMINI_API_KEY"},{"name":"JWT_SECRET","key":"APP_JWT_SECRET"}]',
  'frontend.secretEnv=[{"name":"GITHUB_CLIENT_SECRET"}]',
  'imagePullSecrets=[{"name":"regcred"}]',
  'backend.extraEnvFrom=[{"configMapRef":{"name":"todo-extra"}},{"secretRef":{"name":"todo-extra-secrets","optional":true},"prefix":"EXTRA_"}]',
  'frontend.extraEnvFrom=[{"configMapRef":{"name":"todo-extra"}}]',
  'backend.extraVolumes=[{"name":"extra","configMap":{"name":"todo-extra"}}]',
  'backend.extraVolumeMounts=[{"name":"extra","mountPath":"/etc/extra","readOnly":true}]',
  'frontend.extraVolumes=[{"name":"scratch","emptyDir":{"sizeLimit":"64Mi"}}]',
  'frontend.extraVolumeMounts=[{"name":"scratch","mountPath":"/app/scratch"}]',
  'frontend.hostAliases=[{"ip":"10.105.31.108","hostnames":["todo.local"]}]',
  'backend.companions=[{"name":"mcp","command":["python","tools/mcp_standalone.py"],"port":8001}]',
  'backend.topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway"}]',
  'frontend.topologySpreadConstraints=[{"maxSkew":2,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app.kubernetes.io/component":"frontend"}}}]',
  `extraObjects=${JSON.stringify([
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: '{{ .Release.Name }}-extra',
        labels: {
          'helm.sh/chart': '{{ include "todo-chatbot.chart" . }}',
          'app.kubernetes.io/name': '{{ include "todo-chatbot.name" . }}',
          'app.kubernetes.io/instance': '{{ .Release.Name }}',
          'app.kubernetes.io/managed-by': '{{ .Release.Service }}',
          'app.kubernetes.io/component': 'extra',
        },
      },
      data: { GREETING: 'hello' },
    },
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "todo-chatbot.fullname" . }}-extra-2\n  labels:\n    {{- include "todo-chatbot.labels" (dict "ctx" . "component" "extra") | nindent 4 }}\ndata:\n  backend: {{ include "todo-chatbot.backendUrl" . | quote }}\n',
  ])}`,
]

/** The values matrix every render, schema and policy test runs over. */
export const MATRIX: { name: string; values: string[]; set: string[]; setJson?: string[] }[] = [
  { name: 'default', values: [], set: TAGS },
  { name: 'dev', values: ['values-dev.yaml'], set: TAGS },
  { name: 'prod', values: ['values-prod.yaml'], set: TAGS },
  { name: 'external database', values: [], set: [...TAGS, 'postgresql.enabled=false'] },
  {
    name: 'ingress off, NodePort',
    values: [],
    set: [...TAGS, 'ingress.enabled=false', 'frontend.service.type=NodePort'],
  },
  {
    name: 'HPA on',
    values: [],
    set: [...TAGS, 'frontend.autoscaling.enabled=true', 'backend.autoscaling.enabled=true'],
  },
  {
    name: 'chart-created Secret',
    values: [],
    set: [
      ...TAGS,
      'secrets.create=true',
      'secrets.betterAuthSecret=0123456789abcdef0123456789abcdef',
      'secrets.postgresPassword=pw0123456789',
    ],
  },
  { name: 'prod, external database', values: ['values-prod.yaml'], set: [...TAGS, 'postgresql.enabled=false'] },
  {
    // What the kit's deploy stage passes (scripts/lib/release.ts), with the stand-in database image.
    name: 'kit deploy stage',
    values: [],
    set: [
      ...TAGS,
      'existingSecret=todo-secrets',
      'publicUrl=http://todo.local',
      'frontend.image.repository=todo-frontend',
      'backend.image.repository=todo-backend',
      'frontend.replicaCount=1',
      'backend.replicaCount=1',
      'ingress.enabled=true',
      'ingress.className=nginx',
      'ingress.host=todo.local',
      'postgresql.image.repository=local/postgres',
      'postgresql.image.tag=17',
      'frontend.podAnnotations.todo-k8s-kit/secret-hash=abcdef0123456789',
      'backend.podAnnotations.todo-k8s-kit/secret-hash=abcdef0123456789',
    ],
  },
  {
    // A frontend on @neondatabase/serverless: the neon-proxy sidecar, its certificate and the CA in the frontend.
    name: 'neon proxy',
    values: [],
    set: [...TAGS, 'postgresql.neonProxy.enabled=true', 'postgresql.neonProxy.image.tag=h-0a1b2c3d4e5f'],
  },
  {
    // Every extension knob at once, as `init` writes them for an app that needs them.
    name: 'extension knobs',
    values: [],
    set: [
      ...TAGS,
      'backend.databaseUrlScheme=postgresql+asyncpg',
      'backend.priorityClassName=todo-high',
      'frontend.priorityClassName=todo-high',
    ],
    setJson: EXTENSIONS,
  },
]

export const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind)
export const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)
