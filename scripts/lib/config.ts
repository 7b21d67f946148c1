// The kit's configuration: the ONLY module that reads `.env` and the environment.
//
// Exported API (stable; other stages and tests build on it):
//   loadConfig(opts?: LoadOptions): Config          — read .env + environment, apply defaults, validate (throws ConfigError)
//   requireSecrets(cfg: Config): void               — the Secret keys `deploy` needs (throws ConfigError)
//   redact(text: string): string                    — replace every known secret value with `***`
//   secretKeys, KEYS, KeySpec                        — the documented keys (drives .env.example and README checks)
//   ConfigError                                      — { key, expected, message } with a one-line message
//   repoRoot                                         — absolute path of the project root
//   toolEnv(names): Record<string, string|undefined> — other tools' own variables (e.g. AI provider keys), as exported
//
// Precedence: environment > .env file > defaults. Environment variables are read only for known keys, so
// `PATH` & co. are never "unknown keys"; unknown keys inside the .env file produce a warning (cfg.warnings).
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'

export const repoRoot = path.resolve(import.meta.dirname, '..', '..')

export type ClusterKind = 'minikube' | 'existing'
export type LoadMethod = 'minikube' | 'none' | 'kind' | 'containerd' | 'registry'

export type ImageSpec = {
  component: 'frontend' | 'backend'
  /** image name without tag, e.g. `todo-frontend` (no registry prefix) */
  name: string
  /** build context (absolute) */
  contextDir: string
  /** Dockerfile (absolute) */
  dockerfile: string
  /** --build-arg values, e.g. { NODE_IMAGE: 'node:24-slim' } */
  buildArgs: Record<string, string>
  /** image size budget over its base image, MB (validate checks it) */
  sizeBudgetMb: number
}

export type Secrets = {
  BETTER_AUTH_SECRET?: string
  POSTGRES_PASSWORD?: string
  DATABASE_URL?: string
  OPENAI_API_KEY?: string
}

export type Config = {
  root: string
  /** the .env file that was read, or null when there was none */
  envFile: string | null
  namespace: string
  release: string
  chartDir: string
  secretName: string
  frontend: ImageSpec
  backend: ImageSpec
  postgresImage: { repository: string; tag: string }
  cluster: ClusterKind
  loadMethod: LoadMethod
  containerd: { address: string; namespace: string }
  kindCluster: string
  /** registry host[/path] for LOAD_METHOD=registry, else null */
  registry: string | null
  minikube: { profile: string; driver: string; cpus: number; memory: string; kubernetesVersion: string; addons: string[] }
  ingress: { enabled: boolean; className: string; host: string }
  publicUrl: string
  replicas: { frontend: number; backend: number }
  hpa: boolean
  /** helm duration strings (`5m`, `300s`) and their value in ms */
  timeouts: { deploy: string; deployMs: number; validate: string; validateMs: number; minikubeStart: string; minikubeStartMs: number }
  helmValuesFiles: string[]
  /** true when DATABASE_URL is set: the chart's in-cluster PostgreSQL is off */
  externalDatabase: boolean
  secrets: Secrets
  /** resolved value of every non-secret key, for printing (`config` tables, dry-run headers) */
  values: Record<string, string>
  warnings: string[]
}

export class ConfigError extends Error {
  key: string
  expected: string
  constructor(key: string, expected: string, got?: string) {
    super(`${key}${got === undefined ? '' : `=${JSON.stringify(got)}`} is invalid: expected ${expected}`)
    this.name = 'ConfigError'
    this.key = key
    this.expected = expected
  }
}

export type KeySpec = { key: string; default: string; doc: string; secret?: boolean }

