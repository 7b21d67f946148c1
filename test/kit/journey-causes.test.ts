// The journey's failure causes: each response (or no response) → one cause line and one fix line; and the cookies a
// browser on the public URL keeps.
import { describe, expect, it } from 'vitest'
import { CookieJar } from '../../scripts/lib/journey/cookie-jar.ts'
import { classify, cookieFailure, said, type Where } from '../../scripts/lib/journey/failure-causes.ts'
import type { Res } from '../../scripts/lib/journey/http-send.ts'

const where = (over: Partial<Where> = {}): Where => ({
  leg: 'backend',
  method: 'POST',
  path: '/api/backend/u1/tasks',
  base: 'http://192.168.49.2',
  host: 'todo.local',
  origin: 'http://todo.local',
  way: { how: 'proxy', prefix: '/api/backend', strip: '/api' },
  authPath: '/api/auth',
  jwksVar: 'JWKS_URL',
  release: 'todo',
  namespace: 'todo',
  ...over,
})
const res = (status: number, text = '', headers: Record<string, string> = {}): Res => ({
  status,
  headers,
  setCookies: [],
  text,
})
const signUp = where({ leg: 'auth', path: '/api/auth/sign-up/email' })

describe('classify: no answer', () => {
  it('a host that does not resolve: the hosts line, or --url with a port-forward', () => {
    const f = classify({ error: 'getaddrinfo ENOTFOUND todo.local', code: 'ENOTFOUND' }, signUp)
    expect(f.cause).toBe('todo.local does not resolve on this machine (POST /api/auth/sign-up/email)')
    expect(f.fix).toContain('"<ingress address> todo.local" to /etc/hosts')
    expect(f.fix).toContain(
      '--url http://localhost:3000 after kubectl port-forward -n todo svc/todo-frontend 3000:3000',
    )
  })
  it('nothing listening, and a timeout', () => {
    expect(classify({ error: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }, signUp).cause).toBe(
      'nothing listens at http://192.168.49.2',
    )
    expect(classify({ error: 'no answer within 30s', code: 'ETIMEDOUT' }, signUp).fix).toContain('minikube tunnel')
    const refused = { error: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }
    expect(classify(refused, signUp).fix).toMatch(/^is the ingress controller running \(kubectl get pods -A /)
    // through a Gateway, the Gateway is what to ask about
    const gw = 'is the Gateway todo/eg programmed (kubectl get gateways.gateway.networking.k8s.io eg -n todo)?'
    expect(classify(refused, where({ controller: gw })).fix).toMatch(
      /^is the Gateway todo\/eg programmed .* or npx zx /,
    )
  })
  it('a certificate this machine does not trust: NODE_EXTRA_CA_CERTS for a private CA, else the TLS Secret', () => {
    const f = classify(
      { error: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      where({ base: 'https://10.111.225.57' }),
    )
    expect(f.cause).toBe(
      'https://10.111.225.57 did not prove it is todo.local: its certificate is not one this machine trusts (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)',
    )
    expect(f.fix).toMatch(
      /^a certificate from a private CA: NODE_EXTRA_CA_CERTS=<that CA's PEM file> npx zx scripts\/validate\.ts; else the TLS Secret .* for todo\.local$/,
    )
    expect(
      classify(
        { error: "Hostname/IP does not match certificate's altnames", code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
        signUp,
      ).fix,
    ).toContain('NODE_EXTRA_CA_CERTS')
  })
})

describe('classify: answers', () => {
  it("Better Auth's 403 invalid origin → PUBLIC_URL and the trusted origins", () => {
    const f = classify(res(403, '{"code":"INVALID_ORIGIN","message":"Invalid origin"}'), signUp)
    expect(f.cause).toBe(
      "POST /api/auth/sign-up/email → 403 (Invalid origin): the app's auth does not trust the origin http://todo.local a browser on the public URL sends",
    )
    expect(f.fix).toMatch(
      /^PUBLIC_URL must be the URL users open .*BETTER_AUTH_TRUSTED_ORIGINS; then npx zx scripts\/deploy\.ts$/,
    )
  })
  it("a missing table → the migrations (the frontend's for auth tables, the backend's for its own)", () => {
    const auth = classify(res(500, 'error: relation "user" does not exist'), signUp)
    expect(auth.cause).toBe(
      'POST /api/auth/sign-up/email → 500 (error: relation "user" does not exist): table user does not exist',
    )
    expect(auth.fix).toMatch(/^the frontend's auth tables are created by its migration .*job\/todo-migrate/)
    const be = classify(
      res(500, '{"detail":"(psycopg2.errors.UndefinedTable) relation \\"tasks\\" does not exist"}'),
      where(),
    )
    expect(be.cause).toContain('table tasks does not exist')
    expect(be.fix).toMatch(/^the backend's tables are created by its migrations/)
  })
  it("the backend could not fetch the JWKS (the reference app's 503, another app's 401) → the JWKS variable", () => {
    for (const r of [
      res(503, '{"detail":"authentication keys are unavailable"}'),
      res(401, '{"detail":"Could not fetch JWKS from http://localhost:3000/api/auth/jwks"}'),
    ]) {
      const f = classify(r, where())
      expect(f.cause).toMatch(/: the backend could not fetch the JWKS to verify the token$/)
      expect(f.fix).toMatch(
        /^JWKS_URL must point the backend at the frontend's JWKS .*http:\/\/todo-frontend:3000\/api\/auth\/jwks/,
      )
    }
    const own = classify(
      res(503, '{"detail":"authentication keys are unavailable"}'),
      where({ jwksVar: 'BETTER_AUTH_JWKS' }),
    )
    expect(own.fix).toMatch(/^BETTER_AUTH_JWKS must point/)
  })
  it('a 401 on issuer/audience → JWT_ISSUER/JWT_AUDIENCE; another 401 → how the backend verifies', () => {
    expect(classify(res(401, '{"detail":"invalid token: Invalid issuer"}'), where()).fix).toMatch(
      /^the backend's JWT_ISSUER and JWT_AUDIENCE must be PUBLIC_URL \(http:\/\/todo\.local\)/,
    )
    const direct = classify(
      res(401, '{"detail":"Not authenticated"}'),
      where({ way: { how: 'ingress', backendPaths: ['/api'], frontendPaths: [] } }),
    )
    expect(direct.cause).toBe(
      "POST /api/backend/u1/tasks → 401 (Not authenticated): the backend does not accept the credential the app's auth issued",
    )
    expect(direct.fix).toMatch(/^check how the backend verifies tokens \(JWKS_URL, JWT_ISSUER/)
  })
  it("404s: Better Auth not mounted, no proxy (the frontend's HTML page), not routed by the ingress, no backend route", () => {
    expect(classify(res(404, ''), signUp).cause).toBe(
      'POST /api/auth/sign-up/email → 404: no Better Auth email/password route at /api/auth',
    )
    const page = '<!DOCTYPE html><html><body>404: This page could not be found.</body></html>'
    expect(classify(res(404, page), where()).cause).toMatch(/the frontend has no backend proxy at \/api\/backend$/)
    const ingress = where({ path: '/api/u1/tasks', way: { how: 'ingress', backendPaths: ['/api'], frontendPaths: [] } })
    const f = classify(res(404, page), ingress)
    expect(f.cause).toMatch(/the frontend answered, the request never reached the backend$/)
    expect(f.fix).toMatch(/^route the backend's path prefix to it: ingress\.backendPaths/)
    expect(classify(res(404, '{"detail":"Not Found"}'), ingress).cause).toBe(
      'POST /api/u1/tasks → 404 (Not Found): the backend has no route for POST /api/u1/tasks',
    )
  })
  it('422, 502 and anything else name the logs to read', () => {
    expect(classify(res(422, '{"detail":[{"msg":"field required"}]}'), where()).cause).toMatch(
      /→ 422 \(\[\{"msg":"field required"\}\]\): the app refused the request/,
    )
    expect(classify(res(502, 'Bad Gateway'), where()).cause).toMatch(
      /the frontend's proxy got no answer from the backend$/,
    )
    expect(classify(res(418, 'teapot'), where()).fix).toBe('kubectl logs -n todo deploy/todo-backend --tail=50')
  })
  it("said: the app's own words, HTML stripped and cut", () => {
    expect(said('{"detail":"Task 3 not found"}')).toBe('Task 3 not found')
    expect(said('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway')
    expect(said('x'.repeat(300))).toHaveLength(161)
  })
})

describe('cookies a browser on the public URL keeps', () => {
  it('keeps a plain cookie and sends it back on paths under its Path', () => {
    const jar = new CookieJar(new URL('http://todo.local'))
    expect(jar.take(['better-auth.session_token=abc; Path=/; HttpOnly; SameSite=Lax'])).toEqual({
      kept: ['better-auth.session_token'],
      dropped: [],
    })
    expect(jar.header('/api/auth/token')).toBe('better-auth.session_token=abc')
  })
  it('drops a Secure cookie on plain http (but not on localhost), and a foreign Domain', () => {
    const jar = new CookieJar(new URL('http://todo.local'))
    const got = jar.take(['__Secure-better-auth.session_token=abc; Path=/; Secure', 's=1; Domain=example.com'])
    expect(got.kept).toEqual([])
    expect(got.dropped).toEqual([
      { name: '__Secure-better-auth.session_token', why: 'it is Secure and http://todo.local is plain http' },
      { name: 's', why: 'its Domain=example.com does not cover todo.local' },
    ])
    expect(new CookieJar(new URL('http://localhost:3000')).take(['a=1; Secure']).kept).toEqual(['a'])
    expect(new CookieJar(new URL('http://app.todo.local')).take(['a=1; Domain=.todo.local']).kept).toEqual(['a'])
  })
  it('cookieFailure: none set, Secure on http, wrong domain', () => {
    const got = 'POST /api/auth/sign-up/email → 200'
    expect(cookieFailure(got, [], [], 'http://todo.local')?.cause).toBe(
      'POST /api/auth/sign-up/email → 200 but set no cookie: a browser would have no session',
    )
    const secure = cookieFailure(
      got,
      [],
      [{ name: 's', why: 'it is Secure and http://todo.local is plain http' }],
      'http://todo.local',
    )
    expect(secure?.fix).toMatch(/^serve the app over https/)
    const domain = cookieFailure(
      got,
      [],
      [{ name: 's', why: 'its Domain=x does not cover todo.local' }],
      'http://todo.local',
    )
    expect(domain?.fix).toMatch(/^PUBLIC_URL must be the host users open/)
    expect(cookieFailure(got, ['s'], [], 'http://todo.local')).toBeNull()
  })
})
