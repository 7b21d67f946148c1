// The config module: defaults, every validation error (key name + what was expected), unknown-key warnings,
// precedence, and redaction of every secret value.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, KEYS, loadConfig, redact, requireSecrets, secretKeys, type Config } from '../../scripts/lib/config.ts'
import { root } from './harness.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kit-config-'))
const noFile = path.join(tmp, 'none.env')
writeFileSync(noFile, '')
const load = (env: Record<string, string> = {}, file = ''): Config => {
  const f = path.join(tmp, `${Math.random().toString(36).slice(2)}.env`)
  writeFileSync(f, file)
  return loadConfig({ env, envFile: f, checkPaths: false })
}
const error = (env: Record<string, string>, file = ''): ConfigError => {
  try {
    load(env, file)
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`)
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
      loadMethod: 'minikube',
      registry: null,
      containerd: { address: '/run/containerd/containerd.sock', namespace: 'k8s.io' },
      kindCluster: 'kind',
      minikube: { profile: 'todo', driver: 'docker', cpus: 2, memory: '4096mb', kubernetesVersion: 'stable', addons: ['ingress'] },
      ingress: { enabled: true, className: 'nginx', host: 'todo.local' },
      publicUrl: 'http://todo.local',
      replicas: { frontend: 1, backend: 1 },
      hpa: false,
      timeouts: { deploy: '5m', deployMs: 300_000, validate: '2m', validateMs: 120_000 },
      helmValuesFiles: [],
      externalDatabase: false,
      postgresImage: { repository: 'postgres', tag: '17' },
      secrets: {},
      warnings: [],
    })
    expect(c.frontend).toEqual({ component: 'frontend', name: 'todo-frontend', contextDir: path.join(root, 'app/frontend'), dockerfile: path.join(root, 'frontend-docker/Dockerfile'), buildArgs: { NODE_IMAGE: 'node:24-slim' }, sizeBudgetMb: 60 })
    expect(c.backend).toEqual({ component: 'backend', name: 'todo-backend', contextDir: path.join(root, 'app/backend'), dockerfile: path.join(root, 'backend-docker/Dockerfile'), buildArgs: { PYTHON_IMAGE: 'python:3.13-slim' }, sizeBudgetMb: 120 })
  })

  it('derives: existing cluster loads nothing by default, HPA adds metrics-server, PUBLIC_URL follows INGRESS_HOST, DATABASE_URL turns the in-cluster database off', () => {
    expect(load({ CLUSTER: 'existing' }).loadMethod).toBe('none')
    expect(load({ HPA_ENABLED: 'true' }).minikube.addons).toEqual(['ingress', 'metrics-server'])
    expect(load({ INGRESS_HOST: 'app.test' }).publicUrl).toBe('http://app.test')
    expect(load({ PUBLIC_URL: 'https://todo.example.com/' }).publicUrl).toBe('https://todo.example.com')
    expect(load({ DATABASE_URL: 'postgresql://u:p@db:5432/x' }).externalDatabase).toBe(true)
  })

  it('the environment overrides .env; .env overrides defaults', () => {
    expect(load({}, 'NAMESPACE=from-file\n').namespace).toBe('from-file')
    expect(load({ NAMESPACE: 'from-env' }, 'NAMESPACE=from-file\n').namespace).toBe('from-env')
  })

  it('warns about unknown keys in .env and ignores unrelated environment variables', () => {
    const c = load({ PATH: '/usr/bin', SOMETHING_ELSE: '1' }, 'NAMESPCE=typo\nNAMESPACE=ok\n')
    expect(c.warnings).toEqual([expect.stringMatching(/^unknown key NAMESPCE in .*\.env is ignored \(see \.env\.example for the keys\)$/)])
  })

  it('an explicit env file that does not exist is an error with the fix', () => {
    expect(() => loadConfig({ env: {}, envFile: path.join(tmp, 'missing.env'), checkPaths: false })).toThrow(/KIT_ENV_FILE=.* is invalid: expected an existing \.env file .*cp \.env\.example \.env/)
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
    ['FRONTEND_SIZE_BUDGET_MB', '60MB', /FRONTEND_SIZE_BUDGET_MB="60MB" is invalid: expected a whole number from 1 to 100000/],
    ['CLUSTER', 'kind', /CLUSTER="kind" is invalid: expected one of minikube, existing/],
    ['MINIKUBE_CPUS', 'two', /MINIKUBE_CPUS="two" is invalid: expected a whole number from 1 to 256/],
    ['MINIKUBE_MEMORY', '4 GB', /MINIKUBE_MEMORY="4 GB" is invalid: expected a size like 4096mb or 6g/],
    ['MINIKUBE_K8S_VERSION', '1.34', /MINIKUBE_K8S_VERSION="1.34" is invalid: expected stable, latest or a version/],
    ['MINIKUBE_PROFILE', '-x', /MINIKUBE_PROFILE=.* expected a profile name/],
    ['MINIKUBE_DRIVER', 'Docker Desktop', /MINIKUBE_DRIVER=.* expected a minikube driver name/],
    ['MINIKUBE_ADDONS', 'ingress,Metrics Server', /MINIKUBE_ADDONS="Metrics Server" is invalid/],
    ['INGRESS_ENABLED', 'maybe', /INGRESS_ENABLED="maybe" is invalid: expected true or false/],
    ['INGRESS_CLASS', 'NGINX', /INGRESS_CLASS=.* expected a lowercase DNS name/],
    ['INGRESS_HOST', 'http://todo.local', /INGRESS_HOST=.* expected a lowercase host name like todo.local/],
    ['PUBLIC_URL', 'todo.local', /PUBLIC_URL="todo.local" is invalid: expected an http\(s\) URL/],
    ['PUBLIC_URL', 'ftp://todo.local', /PUBLIC_URL=.* expected an http\(s\) URL/],
    ['FRONTEND_REPLICAS', '-1', /FRONTEND_REPLICAS="-1" is invalid: expected a whole number from 0 to 100/],
    ['BACKEND_REPLICAS', '1.5', /BACKEND_REPLICAS=.* whole number/],
    ['HPA_ENABLED', 'y', /HPA_ENABLED="y" is invalid: expected true or false/],
    ['DEPLOY_TIMEOUT', '5', /DEPLOY_TIMEOUT="5" is invalid: expected a duration like 90s, 5m or 1h/],
    ['VALIDATE_TIMEOUT', '2 minutes', /VALIDATE_TIMEOUT=.* expected a duration/],
    ['MINIKUBE_START_TIMEOUT', '-1s', /MINIKUBE_START_TIMEOUT=.* expected a duration/],
    ['CONTAINERD_NAMESPACE', 'k8s io', /CONTAINERD_NAMESPACE=.* expected a containerd namespace/],
    ['KIND_CLUSTER', 'My Cluster', /KIND_CLUSTER=.* expected a kind cluster name/],
    ['REGISTRY', 'https://localhost:5000', /REGISTRY=.* expected a registry like localhost:5000/],
  ]
  it.each(cases)('%s=%s', (key, value, msg) => {
    const e = error({ [key]: value })
    expect(e.key).toBe(key)
    expect(e.message).toMatch(msg)
  })

  it('LOAD_METHOD must fit the cluster kind', () => {
    expect(error({ LOAD_METHOD: 'kind' }).message).toMatch(/LOAD_METHOD="kind" is invalid: expected one of minikube, registry/)
    expect(error({ CLUSTER: 'existing', LOAD_METHOD: 'minikube' }).message).toMatch(/expected one of none, kind, containerd, registry/)
    expect(error({ CLUSTER: 'existing', LOAD_METHOD: 'registry' }).message).toMatch(/REGISTRY="" is invalid: expected a registry like localhost:5000 when LOAD_METHOD=registry/)
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
    expect(run({ FRONTEND_DIR: 'no/such/dir', FRONTEND_DOCKERFILE: noFile, BACKEND_DOCKERFILE: noFile })).toMatch(/^FRONTEND_DIR="no\/such\/dir" is invalid: expected an existing directory \(looked for .*no\/such\/dir\)/)
    expect(run({ CHART_DIR: 'nope' })).toMatch(/^CHART_DIR="nope" is invalid: expected an existing directory/)
    expect(run({ HELM_VALUES_FILES: 'a.yaml', FRONTEND_DOCKERFILE: noFile, BACKEND_DOCKERFILE: noFile })).toMatch(/HELM_VALUES_FILES="a.yaml" is invalid: expected an existing file/)
    expect(run({ BACKEND_DOCKERFILE: tmp, FRONTEND_DOCKERFILE: noFile })).toMatch(/BACKEND_DOCKERFILE=.* expected an existing file/)
  })

  it('a malformed DATABASE_URL is reported without its value', () => {
    const e = error({ DATABASE_URL: 'mysql://root:hunter2@db/x' })
    expect(e.message).toBe('DATABASE_URL is invalid: expected a URL like postgresql://user:pass@host:5432/db (value hidden)')
    expect(e.message).not.toContain('hunter2')
  })

  it('requireSecrets: what deploy needs, never echoing values', () => {
    const msg = (env: Record<string, string>): string => {
      try {
        requireSecrets(load(env))
        return ''
      } catch (e) {
        return (e as Error).message
      }
    }
    const good = 'g'.repeat(32)
    expect(msg({})).toMatch(/^BETTER_AUTH_SECRET is invalid: expected a random string of at least 32 characters in \.env, e\.g\. from: openssl rand -base64 32$/)
    expect(msg({ BETTER_AUTH_SECRET: 'short-secret' })).toBe('BETTER_AUTH_SECRET is invalid: expected at least 32 characters (has 12; value hidden); make one with: openssl rand -base64 32')
    expect(msg({ BETTER_AUTH_SECRET: good })).toMatch(/^POSTGRES_PASSWORD is invalid: expected a password in \.env/)
    expect(msg({ BETTER_AUTH_SECRET: good, POSTGRES_PASSWORD: 'p@ss/word' })).toMatch(/^POSTGRES_PASSWORD is invalid: expected only URL-safe characters .*\(value hidden\)/)
    expect(msg({ BETTER_AUTH_SECRET: good, POSTGRES_PASSWORD: 'Abc-123_x.y~z' })).toBe('')
    expect(msg({ BETTER_AUTH_SECRET: good, DATABASE_URL: 'postgresql://u:p@db:5432/x' })).toBe('')
  })
})

describe('redaction', () => {
  it('hides every secret value, and the password inside DATABASE_URL, in any text and in echoed commands', () => {
    const s = { BETTER_AUTH_SECRET: 'auth-secret-aaaaaaaaaaaaaaaaaaaaaaaaaa', OPENAI_API_KEY: 'sk-live-zzzz', DATABASE_URL: 'postgresql://app:p%40ss-w0rd@db:5432/todo' }
    load(s)
    const text = `token ${s.BETTER_AUTH_SECRET} key=${s.OPENAI_API_KEY} url=${s.DATABASE_URL} pw=p@ss-w0rd raw=p%40ss-w0rd`
    const out = redact(text)
    expect(out).toBe('token *** key=*** url=*** pw=*** raw=***')
  })

  it('never records secrets among the printable values', () => {
    const c = load({ BETTER_AUTH_SECRET: 'x'.repeat(40), POSTGRES_PASSWORD: 'pw' })
    for (const k of secretKeys) expect(c.values).not.toHaveProperty(k)
    expect(JSON.stringify(c.values)).not.toContain('x'.repeat(40))
  })
})

describe('documentation', () => {
  const example = readFileSync(path.join(root, '.env.example'), 'utf8')
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
  it('.env.example documents every key (with its default) and no other', () => {
    const documented = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(KEYS.map((k) => k.key).sort())
    for (const k of KEYS.filter((x) => !x.secret && x.default)) expect(example).toContain(`# ${k.key}=${k.default}\n`)
    // a copied .env.example loads cleanly (secrets empty)
    const f = path.join(tmp, 'example.env')
    writeFileSync(f, example)
    expect(loadConfig({ env: {}, envFile: f, checkPaths: false }).warnings).toEqual([])
  })
  it('README lists every key', () => {
    for (const k of KEYS) expect(readme).toContain(`\`${k.key}\``)
  })
})
