// The kit's configuration: what every stage is given (Config), and loadConfig, which builds it from the environment,
// the .env file and one zod schema holding every key: its rule, default, one-line doc, secret flag and .env.example
// group. Value rules live in value-rules.ts, the secret policy in secret-policy.ts, LOAD_METHOD's in load-method.ts,
// paths in project-paths.ts, redaction in redact.ts (a redactor per configuration).
//
// Precedence: environment > .env file > defaults. Environment variables are read only for known keys, the keys
// APP_SECRETS names and NEXT_PUBLIC_* keys, so `PATH` & co. are never "unknown keys"; other keys inside the .env file
// produce a warning (cfg.warnings).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { z } from 'zod'
import { ConfigError, type ConfigSource } from './errors.ts'
import {
  LOAD_METHODS_BY_CLUSTER, MINIKUBE_DEFAULT_LOAD_METHOD, checkLoadMethod, resolveLoadMethod, type ClusterKind,
  type LoadMethod,
} from './load-method.ts'
import { checkAppPaths, relPath, repoRoot } from './project-paths.ts'
import { MIN_SECRET_LENGTH } from './redact.ts'
import { checkSecretsInUse, databaseUrl, secretText, type ReadValues } from './secret-policy.ts'
import {
  Invalid, addons, bool, commaList, dnsLabel, duration, field, hostName, imageName, imageRef, imageRefParts, int,
  matching, oneOf, publicUrl, registry,
} from './value-rules.ts'

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

/** What every stage is given: each setting resolved (paths absolute), checked, with its default applied. */
export type Config = {
  root: string
  /** the .env file that was read, or null when there was none */
  envFile: string | null
  namespace: string
  /** Helm release name */
  release: string
  chartDir: string
  /** the Kubernetes Secret deploy makes from .env */
  secretName: string
  frontend: ImageSpec
  backend: ImageSpec
  /** the in-cluster PostgreSQL's image */
  postgresImage: { repository: string; tag: string }
  cluster: ClusterKind
  loadMethod: LoadMethod
  /** why the kit picked loadMethod when LOAD_METHOD is unset on minikube, else null */
  loadMethodWhy: string | null
  /** socket and namespace for LOAD_METHOD=containerd */
  containerd: { address: string; namespace: string }
  /** for LOAD_METHOD=kind */
  kindCluster: string
  /** registry host[/path] for LOAD_METHOD=registry, else null */
  registry: string | null
  /** the profile setup starts (or finds running) */
  minikube: {
    profile: string
    driver: string
    cpus: number
    /** as minikube takes it: 4096mb, 6g */
    memory: string
    /** stable, latest or v1.x.y */
    kubernetesVersion: string
    /** `--cni` for minikube start, or null for minikube's own choice */
    cni: string | null
    /** MINIKUBE_ADDONS, plus metrics-server when hpa is on */
    addons: string[]
  }
  ingress: { enabled: boolean; className: string; host: string }
  /** the origin users open (default http://<ingress host>): auth issuer and CORS origin */
  publicUrl: string
  /** origins trusted besides publicUrl (chart extraOrigins); dev adds its port-forward's, no key sets it */
  extraOrigins: string[]
  replicas: { frontend: number; backend: number }
  /** HorizontalPodAutoscalers for frontend and backend */
  hpa: boolean
  /** helm duration strings (`5m`, `300s`) and their value in ms */
  timeouts: {
    deploy: string
    deployMs: number
    validate: string
    validateMs: number
    minikubeStart: string
    minikubeStartMs: number
  }
  /** extra Helm values files, applied before the kit's --set values */
  helmValuesFiles: string[]
  /** true when DATABASE_URL is set: the chart's in-cluster PostgreSQL is off */
  externalDatabase: boolean
  /** every secret that is set (also an ignored one, so it is still redacted); secretData() has those in use */
  secrets: Secrets
  /** the keys APP_SECRETS names (deploy requires each) */
  appSecretKeys: string[]
  /** the values of the APP_SECRETS keys that are set */
  appSecrets: Record<string, string>
  /** the NEXT_PUBLIC_* keys that are set: public build-time values of the frontend (never secret) */
  publicEnv: Record<string, string>
  /** resolved value of every non-secret key, for printing (`config` tables, dry-run headers) */
  values: Record<string, string>
  /** what loadConfig noticed but can work with: unknown keys, a secret a '#' cut short, an ignored key */
  warnings: string[]
}

// ---------- the app's own secrets ----------

