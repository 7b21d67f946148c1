// Every key the kit reads, in one table: its rule, default, one-line doc, secret flag and .env.example group.
// `.env.example` and README's table are generated from it (npm run gen:config).
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { Secrets } from './config.ts'
import { LOAD_METHODS_BY_CLUSTER, MINIKUBE_DEFAULT_LOAD_METHOD } from './load-method.ts'
import { MIN_SECRET_LENGTH } from './redact.ts'
import { ROUTINGS } from './routing.ts'
import { databaseUrl, secretText } from './secret-policy.ts'
import {
  Invalid,
  addons,
  bool,
  commaList,
  dnsLabel,
  duration,
  field,
  hostName,
  imageName,
  imageRef,
  imageRefParts,
  int,
  matching,
  memorySize,
  oneOf,
  publicUrl,
  registry,
} from './value-rules.ts'

export const GROUPS = {
  secrets: 'Secrets: only here and in the Kubernetes Secret deploy makes (never in images, values files, logs or argv)',
  names: 'Names',
  sources: 'Sources and images (paths are relative to the project root)',
  cluster: 'Cluster',
  app: 'The app in the cluster',
} as const
export type Group = keyof typeof GROUPS

/** FRONTEND_AUTH_MIGRATE: the auth library's own migration, run against the app's auth config (relative to its dir) */
export type AuthMigrate = { tool: 'better-auth'; config: string }

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

// The app's own secrets (APP_SECRETS): names of further .env keys whose values go into the Secret.
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** NEXT_PUBLIC_* keys: build-time values of the frontend (Next.js inlines them into the browser bundle) */
export const isPublicEnvKey = (name: string): boolean => /^NEXT_PUBLIC_[A-Za-z0-9_]+$/.test(name)
// Variables of the machine and of every container: never an app secret (their value is not secret, and the pods
// would run with it in place of their own).
const PROCESS_VARIABLES = new Set(
  (
    'PATH HOME USER LOGNAME SHELL TERM LANG LANGUAGE PWD OLDPWD HOSTNAME TMPDIR TMP TEMP EDITOR VISUAL DISPLAY MAIL ' +
    'SHLVL PS1 TZ NODE_OPTIONS NODE_ENV PYTHONPATH PYTHONHOME VIRTUAL_ENV LD_PRELOAD LD_LIBRARY_PATH KUBECONFIG ' +
    'DOCKER_HOST SSH_AUTH_SOCK HTTP_PROXY HTTPS_PROXY NO_PROXY CI PORT HOST'
  ).split(' '),
)
export const isProcessVariable = (name: string): boolean =>
  PROCESS_VARIABLES.has(name.toUpperCase()) || /^(LC|XDG|npm|KUBERNETES)_/i.test(name)

const appSecretNames = field((v) => {
  const names = [...new Set(commaList(v))]
  for (const n of names) {
    if (!ENV_NAME.test(n)) {
      throw new Invalid(
        'a comma list of environment variable names (letters, digits, _; not starting with a digit) ' +
          'like GEMINI_API_KEY,JWT_SECRET',
        n,
      )
    }
    if (isPublicEnvKey(n)) {
      throw new Invalid(
        'names of secret keys; NEXT_PUBLIC_* values end up in the browser bundle, so they are never ' +
          'secret (set them in .env as they are)',
        n,
      )
    }
    if (isKnownKey(n) || n === 'KIT_ENV_FILE') {
      throw new Invalid(`names other than the kit's own keys (${n} is one; the kit already handles it)`, n)
    }
    if (isProcessVariable(n)) {
      throw new Invalid(
        `names of the app's own secrets (${n} is a variable every machine and container has; the pods would get ` +
          'this value in its place)',
        n,
      )
    }
  }
  return names
})

