// Where validate's journey goes, from the configuration and the release: the URL the browser uses (minikube ip with
// the ingress host's Host header, the Gateway's address with it for ROUTING=gateway, over http or https with the host
// as TLS server name, PUBLIC_URL, or --url), how the
// backend's paths are reached from it (the ingress's or HTTPRoute's backendPaths, or the frontend's /api/backend
// proxy), the app's auth, whether the chat can answer, and the backend's /openapi.json, read inside its pod (the
// public URL need not route it).
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Ctx } from '../stage.ts'
import { chartValue } from '../chart-values.ts'
import { underPrefix } from '../routing.ts'
import { gatewayAddress, gatewayGet } from '../gateway-status.ts'
import { backendRewrite, betterAuth } from '../app/detect-frontend.ts'
import { pythonEnvReads, type EnvRead } from '../app/env-reads.ts'
import type { Ask, Subject } from '../validate-subject.ts'
import type { BackendWay, Failure } from './failure-causes.ts'
import type { JourneyPlan } from './journey.ts'
import type { OpenApi } from './openapi-routes.ts'

/** Better Auth's default base path; init writes no other (the chart's JWKS_URL assumes it too). */
export const AUTH_PATH = '/api/auth'

/** The reference app's proxy: /api/backend/<path> on the frontend → the backend's /api/<path>, with the user's JWT. */
const PROXY = { prefix: '/api/backend', strip: '/api' }
const PROXY_ROUTES = ['app', 'src/app'].flatMap((d) =>
  ['ts', 'js'].map((x) => path.join(d, 'api/backend/[...path]', `route.${x}`)),
)

/** Secrets that hold an LLM provider's key (the app's own are named in APP_SECRETS). */
export const LLM_KEY =
  /^(OPENAI|AZURE_OPENAI|GEMINI|GOOGLE|GOOGLE_GENAI|GOOGLE_GENERATIVE_AI|ANTHROPIC|COHERE|CO|OPENROUTER|GROQ|MISTRAL|DEEPSEEK|LLM|AI|LITELLM)_API_KEY$/

/**
 * Python run in the backend container: GET http://127.0.0.1:<port><path>, prints "STATUS <code>" and then the body
 * (argv: <path> [port]; no port: $PORT, else 8000), or "ERROR <why>".
 */
export const PY_BODY = [
  'import os, sys, urllib.request, urllib.error',
  "port = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else os.environ.get('PORT', '8000')",
  "url = 'http://127.0.0.1:%s%s' % (port, sys.argv[1])",
  'try:',
  '    r = urllib.request.urlopen(url, timeout=10)',
  "    print('STATUS', r.status)",
  "    print(r.read().decode('utf-8', 'replace'))",
  'except urllib.error.HTTPError as e:',
  "    print('STATUS', e.code)",
  'except Exception as e:',
  "    print('ERROR', type(e).__name__, e)",
].join('\n')

export type Entry = { url?: string }

