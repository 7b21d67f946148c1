// The config module: defaults, every validation error (key name, what was expected, the fix by source), unknown-key
// warnings, precedence, secrets (strength, '#' truncation, in use or not), the first-run .env, and generated docs.
import { describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import * as config from '../../scripts/lib/config.ts'
import { loadConfig, type Config } from '../../scripts/lib/config.ts'
import { requireSecrets, secretData } from '../../scripts/lib/config-secrets.ts'
import { KEYS, secretKeys } from '../../scripts/lib/config-keys.ts'
import { ensureEnvFile } from '../../scripts/lib/env-file.ts'
import { ConfigError } from '../../scripts/lib/errors.ts'
import { MINIKUBE_DEFAULT_LOAD_METHOD } from '../../scripts/lib/load-method.ts'
import { PUBLIC_URL_PATTERN } from '../../scripts/lib/value-rules.ts'
import { createRedactor } from '../../scripts/lib/redact.ts'
import { createContext } from '../../scripts/lib/stage.ts'
import { CONFIG_DOC, envExample, withTable } from '../../scripts/gen-config-docs.ts'
import { root } from './harness.ts'
import { catchConfigError, configFrom } from './config-support.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kit-config-'))
const noFile = path.join(tmp, 'none.env')
writeFileSync(noFile, '')
const load = (env: Record<string, string> = {}, file = ''): Config => configFrom(file, env)
const catchError = catchConfigError
const error = (env: Record<string, string>, file = ''): ConfigError => catchError(() => load(env, file))

// realistic values that pass every rule
const GOOD = {
  BETTER_AUTH_SECRET: 'kQ3v9Zp1Lr7Xw2Mn5Bt8Yc4Hd6Jf0Gs1Ae3Ui5Oo7=',
  POSTGRES_PASSWORD: '3f9a1c2b7d4e8f60a1b2c3d4',
  OPENAI_API_KEY: 'sk-proj-4fJ9kL2mN8pQ1rS7tU3v',
  DATABASE_URL: 'postgresql://app:Db-Pass-9x7Q2w@db.example.com:5432/todo',
}

describe('defaults', () => {
  it('gives every non-secret key a working default', () => {
    const c = load()
    expect(c).toMatchObject({
      namespace: 'todo',
      release: 'todo',
      secretName: 'todo-secrets',
      chartDir: path.join(root, 'helm/todo-chatbot'),
      cluster: 'minikube',
      loadMethod: 'docker-env',
      loadMethodWhy: 'no profile todo yet: setup starts it with the docker runtime',
      registry: null,
      containerd: { address: '/run/containerd/containerd.sock', namespace: 'k8s.io' },
      kindCluster: 'kind',
      minikube: {
        profile: 'todo',
        driver: 'docker',
        cpus: 2,
        memory: '4096mb',
        kubernetesVersion: 'stable',
        addons: ['ingress'],
      },
      ingress: { enabled: true, className: 'nginx', host: 'todo.local' },
      publicUrl: 'http://todo.local',
      replicas: { frontend: 1, backend: 1 },
      hpa: false,
      timeouts: {
        deploy: '5m',
        deployMs: 300_000,
        validate: '2m',
        validateMs: 120_000,
        minikubeStart: '10m',
        minikubeStartMs: 600_000,
      },
      helmValuesFiles: [],
      externalDatabase: false,
      postgresImage: { repository: 'postgres', tag: '17.7' },
      secrets: {},
      warnings: [],
    })
    expect(c.frontend).toEqual({
      component: 'frontend',
      name: 'todo-frontend',
      contextDir: path.join(root, 'app/frontend'),
      dockerfile: path.join(root, 'frontend-docker/Dockerfile'),
      // the install the kit decided for the reference app (scripts/lib/app/package-manager.ts)
      buildArgs: { NODE_IMAGE: 'node:24-slim', PACKAGE_MANAGER: 'npm', INSTALL_MODE: 'frozen' },
      sizeBudgetMb: 60,
      notes: [],
    })
    expect(c.backend).toEqual({
      component: 'backend',
      name: 'todo-backend',
      contextDir: path.join(root, 'app/backend'),
      dockerfile: path.join(root, 'backend-docker/Dockerfile'),
      buildArgs: { PYTHON_IMAGE: 'python:3.13-slim' },
      sizeBudgetMb: 120,
    })
  })

  it("image size budgets: the reference app's by default; an app of the user's only the ones they set", () => {
    expect([load().frontend.sizeBudgetMb, load().backend.sizeBudgetMb]).toEqual([60, 120])
    const own = load({}, 'FRONTEND_DIR=../web\nBACKEND_DIR=../api\n')
    expect([own.frontend.sizeBudgetMb, own.backend.sizeBudgetMb]).toEqual([null, null])
    const held = load(
      { BACKEND_SIZE_BUDGET_MB: '300' },
      'FRONTEND_DIR=../web\nBACKEND_DIR=../api\nFRONTEND_SIZE_BUDGET_MB=90\n',
    )
    expect([held.frontend.sizeBudgetMb, held.backend.sizeBudgetMb]).toEqual([90, 300])
  })

  it('the project itself passes the path checks (a Next.js frontend, a Python backend)', () => {
    expect(loadConfig({ env: {}, envFile: noFile }).frontend.contextDir).toBe(path.join(root, 'app/frontend'))
  })

  it('derives: existing cluster loads nothing by default, HPA adds metrics-server, PUBLIC_URL follows INGRESS_HOST, DATABASE_URL turns the in-cluster database off', () => {
    expect(load({ CLUSTER: 'existing' }).loadMethod).toBe('none')
    expect(load({ HPA_ENABLED: 'true' }).minikube.addons).toEqual(['ingress', 'metrics-server'])
    expect(load({ INGRESS_HOST: 'app.test' }).publicUrl).toBe('http://app.test')
    expect(load({ PUBLIC_URL: 'https://todo.example.com/' }).publicUrl).toBe('https://todo.example.com')
    expect(load({ DATABASE_URL: GOOD.DATABASE_URL }).externalDatabase).toBe(true)
  })

  it('the environment overrides .env; .env overrides defaults', () => {
    expect(load({}, 'NAMESPACE=from-file\n').namespace).toBe('from-file')
    expect(load({ NAMESPACE: 'from-env' }, 'NAMESPACE=from-file\n').namespace).toBe('from-env')
  })

  it('warns about unknown keys in .env and ignores unrelated environment variables', () => {
    const c = load({ PATH: '/usr/bin', SOMETHING_ELSE: '1' }, 'NAMESPCE=typo\nNAMESPACE=ok\n')
    expect(c.warnings).toEqual([
      expect.stringMatching(/^unknown key NAMESPCE in .*\.env is ignored \(see \.env\.example for the keys\)$/),
    ])
  })

  it('an explicit env file that does not exist is an error with the fix', () => {
    expect(() => loadConfig({ env: {}, envFile: path.join(tmp, 'missing.env'), checkPaths: false })).toThrow(
      /KIT_ENV_FILE=.* is invalid: expected an existing \.env file .*cp \.env\.example \.env/,
    )
  })

  it('reads .env relative to the root when no file is named', () => {
    const r = mkdtempSync(path.join(os.tmpdir(), 'kit-root-'))
    writeFileSync(path.join(r, '.env'), 'RELEASE=rooted\n')
    expect(loadConfig({ env: {}, root: r, checkPaths: false }).release).toBe('rooted')
    expect(loadConfig({ env: {}, root: tmp, checkPaths: false }).envFile).toBeNull()
  })
})

