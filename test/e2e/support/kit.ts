// The kit as a user runs it (`npm run up`, `npm run down`, one stage alone), pointed at the e2e cluster, plus the
// kubectl/helm and HTTP helpers the e2e suite checks it with. Secrets are generated per run into a temp .env.
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { layerV35 } from '../../support/k8s-tools.ts'
import { minikubeEnv, type E2ECluster } from './cluster.ts'

const execFileP = promisify(execFile)
export const root = path.resolve(import.meta.dirname, '../../..')
export const NS = 'todo'
export const RELEASE = 'todo'
/** the origin the app is configured for (PUBLIC_URL default); Better Auth checks the Origin header against it */
export const ORIGIN = 'http://todo.local'

export type KitRun = { code: number; stdout: string; stderr: string; ms: number }

/** A temp copy of app/backend (no venv or caches), for cases that change a source line without touching app/. */
export function backendCopy(prefix: string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), prefix)), 'backend')
  cpSync(path.join(root, 'app/backend'), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.venv|\.pytest_cache|\.ruff_cache|__pycache__)$/.test(src),
  })
  return dir
}

/** A temp .env with fresh fake secrets, and the environment every kit command of the suite runs with. */
export function kitEnvironment(cluster: E2ECluster, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'todo-e2e-kit-'))
  const envFile = path.join(dir, '.env')
  const secrets = {
    BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
    POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
  }
  writeFileSync(
    envFile,
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  )
  const tools = layerV35()
  const base = cluster.minikube ? minikubeEnv(cluster) : (process.env as Record<string, string>)
  const env: Record<string, string> = {
    ...base,
    PATH: [path.dirname(tools.helm), path.dirname(tools.kubectl), base.PATH ?? ''].join(path.delimiter),
    KUBECONFIG: cluster.kubeconfig,
    KIT_ENV_FILE: envFile,
    CLUSTER: 'existing',
    INGRESS_ENABLED: 'false',
    NODE_IMAGE: 'local/node:24',
    PYTHON_IMAGE: 'local/python:3.13',
    POSTGRES_IMAGE: 'local/postgres:17',
    DEPLOY_TIMEOUT: '3m',
    // the kit's budgets, given as a user holds an app to them: the suite points BACKEND_DIR at copies it edits, and an
    // app dir of the user's has a budget only when one is set
    FRONTEND_SIZE_BUDGET_MB: '60',
    BACKEND_SIZE_BUDGET_MB: '120',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...(cluster.containerdAddress ? { LOAD_METHOD: 'containerd', CONTAINERD_ADDRESS: cluster.containerdAddress } : {}),
    // minikube: the kit's defaults (CLUSTER=minikube, LOAD_METHOD unset: docker-env on the docker profile setup starts,
    // MINIKUBE_K8S_VERSION unset: `stable`, minikube's default, the version built offline); only the profile is the suite's own
    ...(cluster.minikube ? { CLUSTER: 'minikube', MINIKUBE_PROFILE: cluster.minikube.profile } : {}),
    ...extra,
  }
  // minikube: the ingress addon is real there, so the kit's defaults stand (INGRESS_ENABLED=true, MINIKUBE_ADDONS=ingress)
  if (cluster.minikube && !('INGRESS_ENABLED' in extra)) delete env.INGRESS_ENABLED
  return { dir, envFile, secrets, env }
}

/** Runs `npm run <script> -- <args>` (or any command) in the project root; never throws, returns what happened. */
export function runKit(
  env: Record<string, string>,
  args: string[],
  overrides: Record<string, string> = {},
  timeoutMs = 600_000,
): Promise<KitRun> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', ...args], { cwd: root, env: { ...env, ...overrides } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 })
    })
  })
}

/** A failure message with the tail of a kit run, so a red test says why. */
export const tail = (r: KitRun, n = 40) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.split('\n').slice(-n).join('\n')}\n--- stderr\n${r.stderr.split('\n').slice(-n).join('\n')}`

/**
 * Makes the cluster's Service addresses reachable from this machine. The harness's are already (the node is this
 * machine); minikube's node is a container, so this runs `minikube tunnel` as a user would in a second terminal (on
 * Linux it routes the service range to the node's address with `sudo ip route`), until stop().
 */
export async function reachServices(cluster: E2ECluster, env: Record<string, string>, probeUrl: string) {
  if (!cluster.minikube) return { stop: async () => {} }
  const tunnel = spawn('minikube', ['tunnel', '-p', cluster.minikube.profile, '--cleanup'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  tunnel.stdout.on('data', (d) => (out += d))
  tunnel.stderr.on('data', (d) => (out += d))
  const stop = async () => {
    if (tunnel.exitCode !== null) return
    const closed = new Promise((r) => tunnel.once('close', r))
    tunnel.kill('SIGINT') // minikube tunnel removes its route on SIGINT
    await Promise.race([closed, new Promise((r) => setTimeout(r, 15_000))])
  }
  try {
    await waitFor(
      `${probeUrl} through minikube tunnel`,
      async () => {
        if (tunnel.exitCode !== null) throw new Error(`minikube tunnel exited ${tunnel.exitCode}: ${out}`)
        // 200 from the app itself: anything else may be this machine's own network answering for an unrouted address
        return (await fetch(probeUrl, { signal: AbortSignal.timeout(3000) })).status === 200
      },
      90_000,
    )
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n--- minikube tunnel\n${out}`)
  }
  return { stop }
}

