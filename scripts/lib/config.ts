// The kit's configuration: what every stage is given (Config), and loadConfig, which builds it from the environment,
// the .env file (env-file.ts) and each key's rule and default (config-keys.ts). Redaction lives in redact.ts (a
// redactor per configuration).
//
// Precedence: environment > .env file > defaults. Environment variables are read only for known keys, the keys
// APP_SECRETS names and NEXT_PUBLIC_* keys, so `PATH` & co. are never "unknown keys"; other keys inside the .env file
// produce a warning (cfg.warnings).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import {
  ENV_NAME,
  KEYS,
  fields,
  isKnownKey,
  isPublicEnvKey,
  isSecret,
  secretKeys,
  type AuthMigrate,
} from './config-keys.ts'
import { envFileWarnings, fixFor, readEnvFile } from './env-file.ts'
import { ConfigError, type ConfigSource } from './errors.ts'
import { checkLoadMethod, resolveLoadMethod, type ClusterKind, type LoadMethod } from './load-method.ts'
import { checkRouting, resolveRouting, type GatewayRef, type Routing } from './routing.ts'
import { checkAppPaths, relPath, repoRoot } from './project-paths.ts'
import { checkSecretsInUse, type ReadValues } from './secret-policy.ts'
import { checkValuesFiles } from './values-files.ts'
import { installArgs, installPlan } from './app/package-manager.ts'
import { Invalid, commaList, hideUserinfo, type ImageParts } from './value-rules.ts'

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
  /**
   * image size budget over its base image, MB (validate checks it); null: none, for an app of the user's whose
   * *_SIZE_BUDGET_MB is unset (the defaults are the kit's targets for its reference app: a user's own dependencies are
   * theirs to weigh, and a working app must not fail `up` over them)
   */
  sizeBudgetMb: number | null
  /** what build says before building this image, each a cause and a fix (the frontend's install decisions) */
  notes?: { cause: string; fix: string }[]
  /** the Dockerfile stage to build (docker build --target); unset builds the default (last) stage */
  target?: string
  /** an image of the kit's own beside the component's (neon-proxy): named so in messages */
  role?: string
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
  /** FRONTEND_AUTH_MIGRATE: the frontend's migration by its auth library's CLI, for an app that ships none */
  frontendMigrate: AuthMigrate | null
  /** FRONTEND_DB_DRIVER: neon runs the neon-proxy sidecar by the in-cluster PostgreSQL (images.ts neonProxySpec) */
  frontendDbDriver: 'pg' | 'neon'
  /** the in-cluster PostgreSQL's image (digest: pinned with @sha256:…) */
  postgresImage: ImageParts
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
    /** `--container-runtime` for a new profile: docker for docker-env, else MINIKUBE_CONTAINER_RUNTIME or null */
    containerRuntime: 'docker' | 'containerd' | 'cri-o' | null
    /** `--nodes` for a new profile */
    nodes: number
    /** MINIKUBE_ADDONS, plus metrics-server when hpa is on */
    addons: string[]
  }
  /** how users reach the app; ingress.enabled is routing === 'ingress' */
  routing: Routing
  ingress: { enabled: boolean; className: string; host: string }
  /** ROUTING=gateway: the Gateway the HTTPRoute attaches to, else null */
  gateway: GatewayRef | null
  /** the origin users open (default http://<ingress host>): auth issuer and CORS origin */
  publicUrl: string
  /** origins trusted besides publicUrl (chart extraOrigins); dev adds its port-forward's, no key sets it */
  extraOrigins: string[]
  replicas: { frontend: number; backend: number }
  /** HorizontalPodAutoscalers for frontend and backend */
  hpa: boolean
  /** PUBLIC_HOST_IN_PODS: the app pods resolve the public host to the ingress controller (public-host.ts) */
  publicHostInPods: boolean
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
  /** secret keys the environment sets to an empty value: it overrides .env, so requireSecrets blames the environment */
  emptyInEnv: string[]
}