// The app's own secrets (APP_SECRETS): names of further .env keys whose values go into the Secret.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** NEXT_PUBLIC_* keys: build-time values of the frontend (Next.js inlines them into the browser bundle) */
export const isPublicEnvKey = (name: string): boolean => /^NEXT_PUBLIC_[A-Za-z0-9_]+$/.test(name)
const appSecretNames = field((v) => {
  const names = [...new Set(commaList(v))]
  for (const n of names) {
    if (!ENV_NAME.test(n)) throw new Invalid('a comma list of environment variable names (letters, digits, _; not starting with a digit) like GEMINI_API_KEY,JWT_SECRET', n)
    if (isPublicEnvKey(n)) throw new Invalid('names of secret keys; NEXT_PUBLIC_* values end up in the browser bundle, so they are never secret (set them in .env as they are)', n)
    if (knownKeys.has(n) || n === 'KIT_ENV_FILE') throw new Invalid(`names other than the kit's own keys (${n} is one; the kit already handles it)`, n)
  }
  return names
})

// ---------- the schema ----------

export const GROUPS = {
  secrets: 'Secrets: only here and in the Kubernetes Secret deploy makes (never in images, values files, logs or argv)',
  names: 'Names',
  sources: 'Sources and images (paths are relative to the project root)',
  cluster: 'Cluster',
  app: 'The app in the cluster',
} as const
export type Group = keyof typeof GROUPS

export type KeySpec = {
  key: string
  /** the value used when neither the environment nor .env sets the key ('' = unset) */
  default: string
  /** one line for .env.example and README */
  doc: string
  secret: boolean
  group: Group
  /** README's default column when the default is derived from other keys */
  shownDefault?: string
  /** first run: a fresh random value for .env */
  generate?: () => string
}
type Meta = Omit<KeySpec, 'key' | 'secret'> & { secret?: boolean }
const docs = z.registry<Meta>()