// Every key the kit reads. `.env.example` and README document exactly these (a test checks it).
export const KEYS: KeySpec[] = [
  // secrets: only in .env and the Kubernetes Secret
  { key: 'BETTER_AUTH_SECRET', default: '', secret: true, doc: 'Better Auth signing secret, at least 32 characters (required by deploy); make one: openssl rand -base64 32' },
  { key: 'POSTGRES_PASSWORD', default: '', secret: true, doc: 'password of the in-cluster PostgreSQL, URL-safe characters (required unless DATABASE_URL is set); make one: openssl rand -hex 24' },
  { key: 'DATABASE_URL', default: '', secret: true, doc: 'external database postgresql://user:pass@host:5432/db; when set, the in-cluster PostgreSQL is off' },
  { key: 'OPENAI_API_KEY', default: '', secret: true, doc: 'optional; without it the backend answers with its deterministic agent' },
  // names
  { key: 'NAMESPACE', default: 'todo', doc: 'Kubernetes namespace' },
  { key: 'RELEASE', default: 'todo', doc: 'Helm release name' },
  { key: 'CHART_DIR', default: 'helm/todo-chatbot', doc: 'Helm chart directory' },
  { key: 'SECRET_NAME', default: 'todo-secrets', doc: 'Kubernetes Secret deploy makes from .env' },
  { key: 'FRONTEND_IMAGE', default: 'todo-frontend', doc: 'frontend image name (tag = content hash)' },
  { key: 'BACKEND_IMAGE', default: 'todo-backend', doc: 'backend image name (tag = content hash)' },
  // sources and images
  { key: 'FRONTEND_DIR', default: 'app/frontend', doc: 'frontend source (build context)' },
  { key: 'BACKEND_DIR', default: 'app/backend', doc: 'backend source (build context)' },
  { key: 'FRONTEND_DOCKERFILE', default: 'frontend-docker/Dockerfile', doc: 'frontend Dockerfile' },
  { key: 'BACKEND_DOCKERFILE', default: 'backend-docker/Dockerfile', doc: 'backend Dockerfile' },
  { key: 'NODE_IMAGE', default: 'node:24-slim', doc: 'frontend base image (build arg NODE_IMAGE)' },
  { key: 'PYTHON_IMAGE', default: 'python:3.13-slim', doc: 'backend base image (build arg PYTHON_IMAGE)' },
  { key: 'POSTGRES_IMAGE', default: 'postgres:17', doc: 'in-cluster PostgreSQL image' },
  { key: 'FRONTEND_SIZE_BUDGET_MB', default: '60', doc: 'frontend image budget over its base image, MB (validate)' },
  { key: 'BACKEND_SIZE_BUDGET_MB', default: '120', doc: 'backend image budget over its base image, MB (validate)' },
  // cluster
  { key: 'CLUSTER', default: 'minikube', doc: 'minikube (setup starts it) or existing (current kubectl context)' },
  { key: 'LOAD_METHOD', default: '', doc: 'minikube (default for CLUSTER=minikube) | none (default for existing; docker-desktop) | kind | containerd | registry' },
  { key: 'CONTAINERD_ADDRESS', default: '/run/containerd/containerd.sock', doc: 'containerd socket for LOAD_METHOD=containerd' },
  { key: 'CONTAINERD_NAMESPACE', default: 'k8s.io', doc: 'containerd namespace the kubelet uses' },
  { key: 'KIND_CLUSTER', default: 'kind', doc: 'kind cluster name for LOAD_METHOD=kind' },
  { key: 'REGISTRY', default: '', doc: 'registry host[:port][/path] for LOAD_METHOD=registry (images pushed there)' },
  { key: 'MINIKUBE_PROFILE', default: 'todo', doc: 'minikube profile' },
  { key: 'MINIKUBE_DRIVER', default: 'docker', doc: 'minikube driver (docker, podman, hyperkit, hyperv, kvm2, qemu, ...)' },
  { key: 'MINIKUBE_CPUS', default: '2', doc: 'minikube CPUs' },
  { key: 'MINIKUBE_MEMORY', default: '4096mb', doc: 'minikube memory (e.g. 4096mb, 6g)' },
  { key: 'MINIKUBE_K8S_VERSION', default: 'stable', doc: 'Kubernetes version for minikube (stable, latest or v1.x.y)' },
  { key: 'MINIKUBE_ADDONS', default: 'ingress', doc: 'comma list of minikube addons (metrics-server is added when HPA_ENABLED=true)' },
  // app
  { key: 'INGRESS_ENABLED', default: 'true', doc: 'expose the frontend through an Ingress' },
  { key: 'INGRESS_CLASS', default: 'nginx', doc: 'IngressClass name' },
  { key: 'INGRESS_HOST', default: 'todo.local', doc: 'Ingress host name' },
  { key: 'PUBLIC_URL', default: '', doc: 'URL users open (default http://<INGRESS_HOST>); auth issuer and CORS origin' },
  { key: 'FRONTEND_REPLICAS', default: '1', doc: 'frontend replicas' },
  { key: 'BACKEND_REPLICAS', default: '1', doc: 'backend replicas' },
  { key: 'HPA_ENABLED', default: 'false', doc: 'HorizontalPodAutoscalers for frontend and backend (needs metrics-server)' },
  { key: 'DEPLOY_TIMEOUT', default: '5m', doc: 'helm --wait timeout (e.g. 300s, 5m)' },
  { key: 'VALIDATE_TIMEOUT', default: '2m', doc: 'time validate waits for pods and endpoints' },
  { key: 'MINIKUBE_START_TIMEOUT', default: '10m', doc: 'time minikube start may take' },
  { key: 'HELM_VALUES_FILES', default: '', doc: 'comma list of extra Helm values files (applied before the kit\'s --set values)' },
]