export type LoadOptions = {
  /** environment to read (default process.env) */
  env?: NodeJS.ProcessEnv
  /** .env path; default $KIT_ENV_FILE or <root>/.env (a missing default file is fine, a missing named one is not) */
  envFile?: string
  /** project root, default the repo root */
  root?: string
  /**
   * check that source dirs (a Next.js and a Python app), Dockerfiles and the chart exist (default true; cleanup and
   * setup need none of them)
   */
  checkPaths?: boolean
  /** a named .env that is missing reads as empty: init's dry run, which would create it */
  envFileMayBeMissing?: boolean
}

// What loadConfig read besides the keys, and where.
type Context = ReadValues & {
  root: string
  emptyInEnv: string[]
  checkPaths: boolean
  envFile: string | null
  warnings: string[]
  /** the environment (where minikube keeps its profiles) */
  env: Record<string, string | undefined>
  /** FRONTEND_DIR/BACKEND_DIR set: the user's app, not the kit's reference app */
  ownApp: { frontend: boolean; backend: boolean }
  /** FRONTEND_SIZE_BUDGET_MB/BACKEND_SIZE_BUDGET_MB set (in the environment or the env file) */
  budgetSet: { frontend: boolean; backend: boolean }
}

// The keys' own rules (config-keys.ts), then the rules across keys, then the Config they make.
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
      checkArgvWords(ctx.values, issue)
      checkSecretsInUse(v, ctx, issue)
      checkLoadMethod(v, issue)
      checkRouting(v, issue)
      if (ctx.checkPaths) {
        checkAppPaths(v, ctx.root, issue)
        const secrets: Record<string, string | undefined> = { ...ctx.appValues }
        for (const k of secretKeys) secrets[k] = v[k]
        checkValuesFiles(v.HELM_VALUES_FILES, ctx.root, secrets, issue)
      }
    })
    .transform((v): Config => {
      const { method: loadMethod, why: loadMethodWhy } = resolveLoadMethod(v, ctx.env)
      const url = v.PUBLIC_URL ?? `http://${v.INGRESS_HOST}`
      const { routing, gateway } = resolveRouting(v)
      ctx.values.ROUTING = routing
      ctx.values.LOAD_METHOD = loadMethod
      ctx.values.PUBLIC_URL = url
      const minikubeAddons = [...v.MINIKUBE_ADDONS]
      if (v.HPA_ENABLED && !minikubeAddons.includes('metrics-server')) minikubeAddons.push('metrics-server')
      const secrets: Secrets = {}
      for (const k of secretKeys) if (v[k]) secrets[k] = v[k]
      const appSecrets: Record<string, string> = {}
      for (const name of v.APP_SECRETS) if (ctx.appValues[name]) appSecrets[name] = ctx.appValues[name]
      const publicNames = Object.keys(ctx.publicEnv).sort()
      const publicLines = publicNames.map((k) => `${k}=${ctx.publicEnv[k]}`).join('\n')
      if (secrets.DATABASE_URL && secrets.POSTGRES_PASSWORD) {
        const why = 'the in-cluster PostgreSQL is off'
        ctx.warnings.push(`POSTGRES_PASSWORD is ignored while DATABASE_URL is set (${why}); remove it to silence this`)
      }
      // how the image installs the app (package-manager.ts): the context becomes the workspace root when the lock file
      // is there, and the decision travels as build args, so --dry-run shows it and it is part of the tag. Only for a
      // Dockerfile that takes them (declares ARG PACKAGE_MANAGER, as frontend-docker's does): an app's own Dockerfile
      // expects the app dir and does its own install.
      const install = declaresArg(at(v.FRONTEND_DOCKERFILE), 'PACKAGE_MANAGER')
        ? installPlan(at(v.FRONTEND_DIR), { policy: v.FRONTEND_LOCKFILE, show: (p) => relPath(ctx.root, p) })
        : null
      const frontend: ImageSpec = {
        component: 'frontend',
        name: v.FRONTEND_IMAGE,
        contextDir: install?.root ?? at(v.FRONTEND_DIR),
        dockerfile: at(v.FRONTEND_DOCKERFILE),
        // NODE_IMAGE stays first (validate reads the base image from it); no NEXT_PUBLIC_ENV when there is nothing to
        // pass, so the tag of an app without public values stays what it was
        buildArgs: {
          NODE_IMAGE: v.NODE_IMAGE,
          ...(install ? installArgs(install) : {}),
          ...(publicNames.length ? { NEXT_PUBLIC_ENV: publicLines } : {}),
        },
        sizeBudgetMb: ctx.ownApp.frontend && !ctx.budgetSet.frontend ? null : v.FRONTEND_SIZE_BUDGET_MB,
        notes: install?.warnings ?? [],
      }
      const backend: ImageSpec = {
        component: 'backend',
        name: v.BACKEND_IMAGE,
        contextDir: at(v.BACKEND_DIR),
        dockerfile: at(v.BACKEND_DOCKERFILE),
        // only when set, so the tag of an app without it stays what it was
        buildArgs: {
          PYTHON_IMAGE: v.PYTHON_IMAGE,
          ...(v.BACKEND_DEPS_AS_OF ? { DEPS_AS_OF: v.BACKEND_DEPS_AS_OF } : {}),
          ...(v.BACKEND_DEPS_FROM === 'pyproject' ? { DEPS_FROM: 'pyproject' } : {}),
        },
        sizeBudgetMb: ctx.ownApp.backend && !ctx.budgetSet.backend ? null : v.BACKEND_SIZE_BUDGET_MB,
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
        frontendMigrate: v.FRONTEND_AUTH_MIGRATE,
        frontendDbDriver: v.FRONTEND_DB_DRIVER,
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
          containerRuntime: v.MINIKUBE_CONTAINER_RUNTIME || (loadMethod === 'docker-env' ? 'docker' : null),
          nodes: v.MINIKUBE_NODES,
          addons: minikubeAddons,
        },
        routing,
        ingress: { enabled: routing === 'ingress', className: v.INGRESS_CLASS, host: v.INGRESS_HOST },
        gateway,
        publicUrl: url,
        extraOrigins: [],
        replicas: { frontend: v.FRONTEND_REPLICAS, backend: v.BACKEND_REPLICAS },
        hpa: v.HPA_ENABLED,
        publicHostInPods: v.PUBLIC_HOST_IN_PODS,
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
        emptyInEnv: ctx.emptyInEnv,
      }
    })
}