export const fields = {
  BETTER_AUTH_SECRET: secretText(32, 'make one with: openssl rand -base64 32').register(docs, {
    group: 'secrets',
    secret: true,
    default: '',
    generate: () => randomBytes(32).toString('base64'),
    doc: 'Better Auth signing secret, at least 32 characters (required by deploy; generated on the first run); make one: openssl rand -base64 32',
  }),
  // checked with the other keys (secret-policy.ts): it is only in use without DATABASE_URL
  POSTGRES_PASSWORD: z.string().register(docs, {
    group: 'secrets',
    secret: true,
    default: '',
    generate: () => randomBytes(24).toString('hex'),
    doc: 'password of the in-cluster PostgreSQL, at least 16 URL-safe characters A-Z a-z 0-9 . _ ~ - (required unless DATABASE_URL is set; generated on the first run); make one: openssl rand -hex 24',
  }),
  DATABASE_URL: databaseUrl.register(docs, {
    group: 'secrets',
    secret: true,
    default: '',
    doc: 'external database postgresql://user:pass@host:5432/db (host and database required); when set, the in-cluster PostgreSQL is off and POSTGRES_PASSWORD is ignored',
  }),
  OPENAI_API_KEY: secretText(MIN_SECRET_LENGTH, 'paste the whole key').register(docs, {
    group: 'secrets',
    secret: true,
    default: '',
    doc: `optional, at least ${MIN_SECRET_LENGTH} characters; without it the backend answers with its deterministic agent`,
  }),
  APP_SECRETS: appSecretNames.register(docs, {
    group: 'secrets',
    default: '',
    doc: `comma list of the app's own secret keys, e.g. GEMINI_API_KEY,JWT_SECRET: each is set in .env (only there: the environment's value is not read, so no variable of the machine ends up in the cluster; PATH, HOME and the like are refused), at least ${MIN_SECRET_LENGTH} characters and not a common word, required by deploy, and goes into the Secret under its own name (the chart's backend.secretEnv / frontend.secretEnv give it to the pods)`,
  }),
  NAMESPACE: dnsLabel().register(docs, { group: 'names', default: 'todo', doc: 'Kubernetes namespace' }),
  RELEASE: dnsLabel(53).register(docs, { group: 'names', default: 'todo', doc: 'Helm release name' }),
  CHART_DIR: z.string().register(docs, {
    group: 'names',
    default: 'helm/todo-chatbot',
    doc: 'Helm chart directory (with its Chart.yaml)',
  }),
  SECRET_NAME: dnsLabel(253).register(docs, {
    group: 'names',
    default: 'todo-secrets',
    doc: 'Kubernetes Secret deploy makes from .env',
  }),
  FRONTEND_IMAGE: imageName().register(docs, {
    group: 'names',
    default: 'todo-frontend',
    doc: 'frontend image name (tag = content hash)',
  }),
  BACKEND_IMAGE: imageName().register(docs, {
    group: 'names',
    default: 'todo-backend',
    doc: 'backend image name (tag = content hash)',
  }),
  FRONTEND_DIR: z.string().register(docs, {
    group: 'sources',
    default: 'app/frontend',
    doc: 'frontend source (build context): a Next.js app, i.e. a package.json that depends on next',
  }),
  BACKEND_DIR: z.string().register(docs, {
    group: 'sources',
    default: 'app/backend',
    doc: 'backend source (build context): a Python app with pyproject.toml, requirements.txt, uv.lock, setup.py or Pipfile',
  }),
  FRONTEND_DOCKERFILE: z.string().register(docs, {
    group: 'sources',
    default: 'frontend-docker/Dockerfile',
    doc: 'frontend Dockerfile',
  }),
  BACKEND_DOCKERFILE: z.string().register(docs, {
    group: 'sources',
    default: 'backend-docker/Dockerfile',
    doc: 'backend Dockerfile',
  }),
  NODE_IMAGE: imageRef().register(docs, {
    group: 'sources',
    default: 'node:24-slim',
    doc: 'frontend base image (build arg NODE_IMAGE); may be pinned: node:24-slim@sha256:<digest>',
  }),
  PYTHON_IMAGE: imageRef().register(docs, {
    group: 'sources',
    default: 'python:3.13-slim',
    doc: 'backend base image (build arg PYTHON_IMAGE)',
  }),
  BACKEND_DEPS_AS_OF: field((v): string | null => {
    if (v === '') return null
    // uv's --exclude-newer takes an RFC 3339 timestamp or a date
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) || Number.isNaN(Date.parse(v)))
      throw new Invalid('a date or an RFC 3339 time, e.g. 2026-01-02 or 2026-01-02T13:45:00Z')
    return v
  }).register(docs, {
    group: 'sources',
    default: '',
    doc: "a backend without a lock file (requirements.txt or pyproject ranges) installs the newest versions its ranges allowed at this time (build arg DEPS_AS_OF: uv pip install --exclude-newer), not today's, which may be newer than the app was written for; init sets it to the time of the backend's last commit (git)",
  }),
  BACKEND_DEPS_FROM: oneOf(['requirements', 'pyproject'] as const).register(docs, {
    group: 'sources',
    default: 'requirements',
    doc: "which dependency list the backend image installs (build arg DEPS_FROM): requirements (requirements.txt; a uv.lock first when there is one) or pyproject (pyproject.toml's [project] list, with pip); init sets pyproject when the app's own Dockerfile installs from it, its list holds every package requirements.txt names and more, or its uv.lock lacks a package the list declares",
  }),
  POSTGRES_IMAGE: imageRefParts().register(docs, {
    group: 'sources',
    default: 'postgres:17.7',
    doc: 'in-cluster PostgreSQL image (repository:tag, optionally @sha256:<digest>)',
  }),
  FRONTEND_AUTH_MIGRATE: field((v): AuthMigrate | null => {
    if (v === '') return null
    const m = /^better-auth:([\w.@()+/-]+)$/.exec(v)
    const file = m?.[1]
    if (!file || file.startsWith('/') || file.split('/').includes('..'))
      throw new Invalid(
        'better-auth:<the file that calls betterAuth(), relative to FRONTEND_DIR>, e.g. better-auth:lib/auth.ts',
      )
    return { tool: 'better-auth', config: file }
  }).register(docs, {
    group: 'sources',
    default: '',
    doc: "the frontend's migration when the app ships none: better-auth:<auth config file> builds the frontend image's auth-migrate target (Better Auth's own CLI, `migrate -y` on that file; for the Drizzle adapter, with the Drizzle schema's table and column names) as <FRONTEND_IMAGE>-migrate and runs it in the migration Job (init sets it)",
  }),
  FRONTEND_DB_DRIVER: oneOf(['pg', 'neon'] as const).register(docs, {
    group: 'sources',
    default: 'pg',
    doc: "how the frontend's server code reaches the database: pg (PostgreSQL's own protocol: pg, postgres.js, Kysely, Prisma, ...) or neon (Neon's serverless driver @neondatabase/serverless, which only speaks HTTPS and WebSocket to the database host: build and load also make <FRONTEND_IMAGE>-neon-proxy, and deploy runs it beside the in-cluster PostgreSQL with a certificate the frontend trusts; no effect with DATABASE_URL set) (init sets it)",
  }),
  FRONTEND_SIZE_BUDGET_MB: int(1, 100_000).register(docs, {
    group: 'sources',
    default: '60',
    doc: 'frontend image budget over its base image, MB (validate; for an app of yours, FRONTEND_DIR set, only when you set it)',
  }),
  BACKEND_SIZE_BUDGET_MB: int(1, 100_000).register(docs, {
    group: 'sources',
    default: '120',
    doc: 'backend image budget over its base image, MB (validate; for an app of yours, BACKEND_DIR set, only when you set it)',
  }),
  FRONTEND_LOCKFILE: oneOf(['auto', 'strict'] as const).register(docs, {
    group: 'sources',
    default: 'auto',
    doc: 'auto: a lock file that no longer matches package.json (or none at all) is installed without the frozen flag (npm install instead of npm ci), with a warning naming the drifted packages and the command that updates the lock file; strict: always the frozen install, which stops on a stale lock file',
  }),
  CLUSTER: oneOf(['minikube', 'existing'] as const).register(docs, {
    group: 'cluster',
    default: 'minikube',
    doc: 'minikube (setup starts it) or existing (current kubectl context)',
  }),
  LOAD_METHOD: z
    .enum(['', 'minikube', 'docker-env', 'none', 'kind', 'containerd', 'registry'], {
      error:
        `one of ${LOAD_METHODS_BY_CLUSTER.minikube.join(', ')} (CLUSTER=minikube) ` +
        `or ${LOAD_METHODS_BY_CLUSTER.existing.join(', ')} (CLUSTER=existing)`,
    })
    .register(docs, {
      group: 'cluster',
      default: '',
      shownDefault: 'by `CLUSTER`',
      doc: `minikube (build locally, then copy: one docker save loaded into the node's Docker on a one-node docker profile, else minikube image load) | docker-env (build straight into the minikube profile's own Docker: nothing to copy; needs the docker runtime) | none (docker-desktop) | kind | containerd | registry; default for CLUSTER=minikube: ${MINIKUBE_DEFAULT_LOAD_METHOD} when the profile runs the docker runtime (a new one is started with it), else minikube; none for existing`,
    }),
  CONTAINERD_ADDRESS: matching(/^[^-\s]/, 'a containerd socket path like /run/containerd/containerd.sock').register(
    docs,
    {
      group: 'cluster',
      default: '/run/containerd/containerd.sock',
      doc: 'containerd socket for LOAD_METHOD=containerd',
    },
  ),
  CONTAINERD_NAMESPACE: matching(/^[a-zA-Z0-9][\w.-]*$/, 'a containerd namespace like k8s.io').register(docs, {
    group: 'cluster',
    default: 'k8s.io',
    doc: 'containerd namespace the kubelet uses',
  }),
  KIND_CLUSTER: matching(/^[a-z0-9][a-z0-9.-]*$/, 'a kind cluster name').register(docs, {
    group: 'cluster',
    default: 'kind',
    doc: 'kind cluster name for LOAD_METHOD=kind',
  }),
  REGISTRY: registry.register(docs, {
    group: 'cluster',
    default: '',
    doc: 'registry host[:port][/path] for LOAD_METHOD=registry (images pushed there; credentials stay with docker login)',
  }),
  MINIKUBE_PROFILE: matching(/^[a-zA-Z0-9][\w.-]*$/, 'a profile name (letters, digits, - _ .)').register(docs, {
    group: 'cluster',
    default: 'todo',
    doc: 'minikube profile',
  }),
  MINIKUBE_DRIVER: matching(/^[a-z0-9][a-z0-9_-]*$/, 'a minikube driver name like docker').register(docs, {
    group: 'cluster',
    default: 'docker',
    doc: 'minikube driver (docker, podman, hyperkit, hyperv, kvm2, qemu, ...)',
  }),
  MINIKUBE_CPUS: int(1, 256).register(docs, { group: 'cluster', default: '2', doc: 'minikube CPUs' }),
  MINIKUBE_MEMORY: memorySize().register(docs, {
    group: 'cluster',
    default: '4096mb',
    doc: 'minikube memory (e.g. 4096mb, 6g), 1800mb to 1024g',
  }),
  MINIKUBE_K8S_VERSION: matching(
    /^(stable|latest|v?\d+\.\d+\.\d+)$/,
    'stable, latest or a version like v1.35.1',
  ).register(docs, {
    group: 'cluster',
    default: 'stable',
    doc: 'Kubernetes version for minikube (stable, latest or v1.x.y)',
  }),
  MINIKUBE_CONTAINER_RUNTIME: z
    .enum(['', 'docker', 'containerd', 'cri-o'], { error: 'one of docker, containerd, cri-o' })
    .register(docs, {
      group: 'cluster',
      default: '',
      shownDefault: "docker for docker-env, else minikube's",
      doc: "container runtime of a profile setup starts (`--container-runtime`): docker lets LOAD_METHOD=docker-env build in the node's Docker; containerd (minikube 1.39's default) and cri-o take images by `minikube image load`; a running profile keeps its own",
    }),
  MINIKUBE_NODES: int(1, 20).register(docs, {
    group: 'cluster',
    default: '1',
    doc: 'nodes of a profile setup starts (`--nodes`); with more than one, images go to every node by `minikube image load`, replicas spread over the nodes and PostgreSQL stays on the first (where minikube keeps its volume); a running profile keeps its own',
  }),
  MINIKUBE_CNI: matching(
    /^$|^(auto|bridge|calico|cilium|flannel|kindnet|false)$|^[\w./~-]+\.ya?ml$/,
    'auto, bridge, calico, cilium, flannel, kindnet, false or a CNI manifest path ending in .yaml',
  ).register(docs, {
    group: 'cluster',
    default: '',
    shownDefault: "minikube's choice",
    doc: 'minikube CNI (`--cni`) when setup starts the profile; NetworkPolicies are enforced only by one that implements them (calico, cilium); a running profile keeps its own',
  }),
  MINIKUBE_ADDONS: addons.register(docs, {
    group: 'cluster',
    default: 'ingress',
    doc: 'comma list of minikube addons (metrics-server is added when HPA_ENABLED=true)',
  }),
  ROUTING: z.enum(['', ...ROUTINGS], { error: `one of ${ROUTINGS.join(', ')}` }).register(docs, {
    group: 'app',
    default: '',
    shownDefault: '`ingress`',
    doc: 'how users reach the app: ingress (an Ingress of INGRESS_CLASS), gateway (a Gateway API HTTPRoute attached to the Gateway GATEWAY_NAME, which the cluster runs; no Ingress) or none (port-forward or NodePort only); both route INGRESS_HOST and the same paths; unset: ingress, or none with INGRESS_ENABLED=false',
  }),
  INGRESS_ENABLED: bool().register(docs, {
    group: 'app',
    default: 'true',
    doc: 'older spelling of ROUTING: false means ROUTING=none when ROUTING is unset (and contradicts ROUTING=ingress)',
  }),
  INGRESS_CLASS: dnsLabel(253).register(docs, { group: 'app', default: 'nginx', doc: 'IngressClass name' }),
  INGRESS_HOST: hostName().register(docs, {
    group: 'app',
    default: 'todo.local',
    doc: 'host name the Ingress (or, with ROUTING=gateway, the HTTPRoute) routes',
  }),
  GATEWAY_NAME: matching(/^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a lowercase Gateway name like eg').register(docs, {
    group: 'app',
    default: '',
    doc: 'the Gateway the HTTPRoute attaches to, required with ROUTING=gateway (kubectl get gateways.gateway.networking.k8s.io -A lists them)',
  }),
  GATEWAY_NAMESPACE: matching(/^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name like gateway-system').register(
    docs,
    {
      group: 'app',
      default: '',
      shownDefault: '`NAMESPACE`',
      doc: "the Gateway's namespace with ROUTING=gateway (its listener must allow routes from NAMESPACE)",
    },
  ),
  GATEWAY_SECTION: matching(/^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a listener name like https').register(docs, {
    group: 'app',
    default: '',
    shownDefault: 'every listener',
    doc: "the Gateway listener to attach to with ROUTING=gateway (sectionName), e.g. its HTTPS one: TLS is the listener's, so the kit sets no certificate",
  }),
  PUBLIC_URL: publicUrl.register(docs, {
    group: 'app',
    default: '',
    shownDefault: '`http://<INGRESS_HOST>`',
    doc: 'URL users open, scheme and host[:port] only (port 1 to 65535; no user or password) (default http://<INGRESS_HOST>); auth issuer and CORS origin',
  }),
  FRONTEND_REPLICAS: int(0, 100).register(docs, { group: 'app', default: '1', doc: 'frontend replicas' }),
  BACKEND_REPLICAS: int(0, 100).register(docs, { group: 'app', default: '1', doc: 'backend replicas' }),
  PUBLIC_HOST_IN_PODS: bool().register(docs, {
    group: 'app',
    default: 'false',
    doc: "give the frontend and backend pods an /etc/hosts line for INGRESS_HOST at the ingress controller's ClusterIP (minikube with ROUTING=ingress, where no DNS knows the host): for server code that calls the public URL, such as a next.config rewrite fixed to it by next build (init sets it then)",
  }),
  HPA_ENABLED: bool().register(docs, {
    group: 'app',
    default: 'false',
    doc: 'HorizontalPodAutoscalers for frontend and backend (needs metrics-server)',
  }),
  DEPLOY_TIMEOUT: duration('24h').register(docs, {
    group: 'app',
    default: '5m',
    doc: 'helm --wait timeout, 1s to 24h (e.g. 300s, 5m)',
  }),
  VALIDATE_TIMEOUT: duration('1h').register(docs, {
    group: 'app',
    default: '2m',
    doc: 'time validate waits for pods and endpoints, 1s to 1h',
  }),
  MINIKUBE_START_TIMEOUT: duration('2h').register(docs, {
    group: 'app',
    default: '10m',
    doc: 'time minikube start may take, 1s to 2h',
  }),
  HELM_VALUES_FILES: z.string().transform(commaList).register(docs, {
    group: 'app',
    default: '',
    doc: "comma list of extra Helm values files (applied before the kit's --set values): each a regular file of at most 1 MB holding a YAML mapping, with no secret value in it",
  }),
}
type Key = keyof typeof fields