describe('validation: each malformed value names its key and what was expected', () => {
  const cases: [string, string, RegExp][] = [
    ['NAMESPACE', 'Todo_App', /NAMESPACE="Todo_App" is invalid: expected a lowercase DNS name/],
    ['RELEASE', 'x'.repeat(54), /RELEASE=.* is invalid: expected a lowercase DNS name .*at most 53/],
    ['SECRET_NAME', 'My Secret', /SECRET_NAME=.* expected a lowercase DNS name/],
    ['FRONTEND_IMAGE', 'Todo:latest', /FRONTEND_IMAGE="Todo:latest" is invalid: expected an image name without tag/],
    ['NODE_IMAGE', 'node 24', /NODE_IMAGE="node 24" is invalid: expected an image reference/],
    ['POSTGRES_IMAGE', 'postgres:', /POSTGRES_IMAGE=.* expected an image reference/],
    [
      'FRONTEND_SIZE_BUDGET_MB',
      '60MB',
      /FRONTEND_SIZE_BUDGET_MB="60MB" is invalid: expected a whole number from 1 to 100000/,
    ],
    ['CLUSTER', 'kind', /CLUSTER="kind" is invalid: expected one of minikube, existing/],
    [
      'LOAD_METHOD',
      'scp',
      /LOAD_METHOD="scp" is invalid: expected one of minikube, docker-env, registry \(CLUSTER=minikube\)/,
    ],
    ['MINIKUBE_CPUS', 'two', /MINIKUBE_CPUS="two" is invalid: expected a whole number from 1 to 256/],
    ['MINIKUBE_MEMORY', '4 GB', /MINIKUBE_MEMORY="4 GB" is invalid: expected a size like 4096mb or 6g/],
    ['MINIKUBE_K8S_VERSION', '1.34', /MINIKUBE_K8S_VERSION="1.34" is invalid: expected stable, latest or a version/],
    ['MINIKUBE_PROFILE', '-x', /MINIKUBE_PROFILE=.* expected a profile name/],
    ['MINIKUBE_DRIVER', 'Docker Desktop', /MINIKUBE_DRIVER=.* expected a minikube driver name/],
    ['MINIKUBE_ADDONS', 'ingress,Metrics Server', /MINIKUBE_ADDONS="Metrics Server" is invalid/],
    ['INGRESS_ENABLED', 'maybe', /INGRESS_ENABLED="maybe" is invalid: expected true or false/],
    ['INGRESS_CLASS', 'NGINX', /INGRESS_CLASS=.* expected a lowercase DNS name/],
    ['INGRESS_HOST', 'http://todo.local', /INGRESS_HOST=.* expected a lowercase host name like todo.local/],
    ['PUBLIC_URL', 'todo.local', /PUBLIC_URL="todo.local" is invalid: expected an http\(s\) origin/],
    ['PUBLIC_URL', 'ftp://todo.local', /PUBLIC_URL=.* expected an http\(s\) origin/],
    ['FRONTEND_REPLICAS', '-1', /FRONTEND_REPLICAS="-1" is invalid: expected a whole number from 0 to 100/],
    ['BACKEND_REPLICAS', '1.5', /BACKEND_REPLICAS=.* whole number/],
    ['HPA_ENABLED', 'y', /HPA_ENABLED="y" is invalid: expected true or false/],
    ['DEPLOY_TIMEOUT', '5', /DEPLOY_TIMEOUT="5" is invalid: expected a duration like 90s, 5m or 1h/],
    ['VALIDATE_TIMEOUT', '2 minutes', /VALIDATE_TIMEOUT=.* expected a duration/],
    ['MINIKUBE_START_TIMEOUT', '-1s', /MINIKUBE_START_TIMEOUT=.* expected a duration/],
    ['CONTAINERD_ADDRESS', '', /CONTAINERD_ADDRESS="" is invalid: expected a containerd socket path/],
    ['CONTAINERD_NAMESPACE', 'k8s io', /CONTAINERD_NAMESPACE=.* expected a containerd namespace/],
    ['KIND_CLUSTER', 'My Cluster', /KIND_CLUSTER=.* expected a kind cluster name/],
    ['REGISTRY', 'https://localhost:5000', /REGISTRY=.* expected a registry like localhost:5000/],
    ['ROUTING', 'gateway-api', /ROUTING="gateway-api" is invalid: expected one of ingress, gateway, none/],
    ['GATEWAY_NAME', 'My Gateway', /GATEWAY_NAME=.* expected a lowercase Gateway name like eg/],
    ['GATEWAY_NAMESPACE', 'gateway.system', /GATEWAY_NAMESPACE=.* expected a namespace name like gateway-system/],
    ['GATEWAY_SECTION', 'HTTPS', /GATEWAY_SECTION=.* expected a listener name like https/],
    [
      'FRONTEND_AUTH_MIGRATE',
      'lib/auth.ts',
      /FRONTEND_AUTH_MIGRATE=.* expected better-auth:<the file that calls betterAuth\(\)/,
    ],
    ['FRONTEND_AUTH_MIGRATE', 'better-auth:../auth.ts', /FRONTEND_AUTH_MIGRATE=.* relative to FRONTEND_DIR/],
    ['FRONTEND_AUTH_MIGRATE', 'better-auth:/app/lib/auth.ts', /FRONTEND_AUTH_MIGRATE=.* relative to FRONTEND_DIR/],
    ['FRONTEND_AUTH_MIGRATE', 'better-auth:lib/a"uth.ts', /FRONTEND_AUTH_MIGRATE=.* expected better-auth:/],
    ['FRONTEND_DB_DRIVER', 'postgres', /FRONTEND_DB_DRIVER="postgres" is invalid: expected one of pg, neon/],
    ['BACKEND_DEPS_AS_OF', '02/01/2026', /BACKEND_DEPS_AS_OF=.* expected a date or an RFC 3339 time/],
    ['BACKEND_DEPS_AS_OF', '2026-13-45', /BACKEND_DEPS_AS_OF=.* expected a date or an RFC 3339 time/],
    ['BACKEND_DEPS_AS_OF', '2026-01-02 10:00', /BACKEND_DEPS_AS_OF=.* expected a date or an RFC 3339 time/],
    [
      'BACKEND_DEPS_FROM',
      'pyproject.toml',
      /BACKEND_DEPS_FROM="pyproject.toml" is invalid: expected one of requirements, pyproject/,
    ],
  ]
  it.each(cases)('%s=%s', (key, value, msg) => {
    const e = error({ [key]: value })
    expect(e.key).toBe(key)
    expect(e.message).toMatch(msg)
  })

  it('BACKEND_DEPS_AS_OF: the backend build arg DEPS_AS_OF when set; unset, no arg (the tag stays what it was)', () => {
    expect(load({}).backend.buildArgs).toEqual({ PYTHON_IMAGE: 'python:3.13-slim' })
    for (const v of ['2026-01-02', '2026-01-02T13:45:00Z', '2026-01-02T13:45:00+05:00'])
      expect(load({ BACKEND_DEPS_AS_OF: v }).backend.buildArgs).toEqual({
        PYTHON_IMAGE: 'python:3.13-slim',
        DEPS_AS_OF: v,
      })
  })

  it('BACKEND_DEPS_FROM=pyproject: the backend build arg DEPS_FROM; requirements (the default), no arg', () => {
    expect(load({ BACKEND_DEPS_FROM: 'pyproject' }).backend.buildArgs).toEqual({
      PYTHON_IMAGE: 'python:3.13-slim',
      DEPS_FROM: 'pyproject',
    })
    expect(load({ BACKEND_DEPS_FROM: 'requirements' }).backend.buildArgs).toEqual({ PYTHON_IMAGE: 'python:3.13-slim' })
  })

  it('FRONTEND_AUTH_MIGRATE: unset is null, better-auth:<file> the tool and the config path', () => {
    expect(load({}).frontendMigrate).toBeNull()
    expect(load({ FRONTEND_AUTH_MIGRATE: 'better-auth:src/lib/auth.ts' }).frontendMigrate).toEqual({
      tool: 'better-auth',
      config: 'src/lib/auth.ts',
    })
  })

  it('LOAD_METHOD must fit the cluster kind', () => {
    expect(error({ LOAD_METHOD: 'kind' }).message).toMatch(
      /LOAD_METHOD="kind" is invalid: expected one of minikube, docker-env, registry$/,
    )
    expect(error({ CLUSTER: 'existing', LOAD_METHOD: 'minikube' }).message).toMatch(
      /expected one of none, kind, containerd, registry/,
    )
    expect(load({ LOAD_METHOD: 'docker-env' }).loadMethod).toBe('docker-env')
    // docker-env borrows a minikube profile's Docker: on another cluster there is none, and the fix names the key
    const e = error({ CLUSTER: 'existing', LOAD_METHOD: 'docker-env' })
    expect(e.key).toBe('LOAD_METHOD')
    expect(e.message).toMatch(
      /LOAD_METHOD="docker-env" is invalid: expected one of none, kind, containerd, registry: docker-env builds into a minikube profile's own Docker, so it needs CLUSTER=minikube/,
    )
    expect(e.fix).toBe(
      'unset LOAD_METHOD or export LOAD_METHOD=<...> (it comes from the environment, which overrides .env)',
    )
    const inFile = error({}, 'CLUSTER=existing\nLOAD_METHOD=docker-env\n')
    expect(inFile.fix).toMatch(/^edit LOAD_METHOD in \S+ \(documented in \.env\.example\)$/)
  })

  it('ROUTING: unset keeps INGRESS_ENABLED; gateway needs GATEWAY_NAME and defaults its namespace to NAMESPACE', () => {
    expect(load({})).toMatchObject({ routing: 'ingress', ingress: { enabled: true }, gateway: null })
    expect(load({ INGRESS_ENABLED: 'false' })).toMatchObject({ routing: 'none', ingress: { enabled: false } })
    expect(load({ ROUTING: 'none' }).ingress.enabled).toBe(false)
    expect(load({ ROUTING: 'gateway', GATEWAY_NAME: 'eg', NAMESPACE: 'apps' })).toMatchObject({
      routing: 'gateway',
      ingress: { enabled: false },
      gateway: { name: 'eg', namespace: 'apps', section: null },
    })
    expect(
      load({ ROUTING: 'gateway', GATEWAY_NAME: 'eg', GATEWAY_NAMESPACE: 'gw', GATEWAY_SECTION: 'https' }).gateway,
    ).toEqual({ name: 'eg', namespace: 'gw', section: 'https' })
    // the printable values show what was decided
    expect(load({ INGRESS_ENABLED: 'false' }).values.ROUTING).toBe('none')
    const missing = error({ ROUTING: 'gateway' })
    expect(missing.key).toBe('GATEWAY_NAME')
    expect(missing.message).toMatch(
      /^GATEWAY_NAME="" is invalid: expected the name of the Gateway the HTTPRoute attaches to when ROUTING=gateway/,
    )
    const contradiction = error({ ROUTING: 'ingress', INGRESS_ENABLED: 'false' })
    expect(contradiction.key).toBe('INGRESS_ENABLED')
    expect(contradiction.message).toMatch(/older spelling of ROUTING=none\): remove INGRESS_ENABLED/)
  })

  it("unset on minikube, LOAD_METHOD follows minikube's record of the profile: docker-env on the docker runtime (or no profile yet), image load otherwise", () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'kit-mk-home-'))
    const profile = (name: string, conf: object): void => {
      mkdirSync(path.join(home, '.minikube', 'profiles', name), { recursive: true })
      writeFileSync(path.join(home, '.minikube', 'profiles', name, 'config.json'), JSON.stringify(conf))
    }
    const picked = (env: Record<string, string>) => {
      const c = load({ HOME: home, ...env })
      return [c.loadMethod, c.loadMethodWhy]
    }
    expect(picked({})).toEqual([
      MINIKUBE_DEFAULT_LOAD_METHOD,
      'no profile todo yet: setup starts it with the docker runtime',
    ])
    // a new profile on another runtime, or with several nodes, takes its images by minikube image load
    expect(picked({ MINIKUBE_CONTAINER_RUNTIME: 'containerd' })).toEqual([
      'minikube',
      'no profile todo yet: setup starts it on containerd',
    ])
    expect(picked({ MINIKUBE_NODES: '2' })).toEqual(['minikube', 'no profile todo yet: setup starts it with 2 nodes'])
    expect(error({ LOAD_METHOD: 'docker-env', MINIKUBE_CONTAINER_RUNTIME: 'cri-o' }).message).toMatch(
      /LOAD_METHOD="docker-env" is invalid: expected minikube \(or unset\) with MINIKUBE_CONTAINER_RUNTIME=cri-o: docker-env needs the docker runtime/,
    )
    expect(error({ LOAD_METHOD: 'docker-env', MINIKUBE_NODES: '3' }).message).toMatch(
      /with MINIKUBE_NODES=3: docker-env builds into one node's Docker, and pods on the others would lack the image/,
    )
    expect(error({ MINIKUBE_NODES: '0' }).key).toBe('MINIKUBE_NODES')
    expect(error({ MINIKUBE_CONTAINER_RUNTIME: 'rkt' }).message).toMatch(/one of docker, containerd, cri-o/)
    profile('todo', { Driver: 'docker', Nodes: [{}], KubernetesConfig: { ContainerRuntime: 'docker' } })
    expect(picked({})).toEqual(['docker-env', 'profile todo runs the docker runtime'])
    profile('cd', { Driver: 'docker', Nodes: [{}], KubernetesConfig: { ContainerRuntime: 'containerd' } })
    expect(picked({ MINIKUBE_PROFILE: 'cd' })).toEqual(['minikube', 'profile cd runs containerd, not docker'])
    profile('multi', { Driver: 'docker', Nodes: [{}, {}], KubernetesConfig: { ContainerRuntime: 'docker' } })
    expect(picked({ MINIKUBE_PROFILE: 'multi' })).toEqual(['minikube', 'profile multi has 2 nodes'])
    profile('bare', { Driver: 'none', KubernetesConfig: { ContainerRuntime: 'docker' } })
    expect(picked({ MINIKUBE_PROFILE: 'bare' })).toEqual(['minikube', 'profile bare uses the none driver'])
    mkdirSync(path.join(home, '.minikube', 'profiles', 'broken'), { recursive: true })
    writeFileSync(path.join(home, '.minikube', 'profiles', 'broken', 'config.json'), '{not json')
    expect(picked({ MINIKUBE_PROFILE: 'broken' })[0]).toBe('minikube')
    // MINIKUBE_HOME: used as is when it ends in .minikube, else minikube appends .minikube (so does the kit)
    expect(picked({ MINIKUBE_HOME: path.join(home, '.minikube'), MINIKUBE_PROFILE: 'cd' })[0]).toBe('minikube')
    expect(picked({ MINIKUBE_HOME: home, MINIKUBE_PROFILE: 'cd' })[0]).toBe('minikube')
    expect(picked({ MINIKUBE_HOME: path.join(home, 'elsewhere'), MINIKUBE_PROFILE: 'cd' })[0]).toBe('docker-env')
    // chosen, it is never second-guessed; other clusters do not look at minikube at all
    expect(picked({ MINIKUBE_PROFILE: 'cd', LOAD_METHOD: 'docker-env' })).toEqual(['docker-env', null])
    expect(picked({ MINIKUBE_PROFILE: 'todo', LOAD_METHOD: 'minikube' })).toEqual(['minikube', null])
    expect(picked({ CLUSTER: 'existing' })).toEqual(['none', null])
    expect(KEYS.find((k) => k.key === 'LOAD_METHOD')?.doc).toContain(
      `default for CLUSTER=minikube: ${MINIKUBE_DEFAULT_LOAD_METHOD} when the profile runs the docker runtime`,
    )
    expect(error({ CLUSTER: 'existing', LOAD_METHOD: 'registry' }).message).toMatch(
      /REGISTRY="" is invalid: expected a registry like localhost:5000 when LOAD_METHOD=registry/,
    )
  })

  it('paths that do not exist', () => {
    const run = (env: Record<string, string>): string => {
      try {
        loadConfig({ env, envFile: noFile })
      } catch (e) {
        return (e as Error).message
      }
      return ''
    }
    expect(run({ FRONTEND_DIR: 'no/such/dir', FRONTEND_DOCKERFILE: noFile, BACKEND_DOCKERFILE: noFile })).toMatch(
      /^FRONTEND_DIR="no\/such\/dir" is invalid: expected an existing directory \(looked for .*no\/such\/dir\)/,
    )
    expect(run({ CHART_DIR: 'nope' })).toMatch(/^CHART_DIR="nope" is invalid: expected an existing directory/)
    expect(run({ HELM_VALUES_FILES: 'a.yaml', FRONTEND_DOCKERFILE: noFile, BACKEND_DOCKERFILE: noFile })).toMatch(
      /HELM_VALUES_FILES="a.yaml" is invalid: expected an existing file/,
    )
    expect(run({ BACKEND_DOCKERFILE: tmp, FRONTEND_DOCKERFILE: noFile })).toMatch(
      /BACKEND_DOCKERFILE=.* expected an existing file/,
    )
  })

  it('a malformed DATABASE_URL is reported without its value', () => {
    const e = error({ DATABASE_URL: 'mysql://root:hunter2-long@db/x' })
    expect(e.message).toBe(
      'DATABASE_URL is invalid: expected a URL like postgresql://user:pass@host:5432/db, with a host and a database (value hidden)',
    )
    expect(e.message).not.toContain('hunter2')
  })

  it('requireSecrets: the secrets deploy needs are set, never echoing values', () => {
    const msg = (env: Record<string, string>): string => {
      try {
        requireSecrets(load(env))
        return ''
      } catch (e) {
        return (e as Error).message
      }
    }
    expect(msg({})).toMatch(
      /^BETTER_AUTH_SECRET is invalid: expected a random string of at least 32 characters in \.env, e\.g\. from: openssl rand -base64 32$/,
    )
    expect(msg({ BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET })).toMatch(
      /^POSTGRES_PASSWORD is invalid: expected a password in \.env/,
    )
    expect(msg({ BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET, POSTGRES_PASSWORD: 'Abc-123_x.y~z-Q9w8' })).toBe('')
    expect(msg({ BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET, DATABASE_URL: GOOD.DATABASE_URL })).toBe('')
  })
})