const fields = {
  BETTER_AUTH_SECRET: secretText(32, 'make one with: openssl rand -base64 32').register(docs, {
    group: 'secrets', secret: true, default: '', generate: () => randomBytes(32).toString('base64'),
    doc: 'Better Auth signing secret, at least 32 characters (required by deploy; generated on the first run); make one: openssl rand -base64 32',
  }),
  // checked with the other keys (secret-policy.ts): it is only in use without DATABASE_URL
  POSTGRES_PASSWORD: z.string().register(docs, {
    group: 'secrets', secret: true, default: '', generate: () => randomBytes(24).toString('hex'),
    doc: 'password of the in-cluster PostgreSQL, at least 16 URL-safe characters A-Z a-z 0-9 . _ ~ - (required unless DATABASE_URL is set; generated on the first run); make one: openssl rand -hex 24',
  }),
  DATABASE_URL: databaseUrl.register(docs, {
    group: 'secrets', secret: true, default: '',
    doc: 'external database postgresql://user:pass@host:5432/db (host and database required); when set, the in-cluster PostgreSQL is off and POSTGRES_PASSWORD is ignored',
  }),
  OPENAI_API_KEY: secretText(MIN_SECRET_LENGTH, 'paste the whole key').register(docs, {
    group: 'secrets', secret: true, default: '',
    doc: `optional, at least ${MIN_SECRET_LENGTH} characters; without it the backend answers with its deterministic agent`,
  }),
  APP_SECRETS: appSecretNames.register(docs, {
    group: 'secrets', default: '',
    doc: `comma list of the app's own secret keys, e.g. GEMINI_API_KEY,JWT_SECRET: each is set in .env (or the environment), at least ${MIN_SECRET_LENGTH} characters and not a common word, required by deploy, and goes into the Secret under its own name (the chart's backend.secretEnv / frontend.secretEnv give it to the pods)`,
  }),
  NAMESPACE: dnsLabel().register(docs, { group: 'names', default: 'todo', doc: 'Kubernetes namespace' }),
  RELEASE: dnsLabel(53).register(docs, { group: 'names', default: 'todo', doc: 'Helm release name' }),
  CHART_DIR: z.string().register(docs, { group: 'names', default: 'helm/todo-chatbot', doc: 'Helm chart directory' }),
  SECRET_NAME: dnsLabel(253).register(docs, { group: 'names', default: 'todo-secrets', doc: 'Kubernetes Secret deploy makes from .env' }),
  FRONTEND_IMAGE: imageName().register(docs, { group: 'names', default: 'todo-frontend', doc: 'frontend image name (tag = content hash)' }),
  BACKEND_IMAGE: imageName().register(docs, { group: 'names', default: 'todo-backend', doc: 'backend image name (tag = content hash)' }),
  FRONTEND_DIR: z.string().register(docs, { group: 'sources', default: 'app/frontend', doc: 'frontend source (build context): a Next.js app, i.e. a package.json that depends on next' }),
  BACKEND_DIR: z.string().register(docs, { group: 'sources', default: 'app/backend', doc: 'backend source (build context): a Python app with pyproject.toml, requirements.txt, uv.lock, setup.py or Pipfile' }),
  FRONTEND_DOCKERFILE: z.string().register(docs, { group: 'sources', default: 'frontend-docker/Dockerfile', doc: 'frontend Dockerfile' }),
  BACKEND_DOCKERFILE: z.string().register(docs, { group: 'sources', default: 'backend-docker/Dockerfile', doc: 'backend Dockerfile' }),
  NODE_IMAGE: imageRef().register(docs, { group: 'sources', default: 'node:24-slim', doc: 'frontend base image (build arg NODE_IMAGE)' }),
  PYTHON_IMAGE: imageRef().register(docs, { group: 'sources', default: 'python:3.13-slim', doc: 'backend base image (build arg PYTHON_IMAGE)' }),
  POSTGRES_IMAGE: imageRefParts().register(docs, { group: 'sources', default: 'postgres:17.7', doc: 'in-cluster PostgreSQL image' }),
  FRONTEND_SIZE_BUDGET_MB: int(1, 100_000).register(docs, { group: 'sources', default: '60', doc: 'frontend image budget over its base image, MB (validate)' }),
  BACKEND_SIZE_BUDGET_MB: int(1, 100_000).register(docs, { group: 'sources', default: '120', doc: 'backend image budget over its base image, MB (validate)' }),
  CLUSTER: oneOf(['minikube', 'existing'] as const).register(docs, { group: 'cluster', default: 'minikube', doc: 'minikube (setup starts it) or existing (current kubectl context)' }),
  LOAD_METHOD: z.enum(['', 'minikube', 'docker-env', 'none', 'kind', 'containerd', 'registry'], {
    error: `one of ${LOAD_METHODS_BY_CLUSTER.minikube.join(', ')} (CLUSTER=minikube) or ${LOAD_METHODS_BY_CLUSTER.existing.join(', ')} (CLUSTER=existing)`,
  }).register(docs, {
    group: 'cluster', default: '', shownDefault: 'by `CLUSTER`',
    doc: `minikube (build locally, then minikube image load) | docker-env (build straight into the minikube profile's own Docker: nothing to copy; needs the docker runtime) | none (docker-desktop) | kind | containerd | registry; default for CLUSTER=minikube: ${MINIKUBE_DEFAULT_LOAD_METHOD} when the profile runs the docker runtime (a new one is started with it), else minikube; none for existing`,
  }),
  CONTAINERD_ADDRESS: matching(/./, 'a containerd socket path').register(docs, { group: 'cluster', default: '/run/containerd/containerd.sock', doc: 'containerd socket for LOAD_METHOD=containerd' }),
  CONTAINERD_NAMESPACE: matching(/^[a-zA-Z0-9][\w.-]*$/, 'a containerd namespace like k8s.io').register(docs, { group: 'cluster', default: 'k8s.io', doc: 'containerd namespace the kubelet uses' }),
  KIND_CLUSTER: matching(/^[a-z0-9][a-z0-9.-]*$/, 'a kind cluster name').register(docs, { group: 'cluster', default: 'kind', doc: 'kind cluster name for LOAD_METHOD=kind' }),
  REGISTRY: registry.register(docs, { group: 'cluster', default: '', doc: 'registry host[:port][/path] for LOAD_METHOD=registry (images pushed there)' }),
  MINIKUBE_PROFILE: matching(/^[a-zA-Z0-9][\w.-]*$/, 'a profile name (letters, digits, - _ .)').register(docs, { group: 'cluster', default: 'todo', doc: 'minikube profile' }),
  MINIKUBE_DRIVER: matching(/^[a-z0-9][a-z0-9_-]*$/, 'a minikube driver name like docker').register(docs, { group: 'cluster', default: 'docker', doc: 'minikube driver (docker, podman, hyperkit, hyperv, kvm2, qemu, ...)' }),
  MINIKUBE_CPUS: int(1, 256).register(docs, { group: 'cluster', default: '2', doc: 'minikube CPUs' }),
  MINIKUBE_MEMORY: matching(/^\d+(mb|m|gb|g)?$/i, 'a size like 4096mb or 6g').register(docs, { group: 'cluster', default: '4096mb', doc: 'minikube memory (e.g. 4096mb, 6g)' }),
  MINIKUBE_K8S_VERSION: matching(/^(stable|latest|v?\d+\.\d+\.\d+)$/, 'stable, latest or a version like v1.34.0').register(docs, { group: 'cluster', default: 'stable', doc: 'Kubernetes version for minikube (stable, latest or v1.x.y)' }),
  MINIKUBE_CNI: matching(/^$|^(auto|bridge|calico|cilium|flannel|kindnet|false)$|^[\w./~-]+\.ya?ml$/, 'auto, bridge, calico, cilium, flannel, kindnet, false or a CNI manifest path ending in .yaml').register(docs, {
    group: 'cluster', default: '', shownDefault: "minikube's choice",
    doc: 'minikube CNI (`--cni`) when setup starts the profile; NetworkPolicies are enforced only by one that implements them (calico, cilium); a running profile keeps its own',
  }),
  MINIKUBE_ADDONS: addons.register(docs, { group: 'cluster', default: 'ingress', doc: 'comma list of minikube addons (metrics-server is added when HPA_ENABLED=true)' }),
  INGRESS_ENABLED: bool().register(docs, { group: 'app', default: 'true', doc: 'expose the frontend through an Ingress' }),
  INGRESS_CLASS: dnsLabel(253).register(docs, { group: 'app', default: 'nginx', doc: 'IngressClass name' }),
  INGRESS_HOST: hostName().register(docs, { group: 'app', default: 'todo.local', doc: 'Ingress host name' }),
  PUBLIC_URL: publicUrl.register(docs, {
    group: 'app', default: '', shownDefault: '`http://<INGRESS_HOST>`',
    doc: 'URL users open, scheme and host[:port] only (default http://<INGRESS_HOST>); auth issuer and CORS origin',
  }),
  FRONTEND_REPLICAS: int(0, 100).register(docs, { group: 'app', default: '1', doc: 'frontend replicas' }),
  BACKEND_REPLICAS: int(0, 100).register(docs, { group: 'app', default: '1', doc: 'backend replicas' }),
  HPA_ENABLED: bool().register(docs, { group: 'app', default: 'false', doc: 'HorizontalPodAutoscalers for frontend and backend (needs metrics-server)' }),
  DEPLOY_TIMEOUT: duration('24h').register(docs, { group: 'app', default: '5m', doc: 'helm --wait timeout, 1s to 24h (e.g. 300s, 5m)' }),
  VALIDATE_TIMEOUT: duration('1h').register(docs, { group: 'app', default: '2m', doc: 'time validate waits for pods and endpoints, 1s to 1h' }),
  MINIKUBE_START_TIMEOUT: duration('2h').register(docs, { group: 'app', default: '10m', doc: 'time minikube start may take, 1s to 2h' }),
  HELM_VALUES_FILES: z.string().transform(commaList).register(docs, { group: 'app', default: '', doc: 'comma list of extra Helm values files (applied before the kit\'s --set values)' }),
}
type Key = keyof typeof fields