export const secretKeys = KEYS.filter((k) => k.secret).map((k) => k.key) as (keyof Secrets)[]
const knownKeys = new Set(KEYS.map((k) => k.key))

// Values registered by loadConfig; redact() hides them in everything the kit prints.
const secretValues = new Set<string>()

/** Replace every secret value (and a DATABASE_URL's password) with `***`. */
export function redact(text: string): string {
  let out = text
  // longest first, so a value containing another is hidden whole
  for (const v of [...secretValues].sort((a, b) => b.length - a.length)) out = out.split(v).join('***')
  return out
}

function registerSecret(value: string | undefined): void {
  if (!value) return
  secretValues.add(value)
  if (value.includes('://')) {
    try {
      const u = new URL(value)
      if (u.password) {
        secretValues.add(u.password)
        secretValues.add(decodeURIComponent(u.password))
      }
    } catch {
      /* validated elsewhere */
    }
  }
}

export type LoadOptions = {
  /** environment to read (default process.env) */
  env?: NodeJS.ProcessEnv
  /** .env path; default $KIT_ENV_FILE or <root>/.env; a missing default file is fine, a missing explicit one is an error */
  envFile?: string
  /** project root, default the repo root */
  root?: string
  /** check that source dirs, Dockerfiles and the chart exist (default true; cleanup and setup need none of them) */
  checkPaths?: boolean
}

const durationRe = /^(\d+)(ms|s|m|h)$/
function durationMs(key: string, v: string): number {
  const m = durationRe.exec(v)
  if (!m) throw new ConfigError(key, 'a duration like 90s, 5m or 1h', v)
  const n = Number(m[1])
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
  return n * unit
}

function int(key: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new ConfigError(key, `a whole number from ${min} to ${max}`, v)
  return Number(v)
}

function bool(key: string, v: string): boolean {
  const s = v.toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(s)) return true
  if (['false', '0', 'no', 'off', ''].includes(s)) return false
  throw new ConfigError(key, 'true or false', v)
}

function oneOf<T extends string>(key: string, v: string, options: readonly T[]): T {
  if (!(options as readonly string[]).includes(v)) throw new ConfigError(key, `one of ${options.join(', ')}`, v)
  return v as T
}

// DNS-1123 label: namespaces, release names, secret names
function dnsLabel(key: string, v: string, max = 63): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > max)
    throw new ConfigError(key, `a lowercase DNS name (a-z, 0-9, -; at most ${max} characters)`, v)
  return v
}

function hostName(key: string, v: string): string {
  if (!/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v))
    throw new ConfigError(key, 'a lowercase host name like todo.local', v)
  return v
}