describe('durations are bounded (a huge one overflowed setTimeout: helm was killed after 1 ms)', () => {
  it.each([
    ['DEPLOY_TIMEOUT', '1000h', '24h'],
    ['DEPLOY_TIMEOUT', '25h', '24h'],
    ['DEPLOY_TIMEOUT', '0s', '24h'],
    ['DEPLOY_TIMEOUT', '500ms', '24h'],
    ['VALIDATE_TIMEOUT', '61m', '1h'],
    ['VALIDATE_TIMEOUT', '99999999999h', '1h'],
    ['MINIKUBE_START_TIMEOUT', '3h', '2h'],
    ['MINIKUBE_START_TIMEOUT', '0m', '2h'],
  ])('%s=%s is out of range', (key, value, max) => {
    const e = error({ [key]: value })
    expect(e.key).toBe(key)
    expect(e.message).toBe(`${key}="${value}" is invalid: expected a duration like 90s, 5m or 1h, from 1s to ${max}`)
  })

  it('the bounds themselves are accepted, and fit in a timer', () => {
    const c = load({ DEPLOY_TIMEOUT: '24h', VALIDATE_TIMEOUT: '3600s', MINIKUBE_START_TIMEOUT: '1s' })
    expect(c.timeouts).toMatchObject({ deployMs: 86_400_000, validateMs: 3_600_000, minikubeStartMs: 1000 })
    expect(c.timeouts.deployMs).toBeLessThan(2 ** 31 - 1)
  })
})