// Every key the kit reads. `.env.example` and README's table are generated from these (npm run gen:config).
export const KEYS: KeySpec[] = (Object.keys(fields) as Key[]).map((key) => {
  const { secret, ...meta } = docs.get(fields[key])!
  return { key, secret: secret ?? false, ...meta }
})
export const secretKeys = KEYS.filter((k) => k.secret).map((k) => k.key) as (keyof Secrets)[]
const knownKeys = new Set<string>(KEYS.map((k) => k.key))
const isSecret = (key: string): boolean => (secretKeys as string[]).includes(key)

// Build-time public values: every NEXT_PUBLIC_* key is read as it is, rather than packed into one setting. They are
// the names the app's code and its own .env.local already use, Next.js itself reads them from the environment the
// same way, and a list of NAME=value pairs inside one .env value would need its own quoting.
const PUBLIC_ENV_DOC: KeySpec = {
  key: 'NEXT_PUBLIC_*',
  default: '',
  secret: false,
  group: 'sources',
  doc: 'every key starting with NEXT_PUBLIC_ (e.g. NEXT_PUBLIC_API_URL=https://todo.example.com), from .env or the environment: passed to the frontend build as the build arg NEXT_PUBLIC_ENV for apps that read them at build time, and part of the image tag. Read by their own names rather than packed into one setting: the names the app code and next build use, no list quoting. Public by definition (baked into the browser bundle and shown in output): never put a secret in one',
}
/** KEYS and the NEXT_PUBLIC_* family (after NODE_IMAGE, the frontend's other build arg): the rows .env.example and README show */
export const DOC_ROWS: KeySpec[] = KEYS.flatMap((k) => (k.key === 'NODE_IMAGE' ? [k, PUBLIC_ENV_DOC] : [k]))

// ---------- the whole configuration ----------

// What loadConfig read besides the keys, and where.
type Context = ReadValues & {
  root: string
  checkPaths: boolean
  envFile: string | null
  warnings: string[]
  /** the environment (where minikube keeps its profiles) */
  env: Record<string, string | undefined>
}