/** whether a Dockerfile declares the build arg (`ARG NAME` or `ARG NAME=default`); an unreadable one declares none */
function declaresArg(dockerfile: string, name: string): boolean {
  try {
    return new RegExp(`^\\s*ARG\\s+${name}(=|\\s|$)`, 'm').test(readFileSync(dockerfile, 'utf8'))
  } catch {
    return false
  }
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const root = opts.root ?? repoRoot
  const file = readEnvFile(root, opts.envFile, env, { mayBeMissing: opts.envFileMayBeMissing })
  const { file: envFile, vars: fileVars } = file
  const envName = envFile ? relPath(root, envFile) : '.env'

  // the keys APP_SECRETS names are read like known ones (the schema rejects a malformed name, so skip those here)
  const appNames = commaList((env.APP_SECRETS ?? fileVars.APP_SECRETS ?? '').trim()).filter(
    (n) => ENV_NAME.test(n) && !isKnownKey(n) && !isPublicEnvKey(n),
  )
  const secretName = (key: string): boolean => isSecret(key) || appNames.includes(key)
  const { warnings, cut } = envFileWarnings(file, envName, appNames, env)

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
  // the app's secrets come from the env file only: a name in APP_SECRETS never carries a variable of the machine
  // (a CI token, a cloud key) into the cluster
  const appValues: Record<string, string> = {}
  for (const n of appNames) {
    sources[n] = fileVars[n] !== undefined ? 'file' : 'default'
    appValues[n] = fileVars[n]?.trim() ?? ''
    if (env[n] !== undefined && !appValues[n])
      warnings.push(
        `${n} is set in the environment but not read: the app's secrets (APP_SECRETS) come only from ${envName}`,
      )
  }
  const publicEnv: Record<string, string> = {}
  for (const k of new Set([...Object.keys(env), ...Object.keys(fileVars)])) {
    if (!isPublicEnvKey(k)) continue
    const v = read(k)
    // empty counts as unset, as for every key
    if (v) publicEnv[k] = v
  }

  checkSizes({ ...input, ...appValues, ...publicEnv }, secretName, sources, envName)
  const emptyInEnv = secretKeys.filter((k) => env[k] !== undefined && env[k]!.trim() === '')
  const ctx: Context = {
    root,
    emptyInEnv,
    checkPaths: opts.checkPaths ?? true,
    envFile,
    values,
    warnings,
    appValues,
    publicEnv,
    env,
    ownApp: { frontend: sources.FRONTEND_DIR !== 'default', backend: sources.BACKEND_DIR !== 'default' },
    budgetSet: {
      frontend: sources.FRONTEND_SIZE_BUDGET_MB !== 'default',
      backend: sources.BACKEND_SIZE_BUDGET_MB !== 'default',
    },
  }
  const result = configSchema(ctx).safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const key = String(issue.path[0] ?? 'config')
  const secret = secretName(key)
  const raw = secret ? undefined : ((issue as { params?: { got?: string } }).params?.got ?? input[key])
  // a value that holds a user:password@ is shown without the password
  const got = raw === undefined ? undefined : hideUserinfo(raw)
  const c = cut.get(key)
  const note =
    c && sources[key] === 'file'
      ? `; note: a '#' outside quotes in ${envName} cut it to ${c.read} of the ${c.typed} characters typed, quote it: ` +
        `${key}="..."`
      : ''
  const source = sources[key] ?? 'default'
  throw new ConfigError(key, issue.message + note, got, source, fixFor(key, source, envName))
}