describe('the env file path', () => {
  it('a directory is a clean ConfigError, not EISDIR', () => {
    const e = catchError(() => loadConfig({ env: {}, envFile: tmp, checkPaths: false }))
    expect(e.key).toBe('KIT_ENV_FILE')
    expect(e.message).toMatch(/^KIT_ENV_FILE=".*" is invalid: expected a \.env file, not a directory/)
    const fromEnv = catchError(() => loadConfig({ env: { KIT_ENV_FILE: tmp }, checkPaths: false }))
    expect(fromEnv.source).toBe('env')
    expect(fromEnv.fix).toMatch(/export KIT_ENV_FILE=/)
  })

  it('an empty path is a ConfigError (it used to resolve to the project directory)', () => {
    for (const opts of [{ env: {}, envFile: '' }, { env: { KIT_ENV_FILE: '' } }]) {
      const e = catchError(() => loadConfig({ ...opts, root: tmp, checkPaths: false }))
      expect(e.key).toBe('KIT_ENV_FILE')
      expect(e.message).toBe('KIT_ENV_FILE="" is invalid: expected a path to a .env file, not an empty string')
    }
  })

  // /proc/self/mem is a regular file that no one can read from offset 0 (EIO), even root, unlike a chmod 000 file
  it.runIf(process.platform === 'linux')('an unreadable file is a ConfigError naming the error', () => {
    const e = catchError(() => loadConfig({ env: {}, envFile: '/proc/self/mem', checkPaths: false }))
    expect(e.key).toBe('KIT_ENV_FILE')
    expect(e.message).toMatch(
      /^KIT_ENV_FILE="\/proc\/self\/mem" is invalid: expected a readable \.env file \(\/proc\/self\/mem: E[A-Z]+\)$/,
    )
  })
})