function configSchema(ctx: Context) {
  const at = (p: string): string => path.resolve(ctx.root, p)
  return z
    .object(fields)
    .superRefine((v, z2) => {
      // key: a schema key, or the name of an app secret or a NEXT_PUBLIC_* value
      const issue = (key: string, e: unknown): void => {
        if (!(e instanceof Invalid)) throw e
        z2.addIssue({ code: 'custom', path: [key], message: e.message, params: { got: e.got } })
      }
      checkSecretsInUse(v, ctx, issue)
      checkLoadMethod(v, issue)
      if (ctx.checkPaths) checkAppPaths(v, ctx.root, issue)
    })
    .transform((v): Config => {
      const { method: loadMethod, why: loadMethodWhy } = resolveLoadMethod(v, ctx.env)
      const url = v.PUBLIC_URL ?? `http://${v.INGRESS_HOST}`
      ctx.values.LOAD_METHOD = loadMethod
      ctx.values.PUBLIC_URL = url
      const minikubeAddons = [...v.MINIKUBE_ADDONS]
      if (v.HPA_ENABLED && !minikubeAddons.includes('metrics-server')) minikubeAddons.push('metrics-server')
      const secrets: Secrets = {}
      for (const k of secretKeys) if (v[k]) secrets[k] = v[k]
      const appSecrets: Record<string, string> = {}
      for (const name of v.APP_SECRETS) if (ctx.appValues[name]) appSecrets[name] = ctx.appValues[name]
      const publicNames = Object.keys(ctx.publicEnv).sort()
      if (secrets.DATABASE_URL && secrets.POSTGRES_PASSWORD)
        ctx.warnings.push('POSTGRES_PASSWORD is ignored while DATABASE_URL is set (the in-cluster PostgreSQL is off); remove it to silence this')
      const frontend: ImageSpec = {
        component: 'frontend',
        name: v.FRONTEND_IMAGE,
        contextDir: at(v.FRONTEND_DIR),
        dockerfile: at(v.FRONTEND_DOCKERFILE),
        // NODE_IMAGE stays first (validate reads the base image from it); no NEXT_PUBLIC_ENV when there is nothing to
        // pass, so the tag of an app without public values stays what it was
        buildArgs: {
          NODE_IMAGE: v.NODE_IMAGE,
          ...(publicNames.length ? { NEXT_PUBLIC_ENV: publicNames.map((k) => `${k}=${ctx.publicEnv[k]}`).join('\n') } : {}),
        },
        sizeBudgetMb: v.FRONTEND_SIZE_BUDGET_MB,
      }
      const backend: ImageSpec = {
        component: 'backend',
        name: v.BACKEND_IMAGE,
        contextDir: at(v.BACKEND_DIR),
        dockerfile: at(v.BACKEND_DOCKERFILE),
        buildArgs: { PYTHON_IMAGE: v.PYTHON_IMAGE },
        sizeBudgetMb: v.BACKEND_SIZE_BUDGET_MB,
      }
      return {
        root: ctx.root,
        envFile: ctx.envFile,
        namespace: v.NAMESPACE,
        release: v.RELEASE,
        chartDir: at(v.CHART_DIR),
        secretName: v.SECRET_NAME,
        frontend,
        backend,
        postgresImage: v.POSTGRES_IMAGE,
        cluster: v.CLUSTER,
        loadMethod,
        loadMethodWhy,
        containerd: { address: v.CONTAINERD_ADDRESS, namespace: v.CONTAINERD_NAMESPACE },
        kindCluster: v.KIND_CLUSTER,
        registry: v.REGISTRY,
        minikube: {
          profile: v.MINIKUBE_PROFILE,
          driver: v.MINIKUBE_DRIVER,
          cpus: v.MINIKUBE_CPUS,
          memory: v.MINIKUBE_MEMORY,
          kubernetesVersion: v.MINIKUBE_K8S_VERSION,
          cni: v.MINIKUBE_CNI || null,
          addons: minikubeAddons,
        },
        ingress: { enabled: v.INGRESS_ENABLED, className: v.INGRESS_CLASS, host: v.INGRESS_HOST },
        publicUrl: url,
        extraOrigins: [],
        replicas: { frontend: v.FRONTEND_REPLICAS, backend: v.BACKEND_REPLICAS },
        hpa: v.HPA_ENABLED,
        timeouts: {
          deploy: v.DEPLOY_TIMEOUT.text,
          deployMs: v.DEPLOY_TIMEOUT.ms,
          validate: v.VALIDATE_TIMEOUT.text,
          validateMs: v.VALIDATE_TIMEOUT.ms,
          minikubeStart: v.MINIKUBE_START_TIMEOUT.text,
          minikubeStartMs: v.MINIKUBE_START_TIMEOUT.ms,
        },
        helmValuesFiles: v.HELM_VALUES_FILES.map(at),
        externalDatabase: secrets.DATABASE_URL !== undefined,
        secrets,
        appSecretKeys: v.APP_SECRETS,
        appSecrets,
        publicEnv: Object.fromEntries(publicNames.map((k) => [k, ctx.publicEnv[k]!])),
        values: ctx.values,
        warnings: ctx.warnings,
      }
    })
}

