// Why a journey request failed, from what came back: one cause line and one fix line, in the terms of the kit's
// settings (PUBLIC_URL, the chart's JWKS_URL, ingress.backendPaths, the migrate Job), never a bare status code.
import { answered, type Sent } from './http-send.ts'
import type { Dropped } from './cookie-jar.ts'

export type Failure = { cause: string; fix: string }

/** How the journey reaches the backend from the public URL. */
export type BackendWay =
  /** the ingress routes these path prefixes to the backend, except the longer frontendPaths under them */
  | { how: 'ingress'; backendPaths: string[]; frontendPaths: string[] }
  /** the frontend forwards <prefix>/<path> to the backend's <strip>/<path> with the session's token */
  | { how: 'proxy'; prefix: string; strip: string }
  /**
   * the app's own next.config rewrite: <prefix>/<path> on the frontend to <destination> (fixed by `next build`) with
   * <strip>/<path>, the request passed on as it is (the journey attaches the token, as the app's browser code does)
   */
  | {
      how: 'rewrite'
      prefix: string
      strip: string
      destination: string
      /** the variable next build read the destination from, and the value the kit built with (null: not set) */
      variable: string | null
      built: string | null
      from: string
    }
  | { how: 'none'; why: string; fix: string }

export type Where = {
  /** who should answer: the app's auth (Better Auth in the frontend, or the backend's own auth routes), the backend */
  leg: 'auth' | 'backend'
  method: string
  /** the path requested on the public URL */
  path: string
  /** where the journey connected, and the Host and Origin it sent (those of the public URL) */
  base: string
  host: string
  origin: string
  way: BackendWay
  authPath: string
  /** the backend's variable that holds the JWKS URL (the chart's JWKS_URL, or the app's own) */
  jwksVar: string
  release: string
  /** what to ask when nothing listens (the JourneyPlan's) */
  controller?: string
  namespace: string
}

const DEPLOY = 'npx zx scripts/deploy.ts'

/** The app's own words: FastAPI's detail, Better Auth's message/code, else the first line of the body. */
export function said(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>
    const v = j.detail ?? j.message ?? j.error ?? j.code
    if (typeof v === 'string') return v
    if (v !== undefined) return JSON.stringify(v).slice(0, 200)
  } catch {
    /* not JSON */
  }
  const t = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return t.length > 160 ? `${t.slice(0, 160)}…` : t
}

const isHtml = (text: string): boolean => /^\s*<(!doctype|html)/i.test(text)