describe("a '#' outside quotes cuts a secret short (dotenv starts a comment there)", () => {
  it('dotenv 17 ends an unquoted value at any #, with or without a space before it', () => {
    expect(parseDotenv('K=abc #def\nL=abc#def\nM="abc#def"\n')).toEqual({ K: 'abc', L: 'abc', M: 'abc#def' })
  })

  it('warns with the lengths typed and read, and how to quote it, never the value', () => {
    const c = load({}, 'OPENAI_API_KEY=sk-abcdefgh#ijklmnop\n')
    expect(c.secrets.OPENAI_API_KEY).toBe('sk-abcdefgh')
    expect(c.warnings).toEqual([
      expect.stringMatching(
        /^OPENAI_API_KEY in .*\.env has a '#' outside quotes: only the 11 characters before it are read, of the 20 typed .*quote it: OPENAI_API_KEY="\.\.\."$/,
      ),
    ])
    expect(c.warnings.join('\n')).not.toMatch(/abcdefgh|ijklmnop/)
    const spaced = load({}, `OPENAI_API_KEY=${GOOD.OPENAI_API_KEY} #x9\n`)
    const n = GOOD.OPENAI_API_KEY.length
    expect(spaced.warnings[0]).toContain(`only the ${n} characters before it are read, of the ${n + 4} typed`)
  })

  it('a quoted value, a value without #, or one the environment overrides is not warned about', () => {
    expect(
      load({}, `OPENAI_API_KEY="sk-abcdefgh#ijklmnop"\nBETTER_AUTH_SECRET='${GOOD.BETTER_AUTH_SECRET}#x'\n`).warnings,
    ).toEqual([])
    expect(load({ OPENAI_API_KEY: GOOD.OPENAI_API_KEY }, 'OPENAI_API_KEY=sk-abcdefgh#ijklmnop\n').warnings).toEqual([])
  })

  it('when the cut value is then rejected, the error says why it is short', () => {
    const e = error({}, `BETTER_AUTH_SECRET=aB3dE5gH7jK9#mN1pQ3sT5vX7zA9cE1gI3kM5\n`)
    expect(e.message).toMatch(
      /^BETTER_AUTH_SECRET is invalid: expected at least 32 characters \(has 12; value hidden\).*a '#' outside quotes in .*\.env cut it to 12 of the 37 characters typed, quote it: BETTER_AUTH_SECRET="\.\.\."$/,
    )
    expect(e.message).not.toContain('aB3dE5')
  })
})