// ---------- reading .env ----------

export type LoadOptions = {
  /** environment to read (default process.env) */
  env?: NodeJS.ProcessEnv
  /** .env path; default $KIT_ENV_FILE or <root>/.env; a missing default file is fine, a missing explicit one is an error */
  envFile?: string
  /** project root, default the repo root */
  root?: string
  /** check that source dirs (a Next.js and a Python app), Dockerfiles and the chart exist (default true; cleanup and setup need none of them) */
  checkPaths?: boolean
}

// Where the file named by --env-path (opts.envFile) or KIT_ENV_FILE is, and why it cannot be read.
function readEnvFile(root: string, explicit: { value: string; from: 'flag' | 'env' } | null): { file: string | null; text: string } {
  const envFileError = (expected: string, fix: string): ConfigError =>
    new ConfigError('KIT_ENV_FILE', expected, explicit?.value, explicit?.from === 'env' ? 'env' : 'default', fix)
  const how = explicit?.from === 'env' ? 'export KIT_ENV_FILE=<path of your .env> (or unset it to use .env)' : 'pass --env-path <path of your .env>'
  if (explicit && explicit.value.trim() === '') throw envFileError('a path to a .env file, not an empty string', how)
  const file = path.resolve(root, explicit?.value ?? '.env')
  if (!existsSync(file)) {
    if (!explicit) return { file: null, text: '' }
    throw envFileError(`an existing .env file (looked for ${file}); create it with: cp .env.example .env`, `cp .env.example ${relPath(root, file)}`)
  }
  if (statSync(file).isDirectory()) throw envFileError(`a .env file, not a directory (${file})`, how)
  try {
    return { file, text: readFileSync(file, 'utf8') }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw envFileError(`a readable .env file (${file}: ${code})`, `chmod u+r ${relPath(root, file)} (or ${how})`)
  }
}

type Cut = { typed: number; read: number }
// dotenv ends an unquoted value at the first `#` (`KEY=abc#def` reads `abc`): for a secret that silently yields a
// shorter, different secret. Compare what each secret's (last) line holds with what dotenv read.
function cutSecrets(text: string, parsed: Record<string, string>, isSecret: (key: string) => boolean): Map<string, Cut> {
  const cut = new Map<string, Cut>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*|:\s+)(.*)$/.exec(line)
    if (!m || !isSecret(m[1]!)) continue
    const key = m[1]!
    const rest = m[2]!.trim()
    const typed = rest.length
    const read = (parsed[key] ?? '').length
    if (/^['"`]/.test(rest) || !rest.includes('#') || typed <= read) cut.delete(key)
    else cut.set(key, { typed, read })
  }
  return cut
}

function fixFor(key: string, source: ConfigSource, envFile: string): string {
  if (source === 'env') return `unset ${key} or export ${key}=<...> (it comes from the environment, which overrides .env)`
  const documented = knownKeys.has(key) ? ' (documented in .env.example)' : ''
  if (source === 'file') return `edit ${key} in ${envFile}${documented}`
  return `set ${key} in ${envFile}${documented}`
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const root = opts.root ?? repoRoot
  const explicit =
    opts.envFile !== undefined ? { value: opts.envFile, from: 'flag' as const } : env.KIT_ENV_FILE !== undefined ? { value: env.KIT_ENV_FILE, from: 'env' as const } : null
  const { file: envFile, text } = readEnvFile(root, explicit)
  const fileVars = parseDotenv(text)
  const envName = envFile ? relPath(root, envFile) : '.env'

  // the keys APP_SECRETS names are read like known ones (the schema rejects a malformed name, so skip those here)
  const appNames = commaList((env.APP_SECRETS ?? fileVars.APP_SECRETS ?? '').trim()).filter((n) => ENV_NAME.test(n) && !knownKeys.has(n) && !isPublicEnvKey(n))
  const secretName = (key: string): boolean => isSecret(key) || appNames.includes(key)

  const warnings: string[] = []
  for (const k of Object.keys(fileVars)) {
    if (!knownKeys.has(k) && !appNames.includes(k) && !isPublicEnvKey(k)) warnings.push(`unknown key ${k} in ${envName} is ignored (see .env.example for the keys)`)
  }
  const cut = cutSecrets(text, fileVars, secretName)
  for (const [key, c] of cut) {
    if (env[key] !== undefined) continue
    warnings.push(
      `${key} in ${envName} has a '#' outside quotes: only the ${c.read} characters before it are read, of the ${c.typed} typed (dotenv starts a comment there); if the '#' belongs to the value, quote it: ${key}="..."`,
    )
  }

  // environment > .env; records where each value came from, for the fix line
  const sources: Record<string, ConfigSource> = {}
  const read = (k: string): string | undefined => {
    const fromEnv = env[k]
    const fromFile = fileVars[k]
    sources[k] = fromEnv !== undefined ? 'env' : fromFile !== undefined ? 'file' : 'default'
    return (fromEnv ?? fromFile)?.trim()
  }
  const input: Record<string, string> = {}
  const values: Record<string, string> = {}
  for (const k of KEYS) {
    input[k.key] = read(k.key) ?? k.default
    if (!k.secret) values[k.key] = input[k.key]!
  }
  const appValues: Record<string, string> = {}
  for (const n of appNames) appValues[n] = read(n) ?? ''
  const publicEnv: Record<string, string> = {}
  for (const k of new Set([...Object.keys(env), ...Object.keys(fileVars)])) {
    if (!isPublicEnvKey(k)) continue
    const v = read(k)
    // empty counts as unset, as for every key
    if (v) publicEnv[k] = v
  }

  const result = configSchema({ root, checkPaths: opts.checkPaths ?? true, envFile, values, warnings, appValues, publicEnv, env }).safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const key = String(issue.path[0] ?? 'config')
  const secret = secretName(key)
  const got = secret ? undefined : ((issue as { params?: { got?: string } }).params?.got ?? input[key])
  const c = cut.get(key)
  const note = c && sources[key] === 'file' ? `; note: a '#' outside quotes in ${envName} cut it to ${c.read} of the ${c.typed} characters typed, quote it: ${key}="..."` : ''
  const source = sources[key] ?? 'default'
  throw new ConfigError(key, issue.message + note, got, source, fixFor(key, source, envName))
}