export function classify(s: Sent, w: Where): Failure {
  const logs = (c: 'frontend' | 'backend'): string =>
    `kubectl logs -n ${w.namespace} deploy/${w.release}-${c} --tail=50`
  const component = w.leg === 'auth' && w.path.startsWith(w.authPath) ? 'frontend' : 'backend'
  const hostName = w.host.replace(/:\d+$/, '')
  const portForward = `npx zx scripts/validate.ts --url http://localhost:3000 after kubectl port-forward -n ${w.namespace} svc/${w.release}-frontend 3000:3000`

  if (!answered(s)) {
    if (s.code === 'ENOTFOUND' || s.code === 'EAI_AGAIN')
      return {
        cause: `${hostName} does not resolve on this machine (${w.method} ${w.path})`,
        fix: `add "<ingress address> ${hostName}" to /etc/hosts (npx zx scripts/deploy.ts prints the line), or ${portForward}`,
      }
    if (s.code === 'ECONNREFUSED')
      return {
        cause: `nothing listens at ${w.base}`,
        fix: `${w.controller ?? 'is the ingress controller running (kubectl get pods -A -l app.kubernetes.io/name=ingress-nginx)?'} or ${portForward}`,
      }
    if (s.code === 'ETIMEDOUT' || s.code === 'ECONNRESET')
      return {
        cause: `${w.method} ${w.path}: no answer from ${w.base} (${s.error})`,
        fix: `on macOS/Windows with the docker driver keep minikube tunnel running; else check ${logs(component)}`,
      }
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(s.code))
      return {
        cause: `${w.base} did not prove it is ${hostName}: its certificate is not one this machine trusts (${s.code}: ${s.error})`,
        fix: `a certificate from a private CA: NODE_EXTRA_CA_CERTS=<that CA's PEM file> npx zx scripts/validate.ts; else the TLS Secret the ingress or the Gateway's listener serves must hold a certificate for ${hostName}`,
      }
    return { cause: `${w.method} ${w.path}: ${s.code} ${s.error}`, fix: portForward }
  }

  const { status, text } = s
  const words = said(text)
  const got = `${w.method} ${w.path} → ${status}${words ? ` (${words})` : ''}`

  if (w.leg === 'backend' && w.way.how === 'rewrite' && w.path.startsWith(`${w.way.prefix}/`) && status >= 500) {
    const r = w.way
    const dest = r.variable ? `${r.variable}=${r.built ?? '(unset)'} at build time` : r.destination
    return {
      cause:
        `${got}: the frontend's rewrite ${r.prefix}/:path* (${r.from}) passes the request to ${r.destination} ` +
        `(${dest}), and the frontend pod could not reach that: the destination is fixed by next build, and the ` +
        `public URL is not an address inside the cluster`,
      // fixed to the public URL: the pods can resolve its host to the ingress (minikube), which routes the same paths
      fix:
        r.built !== null && URL.canParse(r.built) && new URL(r.built).host === w.host
          ? `set PUBLIC_HOST_IN_PODS=true in .env (the app pods then resolve ${hostName} to the ingress controller, which routes the backend's paths), then ${DEPLOY}; ${logs('frontend')}`
          : r.variable
            ? `build with ${r.variable}=http://${w.release}-backend:8000 (the backend's Service) in .env if the browser never calls ${r.variable} itself, then npx zx scripts/up.ts; ${logs('frontend')}`
            : `the rewrite's destination must be an address the frontend pod reaches (the backend's Service, http://${w.release}-backend:8000); ${logs('frontend')}`,
    }
  }

  if (status === 403 && /invalid origin|INVALID_ORIGIN|MISSING_OR_NULL_ORIGIN/i.test(text))
    return {
      cause: `${got}: the app's auth does not trust the origin ${w.origin} a browser on the public URL sends`,
      fix: `PUBLIC_URL must be the URL users open (the chart makes it BETTER_AUTH_URL and a trusted origin); another origin goes in BETTER_AUTH_TRUSTED_ORIGINS; then ${DEPLOY}`,
    }

  const named = /relation \\?"?([\w.]+?)\\?"? does not exist|no such table:? "?([\w.]+)/i.exec(text)
  if (status >= 500 && (named || /UndefinedTable/.test(text))) {
    const name = named?.[1] ?? named?.[2] ?? 'a table'
    const who =
      component === 'frontend'
        ? "the frontend's auth tables are created by its migration (frontend.migrateCommand, node migrate.mjs in the reference app)"
        : "the backend's tables are created by its migrations (backend.migrateCommand) or at its startup"
    return {
      cause: `${got}: table ${name} does not exist`,
      fix: `${who}: kubectl logs -n ${w.namespace} job/${w.release}-migrate, then ${DEPLOY}`,
    }
  }

  if (
    w.leg === 'backend' &&
    [401, 403, 500, 502, 503].includes(status) &&
    /jwks|keys? (are )?unavailable|authentication keys|signing key|fetch.*keys?/i.test(text)
  )
    return {
      cause: `${got}: the backend could not fetch the JWKS to verify the token`,
      fix: `${w.jwksVar} must point the backend at the frontend's JWKS inside the cluster (the chart sets JWKS_URL=http://${w.release}-frontend:3000${w.authPath}/jwks; kubectl exec -n ${w.namespace} deploy/${w.release}-backend -- env | grep JWKS), then ${DEPLOY}`,
    }

  if (w.leg === 'backend' && status === 401) {
    if (/issuer|\biss\b|audience|\baud\b/i.test(words))
      return {
        cause: `${got}: the backend expects another issuer/audience than the token's`,
        fix: `the backend's JWT_ISSUER and JWT_AUDIENCE must be PUBLIC_URL (${w.origin}), the BETTER_AUTH_URL the frontend signs with; then ${DEPLOY}`,
      }
    return {
      cause: `${got}: the backend does not accept the credential the app's auth issued`,
      fix:
        w.way.how === 'proxy'
          ? `the frontend's proxy sends the session's JWT (GET ${w.authPath}/token): see ${logs('frontend')} and ${logs('backend')}`
          : `check how the backend verifies tokens (${w.jwksVar}, JWT_ISSUER, JWT_AUDIENCE or its shared secret): ${logs('backend')}`,
    }
  }

  if (w.leg === 'auth' && status === 401)
    return {
      cause: `${got}: no session, although sign-up answered`,
      fix: `the session cookie did not come back: BETTER_AUTH_URL (PUBLIC_URL, now ${w.origin}) must be the URL users open; ${logs('frontend')}`,
    }

  if (status === 404) {
    if (w.leg === 'auth' && w.path.startsWith(w.authPath))
      return {
        cause: `${got}: no Better Auth email/password route at ${w.authPath}`,
        fix: `the frontend must mount Better Auth at ${w.authPath} (app/api/auth/[...all]/route.ts) with emailAndPassword enabled`,
      }
    const frontendAnswered = isHtml(text)
    if (w.way.how === 'proxy' && w.path.startsWith(w.way.prefix) && frontendAnswered)
      return {
        cause: `${got}: the frontend has no backend proxy at ${w.way.prefix}`,
        fix: `route the backend's paths on the ingress instead: ingress.backendPaths (e.g. ["/api"]) and ingress.frontendPaths (["${w.authPath}"]) in a HELM_VALUES_FILES file, then ${DEPLOY}`,
      }
    if (frontendAnswered)
      return {
        cause: `${got}: the frontend answered, the request never reached the backend`,
        fix: `route the backend's path prefix to it: ingress.backendPaths (the prefix of ${w.path}) and ingress.frontendPaths (["${w.authPath}"]), then ${DEPLOY}`,
      }
    if (/^not found$/i.test(words))
      return {
        cause: `${got}: the backend has no route for ${w.method} ${w.path}`,
        fix: `the path the backend's /openapi.json declares must reach it unchanged: check ingress.backendPaths and the proxy's path mapping; ${logs('backend')}`,
      }
    return { cause: `${got}: what the journey just created is not there`, fix: logs('backend') }
  }

  if (status === 405)
    return {
      cause: `${got}: the path exists but not for ${w.method}`,
      fix: `a proxy or ingress in front of the backend must pass ${w.method} through; ${logs('backend')}`,
    }

  if (status === 400 || status === 422)
    return {
      cause: `${got}: the app refused the request the journey built from its schema`,
      fix: `check the request schema in /openapi.json against what the route really takes; ${logs(component)}`,
    }

  if ([502, 503, 504].includes(status))
    return {
      cause: `${got}: ${w.way.how === 'proxy' ? "the frontend's proxy" : w.way.how === 'rewrite' ? `the frontend's rewrite ${w.way.prefix}` : 'the ingress'} got no answer from the ${component}`,
      fix: `see the pods and endpoints rows; ${logs(component)}`,
    }

  return { cause: got, fix: logs(component) }
}

/** The cookies a sign-up set that a browser on the public URL would drop (or none at all). */
export function cookieFailure(got: string, kept: string[], dropped: Dropped[], origin: string): Failure | null {
  if (kept.length) return null
  if (!dropped.length)
    return {
      cause: `${got} but set no cookie: a browser would have no session`,
      fix: `the app's auth must answer sign-up with its session cookie; see kubectl logs of the frontend`,
    }
  const d = dropped[0]!
  if (/plain http|needs Secure/.test(d.why))
    return {
      cause: `${got} but a browser on ${origin} drops the session cookie ${d.name}: ${d.why}`,
      fix: `serve the app over https (ingress.tls and an https PUBLIC_URL), or make PUBLIC_URL the http URL users open so the auth sets plain cookies (Better Auth makes them Secure when BETTER_AUTH_URL is https)`,
    }
  return {
    cause: `${got} but a browser on ${origin} drops the session cookie ${d.name}: ${d.why}`,
    fix: `PUBLIC_URL must be the host users open (now ${origin}); a cookie domain set in the app's auth must cover it`,
  }
}