function imageName(key: string, v: string): string {
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(v)) throw new ConfigError(key, 'an image name without tag, e.g. todo-frontend', v)
  return v
}

function imageRef(key: string, v: string): { repository: string; tag: string } {
  // registry:port/path/name:tag — the tag is after the last colon that follows the last slash
  const slash = v.lastIndexOf('/')
  const colon = v.lastIndexOf(':')
  const hasTag = colon > slash
  const repository = hasTag ? v.slice(0, colon) : v
  const tag = hasTag ? v.slice(colon + 1) : 'latest'
  if (!/^[a-z0-9]+([._:/-][a-z0-9]+)*$/.test(repository) || !/^[\w][\w.-]{0,127}$/.test(tag))
    throw new ConfigError(key, 'an image reference like node:24-slim or registry.example.com/node:24', v)
  return { repository, tag }
}

let checkPaths = true
function existingPath(key: string, v: string, root: string, kind: 'dir' | 'file'): string {
  const abs = path.resolve(root, v)
  if (!checkPaths) return abs
  const st = existsSync(abs) ? statSync(abs) : null
  if (!st || (kind === 'dir' ? !st.isDirectory() : !st.isFile()))
    throw new ConfigError(key, `an existing ${kind === 'dir' ? 'directory' : 'file'} (looked for ${abs})`, v)
  return abs
}