describe('PUBLIC_URL follows the chart (values.schema.json publicUrl)', () => {
  const schema = JSON.parse(readFileSync(path.join(root, 'helm/todo-chatbot/values.schema.json'), 'utf8')) as {
    properties: { publicUrl: { pattern: string } }
  }
  const chart = new RegExp(schema.properties.publicUrl.pattern)

  it('uses the chart pattern', () => {
    expect(PUBLIC_URL_PATTERN.source).toBe(chart.source)
  })

  it.each([
    'https://example.com/todo',
    'https://a.example.com,https://b.example.com',
    'https://todo.example.com\nhttps://x.example.com',
    'http://todo.local/?x=1',
    'https://user:pw@todo.example.com',
    'https://todo.example.com#top',
  ])('rejects %j (the chart would, or it is no origin)', (url) => {
    const e = error({ PUBLIC_URL: url })
    expect(e.key).toBe('PUBLIC_URL')
    expect(e.message).toMatch(/expected an http\(s\) origin like https:\/\/todo\.example\.com/)
  })

  it.each(['http://todo.local', 'https://todo.example.com/', 'http://192.168.49.2:8080'])(
    'accepts %s, and the chart accepts what the kit passes',
    (url) => {
      const c = load({ PUBLIC_URL: url })
      expect(c.publicUrl).toMatch(chart)
    },
  )
})

describe('secrets: strength, checked at load time for every stage, values never shown', () => {
  it.each([
    ['OPENAI_API_KEY', 'e', /^OPENAI_API_KEY is invalid: expected at least 8 characters \(has 1; value hidden\)/],
    [
      'POSTGRES_PASSWORD',
      'todo',
      /^POSTGRES_PASSWORD is invalid: expected at least 16 characters \(has 4; value hidden\)/,
    ],
    [
      'POSTGRES_PASSWORD',
      'a1b2c3d4e5f6a7b8c9d0/x',
      /^POSTGRES_PASSWORD is invalid: expected only URL-safe characters .*\(value hidden\)$/,
    ],
    [
      'POSTGRES_PASSWORD',
      'ChangeMe-1234567890',
      /^POSTGRES_PASSWORD is invalid: expected a random value, not a common word.*\(value hidden\)$/,
    ],
    [
      'BETTER_AUTH_SECRET',
      'short-secret',
      /^BETTER_AUTH_SECRET is invalid: expected at least 32 characters \(has 12; value hidden\); make one with: openssl rand -base64 32$/,
    ],
    [
      'BETTER_AUTH_SECRET',
      'Password' + '1'.repeat(30),
      /^BETTER_AUTH_SECRET is invalid: expected a random value, not a common word/,
    ],
    ['OPENAI_API_KEY', 'password', /^OPENAI_API_KEY is invalid: expected a random value, not a common word/],
    ['OPENAI_API_KEY', 'SECRET!!', /^OPENAI_API_KEY is invalid: expected a random value, not a common word/],
  ])('%s=%j is rejected', (key, value, msg) => {
    const e = error({ ...GOOD, DATABASE_URL: '', [key]: value })
    expect(e.key).toBe(key)
    expect(e.message).toMatch(msg)
    if (value.length > 1) expect(e.message).not.toContain(value)
  })

  it('a secret that equals a setting or another secret is rejected, naming the other key only', () => {
    const ns = 'todo-production-eu1'
    const e = error({ ...GOOD, DATABASE_URL: '', NAMESPACE: ns, POSTGRES_PASSWORD: ns })
    expect(e.message).toBe(
      'POSTGRES_PASSWORD is invalid: expected a value of its own (it equals NAMESPACE) (value hidden)',
    )
    const host = 'todo.apps.example.internal'
    expect(error({ ...GOOD, DATABASE_URL: '', INGRESS_HOST: host, OPENAI_API_KEY: host }).message).toMatch(
      /^OPENAI_API_KEY is invalid: expected a value of its own \(it equals INGRESS_HOST\)/,
    )
    expect(error({ ...GOOD, DATABASE_URL: '', OPENAI_API_KEY: GOOD.BETTER_AUTH_SECRET }).message).toMatch(
      /^(BETTER_AUTH_SECRET|OPENAI_API_KEY) is invalid: expected a value of its own \(it equals (OPENAI_API_KEY|BETTER_AUTH_SECRET)\)/,
    )
  })

  it('a bad secret stops loading even where no secret is needed (setup/build fail before changing anything)', () => {
    expect(() => loadConfig({ env: { POSTGRES_PASSWORD: 'todo' }, envFile: noFile, checkPaths: false })).toThrow(
      ConfigError,
    )
  })

  it('the good ones load', () => {
    const c = load({ ...GOOD, DATABASE_URL: '' })
    expect(c.secrets).toEqual({
      BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET,
      POSTGRES_PASSWORD: GOOD.POSTGRES_PASSWORD,
      OPENAI_API_KEY: GOOD.OPENAI_API_KEY,
    })
    expect(secretData(c)).toEqual(c.secrets)
  })
})

describe('DATABASE_URL', () => {
  it.each([
    'postgresql://',
    'postgresql://db.example.com',
    'postgresql://db.example.com/',
    'postgres://app:Db-Pass-9x7Q2w@/todo',
    'postgresql://app:pw@db.example.com/todo',
    'postgresql://app:password@db.example.com/todo',
  ])('%s is rejected (a host, a database and, if any, a password of 8+ characters)', (url) => {
    const e = error({ DATABASE_URL: url })
    expect(e.key).toBe('DATABASE_URL')
    expect(e.message).toMatch(/^DATABASE_URL is invalid: .*\(value hidden\)$/)
    expect(e.message).not.toContain('db.example.com')
  })

  it('a broken percent-encoding in the password is a ConfigError, not a URIError', () => {
    expect(error({ DATABASE_URL: 'postgresql://app:pass%zzword@db.example.com/todo' }).message).toBe(
      'DATABASE_URL is invalid: expected a URL whose password is percent-encoded correctly (e.g. @ as %40) (value hidden)',
    )
  })

  it('the user and password are optional', () => {
    expect(load({ DATABASE_URL: 'postgresql://db.example.com:5432/todo' }).externalDatabase).toBe(true)
    expect(load({ DATABASE_URL: 'postgres://app@db/todo?sslmode=require' }).externalDatabase).toBe(true)
  })

  it('with DATABASE_URL set, POSTGRES_PASSWORD is not in use: not validated, not in the Secret, and a warning says so', () => {
    const c = load({
      BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET,
      DATABASE_URL: GOOD.DATABASE_URL,
      POSTGRES_PASSWORD: 'x',
    })
    expect(c.warnings).toEqual([
      'POSTGRES_PASSWORD is ignored while DATABASE_URL is set (the in-cluster PostgreSQL is off); remove it to silence this',
    ])
    expect(secretData(c)).toEqual({ BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET, DATABASE_URL: GOOD.DATABASE_URL })
    expect(() => requireSecrets(c)).not.toThrow()
  })
})