// Values become command-line words, build args and manifest fields: one of megabytes is a mistake (and too large for
// a command line: spawn fails with E2BIG after setup has run), so each has a bound, checked before its rule.
const MAX_VALUE = 4096
const MAX_SECRET_VALUE = 64 * 1024
function checkSizes(
  values: Record<string, string | undefined>,
  secret: (key: string) => boolean,
  sources: Record<string, ConfigSource>,
  envName: string,
): void {
  for (const [key, v] of Object.entries(values)) {
    const max = secret(key) ? MAX_SECRET_VALUE : MAX_VALUE
    if (v === undefined || v.length <= max) continue
    const source = sources[key] ?? 'default'
    const expected = `a value of at most ${max} characters (has ${v.length}; value hidden)`
    throw new ConfigError(key, expected, undefined, source, fixFor(key, source, envName))
  }
}

// A value that is (or whose list items are) one word of a command line — a path, a socket, a name — and starts with
// '-' would be read by the tool as a flag (`ctr --address --help`).
function checkArgvWords(values: Record<string, string>, issue: (key: string, e: unknown) => void): void {
  for (const [key, value] of Object.entries(values)) {
    const word = commaList(value).find((w) => w.startsWith('-'))
    if (word === undefined) continue
    const expected = 'a value that does not start with "-" (it is passed to a command, which would read it as a flag)'
    issue(key, new Invalid(expected, word))
  }
}

/** `npm run up --dry-run`: npm keeps the flag for itself and tells the script through npm_config_dry_run. */
export const npmDryRun = (env: NodeJS.ProcessEnv = process.env): boolean =>
  /^(true|1)$/i.test(env.npm_config_dry_run ?? '')

/**
 * Variables that belong to other tools (AI assistants read their provider keys from the environment, not from the
 * kit's .env). Read here, beside the kit's own settings, rather than by each stage; callers report presence only.
 */
export function toolEnv(names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, process.env[n]]))
}