function httpUrl(key: string, v: string): string {
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new ConfigError(key, 'an http(s) URL like http://todo.local', v)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(key, 'an http(s) URL like http://todo.local', v)
  return v.replace(/\/+$/, '')
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const root = opts.root ?? repoRoot
  checkPaths = opts.checkPaths ?? true
  const explicit = opts.envFile ?? env.KIT_ENV_FILE
  const envPath = path.resolve(root, explicit ?? '.env')
  let fileVars: Record<string, string> = {}
  let envFile: string | null = null
  if (existsSync(envPath)) {
    fileVars = parseDotenv(readFileSync(envPath))
    envFile = envPath
  } else if (explicit) {
    throw new ConfigError('KIT_ENV_FILE', `an existing .env file (looked for ${envPath}); create it with: cp .env.example .env`, explicit)
  }

  const warnings: string[] = []
  for (const k of Object.keys(fileVars)) {
    if (!knownKeys.has(k)) warnings.push(`unknown key ${k} in ${path.relative(root, envPath) || envPath} is ignored (see .env.example for the keys)`)
  }

  const values: Record<string, string> = {}
  const get = (key: string): string => {
    const spec = KEYS.find((k) => k.key === key)
    if (!spec) throw new Error(`internal: unknown config key ${key}`)
    const v = (env[key] ?? fileVars[key] ?? spec.default).trim()
    if (!spec.secret) values[key] = v
    return v
  }
  // a value that must match a pattern, else the one-line error naming the key and what was expected
  const getMatching = (key: string, pattern: RegExp, expected: string): string => {
    const v = get(key)
    if (!pattern.test(v)) throw new ConfigError(key, expected, v)
    return v
  }

  const secrets: Secrets = {}
  // redaction follows the configuration last loaded (a process loads one; `up` loads the same one per stage)
  secretValues.clear()
  for (const k of secretKeys) {
    const v = get(k)
    if (v) secrets[k] = v
    registerSecret(v)
  }
  if (secrets.DATABASE_URL !== undefined) {
    let ok = false
    try {
      ok = /^postgres(ql)?:$/.test(new URL(secrets.DATABASE_URL).protocol)
    } catch {
      ok = false
    }
    // never echo the value: it is a secret
    if (!ok) throw new ConfigError('DATABASE_URL', 'a URL like postgresql://user:pass@host:5432/db (value hidden)')
  }

  const cluster = oneOf('CLUSTER', get('CLUSTER'), ['minikube', 'existing'] as const)
  const loadRaw = get('LOAD_METHOD')
  const loadMethod: LoadMethod = loadRaw
    ? cluster === 'minikube'
      ? oneOf('LOAD_METHOD', loadRaw, ['minikube', 'registry'] as const)
      : oneOf('LOAD_METHOD', loadRaw, ['none', 'kind', 'containerd', 'registry'] as const)
    : cluster === 'minikube'
      ? 'minikube'
      : 'none'
  values.LOAD_METHOD = loadMethod
  const registryRaw = get('REGISTRY').replace(/\/+$/, '')
  if (loadMethod === 'registry' && !registryRaw) throw new ConfigError('REGISTRY', 'a registry like localhost:5000 when LOAD_METHOD=registry', '')
  if (registryRaw && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(registryRaw))
    throw new ConfigError('REGISTRY', 'a registry like localhost:5000 or ghcr.io/me', registryRaw)

  const ingressHost = hostName('INGRESS_HOST', get('INGRESS_HOST'))
  const publicUrl = httpUrl('PUBLIC_URL', get('PUBLIC_URL') || `http://${ingressHost}`)
  values.PUBLIC_URL = publicUrl

  const hpa = bool('HPA_ENABLED', get('HPA_ENABLED'))
  const addons = get('MINIKUBE_ADDONS')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const a of addons) if (!/^[a-z0-9][a-z0-9-]*$/.test(a)) throw new ConfigError('MINIKUBE_ADDONS', 'a comma list of addon names like ingress,metrics-server', a)
  if (hpa && !addons.includes('metrics-server')) addons.push('metrics-server')

  const memory = getMatching('MINIKUBE_MEMORY', /^\d+(mb|m|gb|g)?$/i, 'a size like 4096mb or 6g')
  const k8sVersion = getMatching('MINIKUBE_K8S_VERSION', /^(stable|latest|v?\d+\.\d+\.\d+)$/, 'stable, latest or a version like v1.34.0')
  const profile = getMatching('MINIKUBE_PROFILE', /^[a-zA-Z0-9][\w.-]*$/, 'a profile name (letters, digits, - _ .)')
  const driver = getMatching('MINIKUBE_DRIVER', /^[a-z0-9][a-z0-9_-]*$/, 'a minikube driver name like docker')

  const deploy = get('DEPLOY_TIMEOUT')
  const validate = get('VALIDATE_TIMEOUT')
  const minikubeStart = get('MINIKUBE_START_TIMEOUT')

  const containerdAddress = get('CONTAINERD_ADDRESS')
  if (!containerdAddress) throw new ConfigError('CONTAINERD_ADDRESS', 'a containerd socket path', containerdAddress)
  const containerdNs = getMatching('CONTAINERD_NAMESPACE', /^[a-zA-Z0-9][\w.-]*$/, 'a containerd namespace like k8s.io')
  const kindCluster = getMatching('KIND_CLUSTER', /^[a-z0-9][a-z0-9.-]*$/, 'a kind cluster name')

  const nodeImage = get('NODE_IMAGE')
  const pythonImage = get('PYTHON_IMAGE')
  imageRef('NODE_IMAGE', nodeImage)
  imageRef('PYTHON_IMAGE', pythonImage)

  const helmValuesFiles = get('HELM_VALUES_FILES')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((f) => existingPath('HELM_VALUES_FILES', f, root, 'file'))

  const cfg: Config = {
    root,
    envFile,
    namespace: dnsLabel('NAMESPACE', get('NAMESPACE')),
    release: dnsLabel('RELEASE', get('RELEASE'), 53),
    chartDir: existingPath('CHART_DIR', get('CHART_DIR'), root, 'dir'),
    secretName: dnsLabel('SECRET_NAME', get('SECRET_NAME'), 253),
    frontend: {
      component: 'frontend',
      name: imageName('FRONTEND_IMAGE', get('FRONTEND_IMAGE')),
      contextDir: existingPath('FRONTEND_DIR', get('FRONTEND_DIR'), root, 'dir'),
      dockerfile: existingPath('FRONTEND_DOCKERFILE', get('FRONTEND_DOCKERFILE'), root, 'file'),
      buildArgs: { NODE_IMAGE: nodeImage },
      sizeBudgetMb: int('FRONTEND_SIZE_BUDGET_MB', get('FRONTEND_SIZE_BUDGET_MB'), 1, 100_000),
    },
    backend: {
      component: 'backend',
      name: imageName('BACKEND_IMAGE', get('BACKEND_IMAGE')),
      contextDir: existingPath('BACKEND_DIR', get('BACKEND_DIR'), root, 'dir'),
      dockerfile: existingPath('BACKEND_DOCKERFILE', get('BACKEND_DOCKERFILE'), root, 'file'),
      buildArgs: { PYTHON_IMAGE: pythonImage },
      sizeBudgetMb: int('BACKEND_SIZE_BUDGET_MB', get('BACKEND_SIZE_BUDGET_MB'), 1, 100_000),
    },
    postgresImage: imageRef('POSTGRES_IMAGE', get('POSTGRES_IMAGE')),
    cluster,
    loadMethod,
    containerd: { address: containerdAddress, namespace: containerdNs },
    kindCluster,
    registry: registryRaw || null,
    minikube: {
      profile,
      driver,
      cpus: int('MINIKUBE_CPUS', get('MINIKUBE_CPUS'), 1, 256),
      memory,
      kubernetesVersion: k8sVersion,
      addons,
    },
    ingress: {
      enabled: bool('INGRESS_ENABLED', get('INGRESS_ENABLED')),
      className: dnsLabel('INGRESS_CLASS', get('INGRESS_CLASS'), 253),
      host: ingressHost,
    },
    publicUrl,
    replicas: {
      frontend: int('FRONTEND_REPLICAS', get('FRONTEND_REPLICAS'), 0, 100),
      backend: int('BACKEND_REPLICAS', get('BACKEND_REPLICAS'), 0, 100),
    },
    hpa,
    timeouts: {
      deploy,
      deployMs: durationMs('DEPLOY_TIMEOUT', deploy),
      validate,
      validateMs: durationMs('VALIDATE_TIMEOUT', validate),
      minikubeStart,
      minikubeStartMs: durationMs('MINIKUBE_START_TIMEOUT', minikubeStart),
    },
    helmValuesFiles,
    externalDatabase: secrets.DATABASE_URL !== undefined,
    secrets,
    values,
    warnings,
  }
  return cfg
}