/** The Secret keys deploy writes are set (malformed ones never get this far: loadConfig rejects them). */
export function requireSecrets(cfg: Config): void {
  const s = cfg.secrets
  const envName = cfg.envFile ? relPath(cfg.root, cfg.envFile) : '.env'
  const missing = (key: string, expected: string): ConfigError => new ConfigError(key, expected, undefined, 'default', fixFor(key, 'default', envName))
  if (!s.BETTER_AUTH_SECRET) throw missing('BETTER_AUTH_SECRET', 'a random string of at least 32 characters in .env, e.g. from: openssl rand -base64 32')
  if (!cfg.externalDatabase && !s.POSTGRES_PASSWORD)
    throw missing('POSTGRES_PASSWORD', 'a password in .env for the in-cluster PostgreSQL (or set DATABASE_URL for an external database); make one with: openssl rand -hex 24')
  for (const name of cfg.appSecretKeys)
    if (!cfg.appSecrets[name])
      throw new ConfigError(name, `a value in ${envName}: APP_SECRETS names it, so the Secret deploy makes holds it (the app's own secret, at least ${MIN_SECRET_LENGTH} characters)`, undefined, 'default',
        `set ${name}=<the value> in ${envName} (or remove ${name} from APP_SECRETS)`)
}

/** The Secret's data: the secret keys that are set and in use (no POSTGRES_PASSWORD next to DATABASE_URL). */
export function secretData(cfg: Config): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of secretKeys) {
    const v = cfg.secrets[k]
    if (!v || (k === 'POSTGRES_PASSWORD' && cfg.externalDatabase)) continue
    out[k] = v
  }
  for (const [k, v] of Object.entries(cfg.appSecrets)) out[k] = v
  return out
}

/** Every secret value that is set, the kit's and the app's (APP_SECRETS): what output and validate's leak search hide. */
export function allSecrets(cfg: Config): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(cfg.secrets)) if (v) out[k] = v
  return { ...out, ...cfg.appSecrets }
}

// ---------- .env.example and the first-run .env ----------

/**
 * `.env.example` (no fill), or a first-run `.env` whose secrets are `fill`: every key with its doc line, grouped;
 * secrets the kit can generate are uncommented, every other key is commented out with its default.
 */
export function renderEnvFile(fill?: Partial<Record<string, string>>): string {
  const lines = fill
    ? [
        '# todo-k8s-kit configuration, written on the first run with generated secrets. Keep it private (git-ignored, mode 0600).',
        '# Every key is documented in .env.example; the environment overrides this file.',
      ]
    : [
        '# todo-k8s-kit configuration. The first run writes .env with generated secrets; or copy this file:  cp .env.example .env',
        '# Every key is optional except the secrets deploy needs; the environment overrides this file.',
        '# Generated from scripts/lib/config.ts by: npm run gen:config',
      ]
  let group: Group | null = null
  for (const k of DOC_ROWS) {
    if (k.group !== group) {
      group = k.group
      lines.push('', `# ---- ${GROUPS[group]}`)
    }
    if (k === PUBLIC_ENV_DOC) {
      lines.push('', `# ${k.key}: ${k.doc}`)
      continue
    }
    lines.push('', `# ${k.doc}`)
    const value = fill?.[k.key]
    lines.push(value !== undefined ? `${k.key}=${value}` : k.generate ? `${k.key}=` : `# ${k.key}=${k.default}`)
  }
  return lines.join('\n') + '\n'
}

