// A small app of the reference app's shape for the journey's tests: Better Auth's email/password routes and JWT
// token, the /api/backend proxy (the session cookie is the credential) and the backend's task and chat routes under
// it. `fake.mode` switches it into one failure at a time.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** An unsigned JWT-shaped token naming `sub` (the journey reads the sub; it never verifies). */
export const jwt = (sub: string): string =>
  [{ alg: 'EdDSA' }, { sub, iss: 'http://todo.local' }, 'sig']
    .map((p) => Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)).toString('base64url'))
    .join('.')

/** How the fake app misbehaves; 'ok' is a working app. */
export type Mode =
  | 'ok'
  | 'origin'
  | 'no-auth-table'
  | 'no-task-table'
  | 'jwks'
  | 'no-proxy'
  | 'secure-cookie'
  | 'domain-cookie'
  | 'no-route'
  | 'delete-user'
  | 'no-auto-sign-in'
  | 'no-session-at-all'
  | 'chat-error'
  | 'rewrite-unreachable'
  | 'verify-email'
/** What the app was asked, and how it behaves now (tests switch `mode`). */
export const fake = {
  mode: 'ok' as Mode,
  /** requireEmailVerification: the emails whose link was opened */
  verified: new Set<string>(),
  seen: [] as { method: string; url: string; headers: IncomingMessage['headers']; body: string }[],
  tasks: new Map<number, { id: number; title: string; completed: boolean }>(),
  reset(): void {
    this.mode = 'ok'
    this.seen.length = 0
    this.tasks.clear()
    this.verified.clear()
  },
}

const SESSION = 'better-auth.session_token'
/** the BETTER_AUTH_SECRET the fake app verifies its email links with */
export const FAKE_AUTH_SECRET = 'fake-better-auth-secret-0123456789abcdef'