export async function kubectl(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP(layerV35().kubectl, args, {
    env,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: 120_000,
  })
  return stdout
}

export async function helm(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP(layerV35().helm, args, {
    env,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: 600_000,
  })
  return stdout
}

export type PodInfo = {
  name: string
  uid: string
  component: string
  ready: boolean
  phase: string
  deleting: boolean
  image: string
}

export async function pods(env: Record<string, string>): Promise<PodInfo[]> {
  const list = JSON.parse(
    await kubectl(env, 'get', 'pods', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'),
  ) as {
    items: {
      metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string }
      spec: { containers: { image: string }[] }
      status: { phase: string; conditions?: { type: string; status: string }[] }
    }[]
  }
  return list.items.map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    component: p.metadata.labels?.['app.kubernetes.io/component'] ?? '',
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    phase: p.status.phase,
    deleting: Boolean(p.metadata.deletionTimestamp),
    image: p.spec.containers[0]?.image ?? '',
  }))
}

export async function clusterIp(env: Record<string, string>, service: string): Promise<string> {
  return (await kubectl(env, 'get', 'service', '-n', NS, service, '-o', 'jsonpath={.spec.clusterIP}')).trim()
}

/** Waits until check() is true, polling; throws with what it was waiting for. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 180_000, everyMs = 1000) {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * A steady, bounded request loop against one of the cluster's own addresses: GETs `url` every `everyMs` until
 * stop() (or maxRequests / maxMs), counting every answer that is not 200 or did not come at all.
 */
export function requestLoop(
  url: string,
  { everyMs = 100, maxRequests = 3000, maxMs = 300_000, headers = {} as Record<string, string> } = {},
) {
  let stopped = false
  const failures: string[] = []
  let sent = 0
  const t0 = Date.now()
  const done = (async () => {
    while (!stopped && sent < maxRequests && Date.now() - t0 < maxMs) {
      sent++
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) })
        await res.arrayBuffer()
        if (res.status !== 200) failures.push(`${new Date().toISOString()} HTTP ${res.status}`)
      } catch (err) {
        failures.push(`${new Date().toISOString()} ${(err as Error).message}`)
      }
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    async stop() {
      stopped = true
      await done
      return { sent, failures }
    },
  }
}

/**
 * One HTTP request with node:http, which (unlike fetch) sends the Host header it is given: an ingress routes on it,
 * as it would for a browser that resolved todo.local through /etc/hosts. Redirects are not followed. An https URL
 * goes through node:https with `tls`: the SNI name a browser would send for the host, and the CA it trusts.
 */
export function httpRequest(
  url: string,
  {
    method = 'GET',
    headers = {} as Record<string, string>,
    body = undefined as string | undefined,
    timeoutMs = 30_000,
    tls = undefined as { servername: string; ca: string } | undefined,
  } = {},
) {
  return new Promise<{ status: number; text: string; setCookie: string[]; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      const req = (url.startsWith('https:') ? https : http).request(
        url,
        {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: timeoutMs,
          ...tls,
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (d) => (text += d))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text,
              setCookie: res.headers['set-cookie'] ?? [],
              headers: res.headers,
            }),
          )
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)))
      req.on('error', reject)
      req.end(body)
    },
  )
}

/** The app as a browser uses it, through the frontend Service: Better Auth cookies and the /api/backend proxy. */
export class AppClient {
  cookie = ''
  userId = ''
  readonly base: string
  /** extra request headers, e.g. the Host an ingress routes on */
  readonly headers: Record<string, string>
  constructor(base: string, headers: Record<string, string> = {}) {
    this.base = base
    this.headers = headers
  }

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
    const res = await httpRequest(`${this.base}${p}`, {
      method,
      headers: {
        ...this.headers,
        origin: ORIGIN,
        'content-type': 'application/json',
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const setCookie = res.setCookie.map((c) => c.split(';')[0]).filter(Boolean)
    if (setCookie.length) this.cookie = setCookie.join('; ')
    let json: any = null
    try {
      json = JSON.parse(res.text)
    } catch {
      /* not json */
    }
    return { status: res.status, json, text: res.text }
  }

  async signUp(email: string, password: string) {
    const r = await this.call('POST', '/api/auth/sign-up/email', { email, password, name: 'E2E User' })
    if (r.status !== 200) throw new Error(`sign-up answered ${r.status}: ${r.text.slice(0, 300)}`)
    this.userId = r.json.user.id
    return r
  }

  api(method: string, p: string, body?: unknown) {
    return this.call(method, `/api/backend/${encodeURIComponent(this.userId)}${p}`, body)
  }
}

/** A TCP port nothing listens on right now (for a port-forward the test starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net
      .createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo
        srv.close(() => resolve(port))
      })
      .on('error', reject)
  })
}

/**
 * Puts docker's copy of an image into the harness node's containerd, as the kit's containerd load does for the
 * in-cluster database's image (LOAD_METHOD=registry carries only the app's images).
 */
export async function importIntoContainerd(containerdAddress: string, image: string, dir: string): Promise<void> {
  const tar = path.join(dir, `${image.replace(/[/:]/g, '_')}.tar`)
  await execFileP('docker', ['save', '-o', tar, image], { timeout: 600_000 })
  await execFileP('ctr', ['--address', containerdAddress, '-n', 'k8s.io', 'images', 'import', tar], {
    timeout: 600_000,
  })
  rmSync(tar, { force: true })
}