/** The URL a browser uses, where the journey connects for it, and the Host/Origin it sends. */
export async function browserUrl(
  ctx: Ctx,
  ask: Ask,
  o: Entry,
): Promise<{ base: string; host: string; origin: string; viaIngress: boolean; said: string }> {
  const { cfg } = ctx
  // the Ingress and the HTTPRoute route the same paths (the chart's todo-chatbot.routes): either is "the ingress" here
  const routed = cfg.routing !== 'none'
  if (o.url) {
    const u = new URL(o.url)
    const viaIngress = routed && u.hostname === cfg.ingress.host
    return { base: u.origin, host: u.host, origin: u.origin, viaIngress, said: `--url ${u.origin}` }
  }
  const pub = new URL(cfg.publicUrl)
  const onMinikube =
    cfg.cluster === 'minikube' && cfg.ingress.enabled && pub.protocol === 'http:' && pub.hostname === cfg.ingress.host
  if (onMinikube) {
    // the docker driver on macOS/Windows keeps the node in a VM: its ingress is on 127.0.0.1 through `minikube tunnel`
    const tunnel = cfg.minikube.driver === 'docker' && process.platform !== 'linux'
    const r = tunnel ? null : await ask(['minikube', 'ip', '-p', cfg.minikube.profile])
    const ip = tunnel ? '127.0.0.1' : r?.ok ? r.stdout.trim() : ctx.dryRun ? '<minikube ip>' : ''
    if (ip) {
      const base = `http://${ip}${pub.port ? `:${pub.port}` : ''}`
      return {
        base,
        host: pub.host,
        origin: pub.origin,
        viaIngress: true,
        said: `${pub.origin} (the ingress on ${ip}, Host: ${pub.host})`,
      }
    }
  }
  if (cfg.gateway && pub.hostname === cfg.ingress.host) {
    // the Gateway's address with the host as Host header, so the journey needs no DNS or hosts entry either; over
    // https the host is also the TLS server name (SNI), which picks the listener's certificate and is verified
    const gw = cfg.gateway
    const r = await ask([...gatewayGet(gw), '-o', 'json'])
    const addr = r ? gatewayAddress(r) : ctx.dryRun ? '<gateway address>' : ''
    if (addr) {
      const ip = addr.includes(':') ? `[${addr}]` : addr
      const tls = pub.protocol === 'https:' ? `, TLS name ${pub.hostname}` : ''
      return {
        base: `${pub.protocol}//${ip}${pub.port ? `:${pub.port}` : ''}`,
        host: pub.host,
        origin: pub.origin,
        viaIngress: true,
        said: `${pub.origin} (the Gateway ${gw.namespace}/${gw.name} on ${addr}, Host: ${pub.host}${tls})`,
      }
    }
  }
  return { base: pub.origin, host: pub.host, origin: pub.origin, viaIngress: routed, said: pub.origin }
}

/**
 * The ingress sends `prefix` to the backend (its longest matching path is a backendPaths entry): a next.config rewrite
 * of it is never reached from the browser (init routes a rewrite to a fixed hosted URL so), its requests go that way.
 */