/** The .env file a first run would write (the default path, missing, and no other file asked for), else null. */
export function envFileToCreate(opts: { root?: string; envFile?: string; env?: NodeJS.ProcessEnv }): string | null {
  const env = opts.env ?? process.env
  if (opts.envFile !== undefined || env.KIT_ENV_FILE !== undefined) return null
  const file = path.join(opts.root ?? repoRoot, '.env')
  return existsSync(file) ? null : file
}

/** Fresh values for the secrets the kit can generate and the environment does not already give. */
export function generatedSecrets(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const fill: Record<string, string> = {}
  for (const k of KEYS) {
    if (!k.generate || env[k.key]) continue
    if (k.key === 'POSTGRES_PASSWORD' && env.DATABASE_URL) continue
    fill[k.key] = k.generate()
  }
  return fill
}

/**
 * First run: when the default .env (<root>/.env) is missing, write it with generated secrets, mode 0600. An explicit
 * file (--env-path / KIT_ENV_FILE) is never created: a missing one is a mistake loadConfig reports. Never overwrites
 * a file, and generates no secret the environment already sets (nor POSTGRES_PASSWORD when DATABASE_URL is set).
 */
export function ensureEnvFile(opts: { root?: string; envFile?: string; env?: NodeJS.ProcessEnv }): { created: string | null; keys: string[] } {
  const file = envFileToCreate(opts)
  if (!file) return { created: null, keys: [] }
  const fill = generatedSecrets(opts.env ?? process.env)
  try {
    writeFileSync(file, renderEnvFile(fill), { mode: 0o600, flag: 'wx' })
  } catch (e) {
    // another process made it in between (or a dangling symlink is there): leave it alone
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { created: null, keys: [] }
    throw e
  }
  chmodSync(file, 0o600) // the umask may have taken bits away, never added; make the mode exact anyway
  return { created: file, keys: Object.keys(fill) }
}

/** `npm run up --dry-run`: npm keeps the flag for itself and tells the script through npm_config_dry_run. */
export const npmDryRun = (env: NodeJS.ProcessEnv = process.env): boolean => /^(true|1)$/i.test(env.npm_config_dry_run ?? '')

/**
 * Variables that belong to other tools (AI assistants read their provider keys from the environment, not from the
 * kit's .env). Read here so this stays the one module that touches the environment; callers report presence only.
 */
export function toolEnv(names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, process.env[n]]))
}

// ---------- adding keys to an existing .env (init) ----------

export type EnvKeysResult = { text: string; added: string[]; kept: Record<string, string> }

const envLine = (key: string, value: string): string => `${key}=${/^[\w@%+=:,./~-]*$/.test(value) ? value : `'${value}'`}`

/**
 * A .env's text with `entries` added for the keys it does not set (an empty value counts as unset). A key's commented
 * placeholder (`# KEY=default`, as the first-run .env and .env.example have them) becomes `KEY=value` in place, under
 * its doc line; other keys are appended after `heading`. Every other line, comment and value stays as it was.
 */
export function withEnvKeys(text: string, entries: Record<string, string>, heading: string): EnvKeysResult {
  const parsed = parseDotenv(text)
  const lines = text.split('\n')
  const added: string[] = []
  const kept: Record<string, string> = {}
  const tail: string[] = []
  for (const [key, value] of Object.entries(entries)) {
    if (!knownKeys.has(key) && !isPublicEnvKey(key)) throw new Error(`withEnvKeys: unknown key ${key}`)
    if (parsed[key] !== undefined && parsed[key] !== '') {
      kept[key] = parsed[key]!
      continue
    }
    added.push(key)
    const set = lines.findIndex((l) => new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`).test(l))
    const placeholder = lines.findIndex((l) => new RegExp(`^#\\s*${key}=`).test(l))
    const at = set >= 0 ? set : placeholder
    if (at >= 0) lines[at] = envLine(key, value)
    else tail.push(envLine(key, value))
  }
  let out = lines.join('\n')
  if (tail.length) out = `${out.replace(/\n*$/, '')}${out.trim() ? '\n\n' : ''}# ${heading}\n${tail.join('\n')}\n`
  return { text: out, added, kept }
}

/** withEnvKeys on a file; writes it (mode kept) only when a key was added. */
export function addEnvKeys(file: string, entries: Record<string, string>, heading: string): Omit<EnvKeysResult, 'text'> {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const r = withEnvKeys(before, entries, heading)
  if (r.added.length) writeFileSync(file, r.text)
  return { added: r.added, kept: r.kept }
}