describe('the fix line says where the bad value came from', () => {
  it('from the environment: unset or re-export it', () => {
    const e = error({ NAMESPACE: 'Bad_Name' }, 'NAMESPACE=fine\n')
    expect(e.source).toBe('env')
    expect(e.fix).toBe(
      'unset NAMESPACE or export NAMESPACE=<...> (it comes from the environment, which overrides .env)',
    )
  })

  it('from the file: edit it there (path relative to the project)', () => {
    const r = mkdtempSync(path.join(os.tmpdir(), 'kit-root-'))
    mkdirSync(path.join(r, 'conf'))
    writeFileSync(path.join(r, 'conf', 'dev.env'), 'DEPLOY_TIMEOUT=1000h\n')
    const e = catchError(() => loadConfig({ env: {}, root: r, envFile: 'conf/dev.env', checkPaths: false }))
    expect(e).toMatchObject({
      key: 'DEPLOY_TIMEOUT',
      source: 'file',
      fix: 'edit DEPLOY_TIMEOUT in conf/dev.env (documented in .env.example)',
    })
    const secret = catchError(() => loadConfig({ env: {}, root: r, envFile: 'conf/dev.env', checkPaths: false }))
    expect(secret.expected).toBe('a duration like 90s, 5m or 1h, from 1s to 24h')
  })

  it('a missing secret (requireSecrets) says to set it', () => {
    const e = catchError(() => requireSecrets(load()))
    expect(e).toMatchObject({ key: 'BETTER_AUTH_SECRET', source: 'default' })
    expect(e.fix).toMatch(/^set BETTER_AUTH_SECRET in .*\.env \(documented in \.env\.example\)$/)
  })
})

describe('source directories must look like the apps they are built as', () => {
  const app = (files: Record<string, string>): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'kit-app-'))
    for (const [f, c] of Object.entries(files)) writeFileSync(path.join(d, f), c)
    return d
  }
  const paths = { FRONTEND_DOCKERFILE: noFile, BACKEND_DOCKERFILE: noFile }
  const check = (env: Record<string, string>): ConfigError =>
    catchError(() => loadConfig({ env: { ...paths, ...env }, envFile: noFile }))

  it('FRONTEND_DIR=../../../etc (or any non-Next.js dir) is rejected, naming the missing file', () => {
    // as many ../ as it takes from this checkout's root (where relative paths resolve) to /etc, wherever it lives
    const toEtc = path.relative(root, '/etc')
    const e = check({ FRONTEND_DIR: toEtc })
    expect(e.key).toBe('FRONTEND_DIR')
    expect(e.message).toBe(
      `FRONTEND_DIR="${toEtc}" is invalid: expected a Next.js app directory (missing /etc/package.json)`,
    )
    const noNext = app({ 'package.json': '{"name":"x","dependencies":{"react":"19.0.0"}}' })
    expect(check({ FRONTEND_DIR: noNext }).message).toMatch(
      /expected a Next\.js app directory \(.*package\.json has no "next" in dependencies or devDependencies\)/,
    )
    expect(check({ FRONTEND_DIR: app({ 'package.json': '{oops' }) }).message).toMatch(/package\.json is not valid JSON/)
    const devNext = app({ 'package.json': '{"devDependencies":{"next":"16.0.0"}}' })
    expect(loadConfig({ env: { ...paths, FRONTEND_DIR: devNext }, envFile: noFile }).frontend.contextDir).toBe(devNext)
  })

  it('BACKEND_DIR needs a Python project file', () => {
    const empty = app({ 'main.py': 'app = None\n' })
    const e = check({ BACKEND_DIR: empty })
    expect(e.key).toBe('BACKEND_DIR')
    expect(e.message).toContain(
      `expected a Python app directory (missing ${path.join(empty, 'pyproject.toml')}; any of pyproject.toml, requirements.txt, uv.lock, setup.py, Pipfile will do)`,
    )
    for (const f of ['requirements.txt', 'uv.lock', 'setup.py', 'Pipfile'])
      expect(
        loadConfig({ env: { ...paths, BACKEND_DIR: app({ [f]: '' }) }, envFile: noFile }).backend.contextDir,
      ).toBeTruthy()
  })
})