export function ingressTakes(prefix: string, backendPaths: string[], frontendPaths: string[]): boolean {
  const longest = (qs: string[]): number =>
    Math.max(-1, ...qs.filter((q) => underPrefix(prefix, q)).map((q) => q.length))
  return longest(backendPaths) > longest(frontendPaths)
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/**
 * How backend paths are reached from the browser's URL: the app's own next.config rewrite when its code goes through
 * it (that is the way its pages travel) unless the ingress sends that prefix to the backend first, the ingress's
 * backendPaths, the frontend's proxy, or not at all.
 */
export function backendWay(ctx: Ctx, viaIngress: boolean): BackendWay {
  const { cfg } = ctx
  const rewrite = backendRewrite(path.join(cfg.frontend.contextDir, cfg.frontend.buildArgs.APP_DIR ?? '.'))
  const backendPaths = viaIngress ? list(chartValue(cfg, ['ingress', 'backendPaths'])) : []
  const frontendPaths = list(chartValue(cfg, ['ingress', 'frontendPaths']))
  if (rewrite && !ingressTakes(rewrite.prefix, backendPaths, frontendPaths)) {
    const built = rewrite.variable ? (cfg.publicEnv[rewrite.variable] ?? null) : null
    return {
      how: 'rewrite',
      prefix: rewrite.prefix,
      strip: rewrite.strip,
      destination: rewrite.destination,
      variable: rewrite.variable,
      built,
      from: `${rewrite.from.file}:${rewrite.from.line}`,
    }
  }
  if (backendPaths.length) return { how: 'ingress', backendPaths, frontendPaths }
  if (PROXY_ROUTES.some((f) => existsSync(path.join(cfg.frontend.contextDir, f)))) return { how: 'proxy', ...PROXY }
  return {
    how: 'none',
    why: viaIngress
      ? 'the ingress sends every path to the frontend (ingress.backendPaths is empty) and the frontend has no /api/backend proxy'
      : 'the URL reaches the frontend only and the frontend has no /api/backend proxy',
    fix: 'route the backend path prefix on the ingress: ingress.backendPaths (e.g. ["/api"]) and ingress.frontendPaths (["/api/auth"]) in a HELM_VALUES_FILES file, then npx zx scripts/deploy.ts',
  }
}

/** Run the chat step when a key is set, or for the reference app, whose offline agent answers without one. */
export function chatDecision(ctx: Ctx): { run: boolean; why: string } {
  const { cfg } = ctx
  return chatKeys({
    set: [
      ...(cfg.secrets.OPENAI_API_KEY ? ['OPENAI_API_KEY'] : []),
      ...Object.keys(cfg.appSecrets).filter((k) => LLM_KEY.test(k)),
    ],
    // the reference app (or a copy of it) answers without a model: app/chatbot/deterministic.py maps commands onto its
    // task tools
    offline: existsSync(path.join(cfg.backend.contextDir, 'app', 'chatbot', 'deterministic.py')),
    inSecrets: cfg.appSecretKeys,
    reads: pythonEnvReads(cfg.backend.contextDir),
  })
}

/**
 * Whether the journey sends a chat message: an LLM key is set, or the app needs none. Otherwise the SKIP names the key
 * the backend's code reads (sammar-13 reads GEMINI_API_KEY, with a default, so APP_SECRETS does not list it) and how
 * to give it one; OPENAI_API_KEY when the code names none the kit can tell.
 */
export function chatKeys(o: { set: string[]; offline: boolean; inSecrets: string[]; reads: EnvRead[] }): {
  run: boolean
  why: string
} {
  if (o.set.length) return { run: true, why: `${o.set.join(', ')} set` }
  if (o.offline) return { run: true, why: "the reference app's offline chatbot, no key" }
  const read = o.reads.filter((r) => LLM_KEY.test(r.name))
  const named = [...new Set([...o.inSecrets.filter((k) => LLM_KEY.test(k)), ...read.map((r) => r.name)])]
  if (!named.length)
    return { run: false, why: "no OPENAI_API_KEY in .env, which the app's chat needs (set it to check the chat)" }
  const where = read.flatMap((r) => r.from.slice(0, 1)).map((e) => `${e.file}:${e.line}`)
  // the chart passes OPENAI_API_KEY itself; any other key reaches the pod only when APP_SECRETS names it
  const how = named
    .map((k) =>
      k === 'OPENAI_API_KEY' || o.inSecrets.includes(k)
        ? `${k}=<key> in .env`
        : `APP_SECRETS=${k} and ${k}=<key> in .env, then backend.secretEnv ${k} in a values file`,
    )
    .join(', or ')
  return {
    run: false,
    why: `no ${named.join(' or ')} in .env, which the app's chat reads${where.length ? ` (${where.join(', ')})` : ''}; to check the chat: ${how}`,
  }
}

/** The backend variable init pointed at the chart's JWKS_URL (backend.extraEnv NAME=$(JWKS_URL)), else JWKS_URL. */
export function jwksVariable(ctx: Ctx): string {
  const env = chartValue(ctx.cfg, ['backend', 'extraEnv'])
  const own = (Array.isArray(env) ? env : []).find(
    (e): e is { name: string; value: string } =>
      !!e && typeof e === 'object' && typeof e.name === 'string' && String(e.value ?? '').includes('$(JWKS_URL)'),
  )
  return own ? `${own.name} (the backend's own variable, from the chart's JWKS_URL)` : 'JWKS_URL'
}

/** Reads /openapi.json inside the backend pod through `ask`, so a dry run prints the command. */
export function openapiInPod(s: Subject, ask: Ask): JourneyPlan['openapi'] {
  const port = s.backendLive.port
  const where = `GET /openapi.json in ${s.podName.backend}`
  return {
    where,
    read: async (): Promise<{ doc: OpenApi } | Failure> => {
      if (!s.exec.backend)
        return { cause: `${where}: no running backend pod`, fix: 'see the pods row; npx zx scripts/deploy.ts' }
      const r = await ask([
        ...s.exec.backend,
        'python',
        '-c',
        PY_BODY,
        '/openapi.json',
        ...(port ? [String(port)] : []),
      ])
      if (!r) return { cause: `${where}: not read (dry run)`, fix: '' }
      return parseOpenapiAnswer(where, r.stdout, r.stderr)
    },
  }
}

/** PY_BODY's output: "STATUS 200" then the document. */
export function parseOpenapiAnswer(where: string, stdout: string, stderr = ''): { doc: OpenApi } | Failure {
  const m = /^STATUS (\d{3})\s*\n([\s\S]*)$/m.exec(stdout)
  if (!m) {
    const why = (/^ERROR (.*)$/m.exec(stdout)?.[1] ?? stderr.trim().split('\n').pop() ?? '').trim()
    return {
      cause: `${where}: ${why || 'no answer'}`,
      fix: 'see the backend rows; the backend image needs python on PATH',
    }
  }
  if (m[1] !== '200')
    return {
      cause: `${where} → ${m[1]}: the backend serves no OpenAPI document there`,
      fix: 'the journey finds the task and chat routes in it (FastAPI serves it unless openapi_url=None); without it: --no-journey',
    }
  try {
    const doc = JSON.parse(m[2]!) as OpenApi
    if (!doc || typeof doc !== 'object' || !doc.paths) throw new Error('no paths')
    return { doc }
  } catch (e) {
    return {
      cause: `${where}: not an OpenAPI document (${(e as Error).message})`,
      fix: 'the journey reads the routes from it; without it: --no-journey',
    }
  }
}

/** Everything the journey needs to run through the browser's URL. */
export async function journeyPlan(ctx: Ctx, s: Subject, ask: Ask, o: Entry): Promise<JourneyPlan & { said: string }> {
  const { cfg } = ctx
  const url = await browserUrl(ctx, ask, o)
  return {
    base: url.base,
    host: url.host,
    origin: url.origin,
    said: url.said,
    betterAuth: betterAuth(cfg.frontend.contextDir) !== null,
    authPath: AUTH_PATH,
    way: backendWay(ctx, url.viaIngress),
    chat: chatDecision(ctx),
    openapi: openapiInPod(s, ask),
    jwksVar: jwksVariable(ctx),
    release: cfg.release,
    namespace: cfg.namespace,
    ...(cfg.secrets.BETTER_AUTH_SECRET
      ? { emailVerificationToken: verificationToken(cfg.secrets.BETTER_AUTH_SECRET) }
      : {}),
    ...(cfg.gateway && url.viaIngress
      ? {
          controller: `is the Gateway ${cfg.gateway.namespace}/${cfg.gateway.name} programmed (${gatewayGet(cfg.gateway).join(' ')})?`,
        }
      : {}),
  }
}

/**
 * The token of Better Auth's email-verification link (its createEmailVerificationToken): an HS256 JWT of the lowercased
 * email, signed with BETTER_AUTH_SECRET, valid for an hour. The secret stays in this closure.
 */
export function verificationToken(secret: string): (email: string) => string {
  const b64 = (v: string | Buffer): string => Buffer.from(v).toString('base64url')
  return (email) => {
    const now = Math.floor(Date.now() / 1000)
    const head = `${b64(JSON.stringify({ alg: 'HS256' }))}.${b64(JSON.stringify({ email: email.toLowerCase(), iat: now, exp: now + 3600 }))}`
    return `${head}.${b64(createHmac('sha256', secret).update(head).digest())}`
  }
}