/** The Secret keys deploy writes; throws ConfigError naming the first missing/short one. */
export function requireSecrets(cfg: Config): void {
  const s = cfg.secrets
  if (!s.BETTER_AUTH_SECRET) throw new ConfigError('BETTER_AUTH_SECRET', 'a random string of at least 32 characters in .env, e.g. from: openssl rand -base64 32')
  if (s.BETTER_AUTH_SECRET.length < 32) throw new ConfigError('BETTER_AUTH_SECRET', `at least 32 characters (has ${s.BETTER_AUTH_SECRET.length}; value hidden); make one with: openssl rand -base64 32`)
  if (!cfg.externalDatabase && !s.POSTGRES_PASSWORD)
    throw new ConfigError('POSTGRES_PASSWORD', 'a password in .env for the in-cluster PostgreSQL (or set DATABASE_URL for an external database)')
  // the chart composes it into DATABASE_URL unescaped
  if (!cfg.externalDatabase && s.POSTGRES_PASSWORD && !/^[A-Za-z0-9._~-]+$/.test(s.POSTGRES_PASSWORD))
    throw new ConfigError('POSTGRES_PASSWORD', 'only URL-safe characters A-Z a-z 0-9 . _ ~ - (value hidden); make one with: openssl rand -hex 24')
}

/** The Secret's data: the secret keys that are set (OPENAI_API_KEY only when present). */
export function secretData(cfg: Config): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of secretKeys) {
    const v = cfg.secrets[k]
    if (v) out[k] = v
  }
  return out
}

/**
 * Variables that belong to other tools (AI assistants read their provider keys from the environment, not from the
 * kit's .env). Read here so this stays the one module that touches the environment; callers report presence only.
 */
export function toolEnv(names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, process.env[n]]))
}