describe('first run: ensureEnvFile', () => {
  const fresh = (): string => mkdtempSync(path.join(os.tmpdir(), 'kit-first-'))

  it('writes a missing default .env with generated secrets (0600), the rest commented out; it loads and deploys', () => {
    const r = fresh()
    expect(ensureEnvFile({ root: r, env: {} })).toEqual({
      created: path.join(r, '.env'),
      keys: ['BETTER_AUTH_SECRET', 'POSTGRES_PASSWORD'],
    })
    const text = readFileSync(path.join(r, '.env'), 'utf8')
    expect(statSync(path.join(r, '.env')).mode & 0o777).toBe(0o600)
    const vars = parseDotenv(text)
    expect(vars.BETTER_AUTH_SECRET).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(vars.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/)
    expect(Object.keys(vars).sort()).toEqual(['BETTER_AUTH_SECRET', 'POSTGRES_PASSWORD'])
    for (const k of KEYS.filter((x) => !x.secret)) expect(text).toContain(`# ${k.key}=${k.default}\n`)
    const cfg = loadConfig({ env: {}, root: r, checkPaths: false })
    expect(cfg.warnings).toEqual([])
    expect(() => requireSecrets(cfg)).not.toThrow()
    // a second run finds it and changes nothing
    expect(ensureEnvFile({ root: r, env: {} })).toMatchObject({ created: null })
    expect(readFileSync(path.join(r, '.env'), 'utf8')).toBe(text)
  })

  it('each run generates different secrets', () => {
    const a = fresh()
    const b = fresh()
    ensureEnvFile({ root: a, env: {} })
    ensureEnvFile({ root: b, env: {} })
    expect(parseDotenv(readFileSync(path.join(a, '.env'))).BETTER_AUTH_SECRET).not.toBe(
      parseDotenv(readFileSync(path.join(b, '.env'))).BETTER_AUTH_SECRET,
    )
  })

  it('never overwrites an existing file', () => {
    const r = fresh()
    writeFileSync(path.join(r, '.env'), 'NAMESPACE=mine\n')
    expect(ensureEnvFile({ root: r, env: {} })).toMatchObject({ created: null })
    expect(readFileSync(path.join(r, '.env'), 'utf8')).toBe('NAMESPACE=mine\n')
  })

  it('an explicit file (--env-path or KIT_ENV_FILE) is not created: a missing one stays an error', () => {
    const r = fresh()
    expect(ensureEnvFile({ root: r, envFile: 'custom.env', env: {} })).toMatchObject({ created: null })
    expect(ensureEnvFile({ root: r, env: { KIT_ENV_FILE: path.join(r, 'other.env') } })).toMatchObject({
      created: null,
    })
    expect(ensureEnvFile({ root: r, env: { KIT_ENV_FILE: '' } })).toMatchObject({ created: null })
    expect(() => loadConfig({ env: {}, root: r, envFile: 'custom.env', checkPaths: false })).toThrow(/KIT_ENV_FILE=/)
  })

  it('init (createExplicit) writes the file it is pointed at, if its directory exists; never one that is there', () => {
    const r = fresh()
    const made = ensureEnvFile({ root: r, envFile: path.join(r, 'app.env'), env: {}, createExplicit: true })
    expect(made).toEqual({ created: path.join(r, 'app.env'), keys: ['BETTER_AUTH_SECRET', 'POSTGRES_PASSWORD'] })
    expect(statSync(path.join(r, 'app.env')).mode & 0o777).toBe(0o600)
    expect(() => loadConfig({ env: {}, root: r, envFile: path.join(r, 'app.env'), checkPaths: false })).not.toThrow()
    // KIT_ENV_FILE too, relative to the kit's root as loadConfig reads it
    expect(ensureEnvFile({ root: r, env: { KIT_ENV_FILE: 'kit.env' }, createExplicit: true }).created).toBe(
      path.join(r, 'kit.env'),
    )
    // a second run, a directory that is not there, an empty path: nothing written
    const before = readFileSync(path.join(r, 'app.env'), 'utf8')
    expect(
      ensureEnvFile({ root: r, envFile: path.join(r, 'app.env'), env: {}, createExplicit: true }).created,
    ).toBeNull()
    expect(readFileSync(path.join(r, 'app.env'), 'utf8')).toBe(before)
    expect(
      ensureEnvFile({ root: r, envFile: path.join(r, 'no-such-dir', '.env'), env: {}, createExplicit: true }).created,
    ).toBeNull()
    expect(existsSync(path.join(r, 'no-such-dir'))).toBe(false)
    expect(ensureEnvFile({ root: r, env: { KIT_ENV_FILE: ' ' }, createExplicit: true }).created).toBeNull()
  })

  it('generates no secret the environment provides (nor POSTGRES_PASSWORD next to DATABASE_URL)', () => {
    const r = fresh()
    ensureEnvFile({ root: r, env: { BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET } })
    const vars = parseDotenv(readFileSync(path.join(r, '.env')))
    expect(vars.BETTER_AUTH_SECRET).toBe('')
    expect(vars.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/)
    const d = fresh()
    ensureEnvFile({ root: d, env: { DATABASE_URL: GOOD.DATABASE_URL } })
    expect(parseDotenv(readFileSync(path.join(d, '.env'))).POSTGRES_PASSWORD).toBe('')
  })
})

describe('redaction lives in redact.ts: config.ts keeps no process-wide state', () => {
  it('config.ts exports no redact and declares no module-level mutable state', () => {
    expect(config).not.toHaveProperty('redact')
    const src = readFileSync(path.join(root, 'scripts/lib/config.ts'), 'utf8')
    expect(src).not.toMatch(/^(let|var) /m)
    expect(src).not.toMatch(/secretValues|registerSecret|checkPaths = /)
  })

  it("a redactor made from a configuration's secrets hides each value and a DATABASE_URL's password, in any text and in echoed commands", () => {
    const s = {
      BETTER_AUTH_SECRET: GOOD.BETTER_AUTH_SECRET,
      OPENAI_API_KEY: GOOD.OPENAI_API_KEY,
      DATABASE_URL: 'postgresql://app:p%40ss-w0rd-42@db:5432/todo',
    }
    const cfg = load(s)
    const redact = createRedactor(cfg.secrets)
    const text = `token ${s.BETTER_AUTH_SECRET} key=${s.OPENAI_API_KEY} url=${s.DATABASE_URL} pw=p@ss-w0rd-42 raw=p%40ss-w0rd-42`
    expect(redact(text)).toBe('token *** key=*** url=*** pw=*** raw=***')
    const ctx = createContext(cfg, { dryRun: true })
    expect(ctx.commandLine(['curl', '-H', `Authorization: Bearer ${s.OPENAI_API_KEY}`])).toBe(
      "curl -H 'Authorization: Bearer ***'",
    )
    // loading another configuration does not change this one's redactor
    load({ OPENAI_API_KEY: 'sk-other-key-123456' })
    expect(redact(s.OPENAI_API_KEY)).toBe('***')
  })

  it('never records secrets among the printable values', () => {
    const c = load({ BETTER_AUTH_SECRET: 'x'.repeat(40), POSTGRES_PASSWORD: GOOD.POSTGRES_PASSWORD })
    for (const k of secretKeys) expect(c.values).not.toHaveProperty(k)
    expect(JSON.stringify(c.values)).not.toContain('x'.repeat(40))
  })
})

describe('documentation is generated from the schema (npm run gen:config)', () => {
  const example = readFileSync(path.join(root, '.env.example'), 'utf8')
  const configDoc = readFileSync(path.join(root, CONFIG_DOC), 'utf8')

  it('.env.example is exactly the generated text', () => {
    expect(example).toBe(envExample())
  })

  it("docs/configuration.md's table is exactly the generated one", () => {
    expect(CONFIG_DOC).toBe('docs/configuration.md')
    expect(configDoc).toBe(withTable(configDoc))
  })

  it('.env.example documents every key (with its default) and no other, and loads cleanly when copied', () => {
    const documented = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(KEYS.map((k) => k.key).sort())
    for (const k of KEYS.filter((x) => !x.secret && x.default)) expect(example).toContain(`# ${k.key}=${k.default}\n`)
    const f = path.join(tmp, 'example.env')
    writeFileSync(f, example)
    expect(loadConfig({ env: {}, envFile: f, checkPaths: false }).warnings).toEqual([])
  })

  it('every key has a one-line doc, a group, and a default that passes its own rule', () => {
    for (const k of KEYS) {
      expect(k.doc).not.toMatch(/\n/)
      expect(k.group).toBeTruthy()
    }
    expect(() => load(Object.fromEntries(KEYS.filter((k) => !k.secret).map((k) => [k.key, k.default])))).not.toThrow()
  })
})