// Every key the kit reads. `.env.example` and README's table are generated from these (npm run gen:config).
export const KEYS: KeySpec[] = (Object.keys(fields) as Key[]).map((key) => {
  const { secret, ...meta } = docs.get(fields[key])!
  return { key, secret: secret ?? false, ...meta }
})
export const secretKeys = KEYS.filter((k) => k.secret).map((k) => k.key) as (keyof Secrets)[]
const knownKeys = new Set<string>(KEYS.map((k) => k.key))
export const isKnownKey = (key: string): boolean => knownKeys.has(key)
export const isSecret = (key: string): boolean => (secretKeys as string[]).includes(key)

// Build-time public values: every NEXT_PUBLIC_* key is read as it is, rather than packed into one setting. They are
// the names the app's code and its own .env.local already use, Next.js itself reads them from the environment the
// same way, and a list of NAME=value pairs inside one .env value would need its own quoting.
export const PUBLIC_ENV_DOC: KeySpec = {
  key: 'NEXT_PUBLIC_*',
  default: '',
  secret: false,
  group: 'sources',
  doc: 'every key starting with NEXT_PUBLIC_ (e.g. NEXT_PUBLIC_API_URL=https://todo.example.com), from .env or the environment: passed to the frontend build as the build arg NEXT_PUBLIC_ENV for apps that read them at build time, and part of the image tag. Read by their own names rather than packed into one setting: the names the app code and next build use, no list quoting. Public by definition (baked into the browser bundle and shown in output): never put a secret in one',
}
/** KEYS and the NEXT_PUBLIC_* family (after NODE_IMAGE, the frontend's other build arg): the rows the docs show */
export const DOC_ROWS: KeySpec[] = KEYS.flatMap((k) => (k.key === 'NODE_IMAGE' ? [k, PUBLIC_ENV_DOC] : [k]))