/** The email of a valid HS256 verification token signed with FAKE_AUTH_SECRET, as Better Auth's verify-email checks. */
function verifiedEmail(token: string): string | null {
  const [h, p, sig] = token.split('.')
  if (!h || !p || !sig) return null
  const want = createHmac('sha256', FAKE_AUTH_SECRET).update(`${h}.${p}`).digest()
  const got = Buffer.from(sig, 'base64url')
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null
  if ((JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string }).alg !== 'HS256') return null
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { email?: string; exp?: number }
  return claims.email && (claims.exp ?? 0) > Date.now() / 1000 ? claims.email : null
}
function app(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x')
  const send = (status: number, value: unknown, headers: Record<string, string | string[]> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(typeof value === 'string' ? value : JSON.stringify(value))
  }
  const session = (req.headers.cookie ?? '').includes(`${SESSION}=s1`)
  const p = url.pathname
  // ---- Better Auth ----
  if (p === '/api/auth/sign-up/email' && req.method === 'POST') {
    if (fake.mode === 'origin' && req.headers.origin === 'http://todo.local')
      return send(403, { code: 'INVALID_ORIGIN', message: 'Invalid origin' })
    if (fake.mode === 'no-auth-table') return send(500, 'error: relation "user" does not exist')
    // Better Auth's `autoSignIn: false`: the account, and no session until the user signs in
    if (fake.mode === 'no-auto-sign-in' || fake.mode === 'no-session-at-all' || fake.mode === 'verify-email')
      return send(200, { token: null, user: { id: 'u1', email: JSON.parse(body).email } })
    const cookie =
      fake.mode === 'secure-cookie'
        ? `__Secure-${SESSION}=s1; Path=/; HttpOnly; Secure`
        : fake.mode === 'domain-cookie'
          ? `${SESSION}=s1; Path=/; Domain=example.com`
          : `${SESSION}=s1; Path=/; HttpOnly; SameSite=Lax`
    return send(200, { token: 's1', user: { id: 'u1', email: JSON.parse(body).email } }, { 'set-cookie': cookie })
  }
  if (p === '/api/auth/verify-email' && req.method === 'GET') {
    const email = verifiedEmail(url.searchParams.get('token') ?? '')
    if (!email) return send(401, { code: 'INVALID_TOKEN', message: 'invalid token' })
    fake.verified.add(email)
    return send(200, { status: true, user: null })
  }
  if (
    p === '/api/auth/sign-in/email' &&
    req.method === 'POST' &&
    fake.mode === 'verify-email' &&
    !fake.verified.has((JSON.parse(body) as { email: string }).email)
  )
    return send(403, { code: 'EMAIL_NOT_VERIFIED', message: 'Email not verified' })
  if (p === '/api/auth/sign-in/email' && req.method === 'POST')
    return fake.mode === 'no-session-at-all'
      ? send(200, { token: null, user: { id: 'u1' } })
      : send(
          200,
          { token: 's1', user: { id: 'u1' } },
          { 'set-cookie': `${SESSION}=s1; Path=/; HttpOnly; SameSite=Lax` },
        )
  if (p === '/api/auth/token') return session ? send(200, { token: jwt('u1') }) : send(401, { message: 'Unauthorized' })
  if (p === '/api/auth/delete-user')
    return fake.mode === 'delete-user' && session
      ? send(200, { success: true, message: 'User deleted' })
      : send(404, '')
  // ---- the proxy: /api/backend/<path> → the backend's /api/<path>, the session as credential ----
  if (p.startsWith('/api/backend/') && fake.mode !== 'no-proxy') {
    if (!session) return send(401, { error: 'unauthenticated' })
    if (fake.mode === 'jwks') return send(503, { detail: 'authentication keys are unavailable' })
    return backend(req.method ?? 'GET', `/api/${p.slice('/api/backend/'.length)}`, body, send)
  }
  // ---- a next.config rewrite: /backend/<path> passed on to the backend as it is (the caller's bearer token along) ----
  if (p.startsWith('/backend/')) {
    // what Next.js answers when the rewrite's destination cannot be reached from the frontend
    if (fake.mode === 'rewrite-unreachable') {
      res.writeHead(500, { 'content-type': 'text/plain' })
      return void res.end('Internal Server Error')
    }
    if (req.headers.authorization !== `Bearer ${jwt('u1')}`) return send(401, { detail: 'Not authenticated' })
    return backend(req.method ?? 'GET', p.slice('/backend'.length), body, send)
  }
  res.writeHead(404, { 'content-type': 'text/html' })
  res.end('<!DOCTYPE html><html><body>404: This page could not be found.</body></html>')
}

const tasks = fake.tasks
let next = 1
function backend(method: string, p: string, body: string, send: (s: number, v: unknown) => void): void {
  const m = /^\/api\/u1\/(tasks|chat)(?:\/(\d+))?(\/complete)?$/.exec(p)
  if (!m || fake.mode === 'no-route') return send(404, { detail: 'Not Found' })
  if (fake.mode === 'no-task-table')
    return send(500, { detail: '(psycopg2.errors.UndefinedTable) relation "task" does not exist' })
  if (m[1] === 'chat')
    return send(200, {
      conversation_id: 1,
      // an app that catches the model's failure (a placeholder key) and answers with an apology
      response:
        fake.mode === 'chat-error'
          ? 'I encountered an issue processing your request. Please try again.'
          : 'You have no tasks.',
      tool_calls: [],
    })
  const id = Number(m[2])
  if (!m[2] && method === 'POST') {
    const t = { id: next++, title: JSON.parse(body).title, completed: false }
    tasks.set(t.id, t)
    return send(201, t)
  }
  if (!m[2] && method === 'GET') return send(200, [...tasks.values()])
  const t = tasks.get(id)
  if (!t) return send(404, { detail: `Task ${id} not found` })
  if (m[3]) return send(200, Object.assign(t, { completed: true }))
  if (method === 'PUT') return send(200, Object.assign(t, JSON.parse(body)))
  if (method === 'DELETE') {
    tasks.delete(id)
    return send(204, '')
  }
  send(405, { detail: 'Method Not Allowed' })
}

/** Serves the app on a free port; returns its base URL and a close function. */
export async function startFakeApp(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      fake.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      app(req, res, body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
