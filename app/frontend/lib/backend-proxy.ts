// Same-origin gateway to the backend. The browser calls /api/backend/<path>; the server forwards to
// $BACKEND_URL/api/<path>, read per request so one image runs anywhere, with the user's JWT attached.
// No imports from Next here: the module is plain Request -> Response and is unit-tested as such.

export interface ProxyDeps {
  /** Base URL of the backend, e.g. http://todo-backend:8000; read at request time. */
  backendUrl: string | undefined
  /** The signed-in user's JWT, or null when the request has no session. */
  getToken: (headers: Headers) => Promise<string | null>
  fetch?: typeof fetch
  timeoutMs?: number
}

// Request headers worth passing on. Cookies and the browser's own Authorization never reach the backend.
const FORWARD_REQUEST_HEADERS = ['accept', 'accept-language', 'content-type', 'x-request-id']
// Response headers worth passing back. Hop-by-hop and encoding headers are recomputed by the server.
const FORWARD_RESPONSE_HEADERS = ['content-type', 'cache-control', 'location', 'retry-after', 'x-request-id']
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function jsonError(status: number, error: string, detail: string): Response {
  return Response.json({ error, detail }, { status, headers: { 'cache-control': 'no-store' } })
}

/** Builds the backend URL for the path segments after /api/backend/, refusing anything that could escape /api/. */
export function backendTarget(backendUrl: string, segments: readonly string[], search: string): URL | null {
  if (segments.length === 0) return null
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\'))) return null
  const base = new URL(backendUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  base.pathname = `${prefix}/api/${segments.map(encodeURIComponent).join('/')}`
  base.search = search
  base.hash = ''
  return base
}

export async function proxyToBackend(request: Request, segments: readonly string[], deps: ProxyDeps): Promise<Response> {
  const backendUrl = deps.backendUrl?.trim()
  if (!backendUrl) {
    return jsonError(503, 'backend_not_configured', 'The frontend has no BACKEND_URL; fix: set BACKEND_URL (e.g. http://todo-backend:8000) in its environment and restart it.')
  }
  let target: URL | null
  try {
    target = backendTarget(backendUrl, segments, new URL(request.url).search)
  } catch {
    return jsonError(503, 'backend_not_configured', 'BACKEND_URL is not a valid URL; fix: set it to e.g. http://todo-backend:8000 and restart the frontend.')
  }
  if (!target) return jsonError(400, 'bad_path', 'Invalid backend path.')

  let token: string | null
  try {
    token = await deps.getToken(request.headers)
  } catch (err) {
    console.error(`backend proxy: reading the session failed: ${(err as Error)?.message ?? err}`)
    return jsonError(500, 'session_error', 'Could not read your session. Try again; if it persists, check the frontend logs and its DATABASE_URL.')
  }
  if (!token) return jsonError(401, 'unauthenticated', 'Sign in to use this API.')

  const headers = new Headers()
  for (const name of FORWARD_REQUEST_HEADERS) {
    const value = request.headers.get(name)
    if (value) headers.set(name, value)
  }
  headers.set('authorization', `Bearer ${token}`)

  const method = request.method.toUpperCase()
  const body = METHODS_WITH_BODY.has(method) ? await request.arrayBuffer() : undefined

  let upstream: Response
  try {
    upstream = await (deps.fetch ?? fetch)(target, {
      method,
      headers,
      body: body && body.byteLength > 0 ? body : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000),
    })
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError'
    // The reason goes to the server log with the address; the browser only learns that the backend did not answer.
    console.error(`backend proxy: ${method} ${target.href} failed: ${(err as Error)?.cause ?? err}`)
    return timedOut
      ? jsonError(504, 'backend_timeout', 'The backend did not answer in time. Try again; if it persists, check the backend service and its logs.')
      : jsonError(502, 'backend_unreachable', 'The backend is not reachable. Check that the backend service is running and BACKEND_URL points at it.')
  }

  const responseHeaders = new Headers({ 'cache-control': 'no-store' })
  for (const name of FORWARD_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name)
    if (value) responseHeaders.set(name, value)
  }
  // Redirects would reveal the backend's own address: keep only the path.
  const location = responseHeaders.get('location')
  if (location) {
    try {
      const loc = new URL(location, target)
      if (loc.origin === target.origin) responseHeaders.set('location', loc.pathname.replace(/^\/api\//, '/api/backend/') + loc.search)
      else responseHeaders.delete('location')
    } catch {
      responseHeaders.delete('location')
    }
  }
  const noBody = upstream.status === 204 || upstream.status === 304 || method === 'HEAD'
  return new Response(noBody ? null : upstream.body, { status: upstream.status, headers: responseHeaders })
}
