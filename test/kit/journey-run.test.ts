// The journey's steps against a small app served here: a Better Auth-shaped frontend with the reference app's
// /api/backend proxy, and a backend with its own auth behind an ingress-like path split. Each failure cause is
// reproduced by switching the app into it; the dry run prints the same steps' requests.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Check } from '../../scripts/lib/checks.ts'
import { httpSend } from '../../scripts/lib/journey/http-send.ts'
import {
  credentialOf,
  ingressRoutes,
  jwtSubject,
  runJourney,
  type JourneyPlan,
} from '../../scripts/lib/journey/journey.ts'
import type { OpenApi } from '../../scripts/lib/journey/openapi-routes.ts'
import type { EnvRead } from '../../scripts/lib/app/env-reads.ts'
import { chatKeys, ingressTakes, verificationToken } from '../../scripts/lib/journey/journey-target.ts'
import { fixture } from './canned.ts'
import { FAKE_AUTH_SECRET, fake, jwt, startFakeApp, type Mode } from './fake-app.ts'

const reference = JSON.parse(readFileSync(fixture('journey', 'reference-openapi.json'), 'utf8')) as OpenApi
const fill = { email: 'kit-journey-0a1b2c@example.com', password: 'Secret-Pass-123', name: 'Kit Journey', text: 't' }

let base = ''
let closeApp: () => Promise<void>
const seen = fake.seen
const tasks = fake.tasks
const setMode = (m: Mode): void => {
  fake.mode = m
}

beforeAll(async () => {
  ;({ base, close: closeApp } = await startFakeApp())
})
afterAll(() => closeApp())
beforeEach(() => fake.reset())

const plan = (over: Partial<JourneyPlan> = {}): JourneyPlan => ({
  base,
  host: 'todo.local',
  origin: 'http://todo.local',
  betterAuth: true,
  authPath: '/api/auth',
  way: { how: 'proxy', prefix: '/api/backend', strip: '/api' },
  chat: { run: true, why: 'OPENAI_API_KEY set' },
  openapi: { where: 'GET /openapi.json in todo-backend-x', read: async () => ({ doc: reference }) },
  jwksVar: 'JWKS_URL',
  release: 'todo',
  namespace: 'todo',
  ...over,
})
const run = (p: JourneyPlan = plan()): Promise<Check[]> => runJourney(p, httpSend(5000), () => {}, fill)
const row = (rows: Check[], id: string): Check => rows.find((r) => r.id === `journey-${id}`)!
const statuses = (rows: Check[]): string => rows.map((r) => `${r.id.replace('journey-', '')}:${r.status}`).join(' ')

describe('runJourney against a working app', () => {
  it('every step passes; each row has the request and its status', async () => {
    const rows = await run()
    expect(statuses(rows)).toBe(
      'routes:pass sign-up:pass credential:pass create:pass list:pass update:pass complete:pass delete:pass chat:pass cleanup:pass',
    )
    expect(row(rows, 'routes').detail).toBe(
      'GET /openapi.json in todo-backend-x: tasks /api/{user_id}/tasks, chat /api/{user_id}/chat',
    )
    expect(row(rows, 'sign-up').detail).toBe(
      'POST /api/auth/sign-up/email → 200 (kit-journey-…@example.com, cookie better-auth.session_token)',
    )
    expect(row(rows, 'credential').detail).toBe('GET /api/auth/token → 200 (a JWT for user u1)')
    expect(row(rows, 'create').detail).toBe('POST /api/backend/u1/tasks → 201 (task 1)')
    expect(row(rows, 'list').detail).toBe('GET /api/backend/u1/tasks → 200 (task 1 among 1)')
    expect(row(rows, 'update').detail).toBe('PUT /api/backend/u1/tasks/1 → 200')
    expect(row(rows, 'complete').detail).toBe('PATCH /api/backend/u1/tasks/1/complete → 200')
    expect(row(rows, 'delete').detail).toBe('DELETE /api/backend/u1/tasks/1 → 204')
    expect(row(rows, 'chat').detail).toBe(
      'POST /api/backend/u1/chat → 200 (OPENAI_API_KEY set; replied "You have no tasks.")',
    )
    // Better Auth's delete-user is off unless the app enables it: the row says exactly what stays
    expect(row(rows, 'cleanup').detail).toBe(
      "POST /api/auth/delete-user → 404; remains: user kit-journey-0a1b2c@example.com and its chat conversation (the app's delete-user route is off (Better Auth: user.deleteUser.enabled))",
    )
    expect(tasks.size).toBe(0)
  })

  it('sends what a browser on the public URL sends: Host and Origin of the public URL, the session cookie', async () => {
    await run()
    const signUp = seen.find((s) => s.url === '/api/auth/sign-up/email')!
    expect(signUp.headers).toMatchObject({ host: 'todo.local', origin: 'http://todo.local' })
    expect(JSON.parse(signUp.body)).toEqual({ email: fill.email, password: fill.password, name: 'Kit Journey' })
    const create = seen.find((s) => s.method === 'POST' && s.url === '/api/backend/u1/tasks')!
    expect(create.headers.cookie).toBe('better-auth.session_token=s1')
    // through the proxy the cookie is the credential; the proxy fetches the JWT itself
    expect(create.headers.authorization).toBeUndefined()
    expect(JSON.parse(create.body)).toEqual({ title: 'kit journey 0a1b2c@e' })
  })

  it('removes the user where the app offers it', async () => {
    setMode('delete-user')
    expect(row(await run(), 'cleanup').detail).toBe('POST /api/auth/delete-user → 200; user and tasks removed')
  })

  it('no LLM key: the chat is SKIP naming the key, never PASS', async () => {
    const rows = await run(plan({ chat: { run: false, why: "no OPENAI_API_KEY in .env, which the app's chat needs" } }))
    expect(row(rows, 'chat')).toMatchObject({
      status: 'skip',
      detail: "not sent: no OPENAI_API_KEY in .env, which the app's chat needs",
    })
    expect(seen.some((s) => s.url.endsWith('/chat'))).toBe(false)
  })
})

describe('runJourney on an app whose tasks are reached through the chat only', () => {
  it('the task rows are skipped with the reason (not "did not pass"); the chat runs', async () => {
    const paths = Object.fromEntries(Object.entries(reference.paths ?? {}).filter(([p]) => !/tasks/.test(p)))
    const chatOnly = { ...reference, paths } as OpenApi
    const rows = await run(
      plan({ openapi: { where: 'GET /openapi.json in x', read: async () => ({ doc: chatOnly }) } }),
    )
    expect(statuses(rows)).toBe(
      'routes:pass sign-up:pass credential:pass create:skip list:skip update:skip complete:skip delete:skip chat:pass cleanup:pass',
    )
    expect(row(rows, 'routes').detail).toMatch(
      /chat \/api\/\{user_id\}\/chat; no task routes .*only reached through the chat/,
    )
    for (const id of ['create', 'list', 'update', 'complete', 'delete'])
      expect(row(rows, id).detail, id).toBe(
        'the backend declares no task routes: its tasks are only reached through the chat',
      )
    expect(seen.some((s) => /tasks/.test(s.url))).toBe(false)
    // no chat either: nothing the journey can follow
    const none = { ...reference, paths: {} } as OpenApi
    const bare = await run(plan({ openapi: { where: 'GET /openapi.json in x', read: async () => ({ doc: none }) } }))
    expect(row(bare, 'routes').status).toBe('fail')
  })
})

describe("runJourney through the app's own next.config rewrite", () => {
  const rewrite = {
    how: 'rewrite' as const,
    prefix: '/backend',
    strip: '',
    destination: '${backendUrl}/:path*',
    variable: 'NEXT_PUBLIC_API_URL',
    built: 'http://todo.local',
    from: 'next.config.ts:19',
  }
  it("the backend paths under its prefix, with the bearer token the app's client attaches", async () => {
    const rows = await run(plan({ way: rewrite }))
    expect(statuses(rows)).toBe(
      'routes:pass sign-up:pass credential:pass create:pass list:pass update:pass complete:pass delete:pass chat:pass cleanup:pass',
    )
    const created = seen.find((s) => s.method === 'POST' && s.url.endsWith('/tasks'))!
    expect(created.url).toBe('/backend/api/u1/tasks')
    expect(created.headers.authorization).toBe(`Bearer ${jwt('u1')}`)
  })
  it('a destination the frontend pod cannot reach (the public URL fixed by next build) → the rewrite and the variable', async () => {
    setMode('rewrite-unreachable')
    const create = row(await run(plan({ way: rewrite })), 'create')
    expect(create.status).toBe('fail')
    expect(create.detail).toBe(
      "POST /backend/api/u1/tasks → 500 (Internal Server Error): the frontend's rewrite /backend/:path* (next.config.ts:19) passes the request to ${backendUrl}/:path* (NEXT_PUBLIC_API_URL=http://todo.local at build time), and the frontend pod could not reach that: the destination is fixed by next build, and the public URL is not an address inside the cluster",
    )
    expect(create.fix).toMatch(
      /^set PUBLIC_HOST_IN_PODS=true in \.env \(the app pods then resolve todo\.local to the ingress controller, which routes the backend's paths\), then npx zx scripts\/deploy\.ts; /,
    )
    // built with another URL: the variable is what to change
    const other = row(await run(plan({ way: { ...rewrite, built: 'http://api.example.com' } })), 'create')
    expect(other.fix).toMatch(/^build with NEXT_PUBLIC_API_URL=http:\/\/todo-backend:8000 \(the backend's Service\)/)
  })
})

describe('runJourney: each failure cause, reproduced', () => {
  it("a chat that answers 200 with the app's error message is no reply: FAIL, never PASS", async () => {
    setMode('chat-error')
    const chat = row(await run(), 'chat')
    expect(chat.status).toBe('fail')
    expect(chat.detail).toMatch(
      /→ 200, but the reply is the app's error message, not the model's answer \(OPENAI_API_KEY set\): "I encountered an issue/,
    )
    expect(chat.fix).toMatch(/kubectl logs -n todo deploy\/todo-backend/)
  })

  it('403 invalid origin → PUBLIC_URL; the later steps are not checked', async () => {
    setMode('origin')
    const rows = await run()
    expect(row(rows, 'sign-up')).toMatchObject({ status: 'fail' })
    expect(row(rows, 'sign-up').detail).toMatch(/→ 403 \(Invalid origin\): the app's auth does not trust the origin/)
    expect(row(rows, 'sign-up').fix).toMatch(/^PUBLIC_URL must be the URL users open/)
    expect(statuses(rows)).toBe(
      'routes:pass sign-up:fail credential:skip create:skip list:skip update:skip complete:skip delete:skip chat:skip cleanup:skip',
    )
    expect(row(rows, 'create').detail).toBe('not checked: journey-credential did not pass')
  })

  it('the auth tables missing → the frontend migration', async () => {
    setMode('no-auth-table')
    const r = row(await run(), 'sign-up')
    expect(r.detail).toMatch(/table user does not exist$/)
    expect(r.fix).toMatch(/^the frontend's auth tables are created by its migration/)
  })

  it("the backend's tables missing → its migrations", async () => {
    setMode('no-task-table')
    const r = row(await run(), 'create')
    expect(r.detail).toMatch(/^POST \/api\/backend\/u1\/tasks → 500 .*table task does not exist$/)
    expect(r.fix).toMatch(/^the backend's tables are created by its migrations/)
  })

  it('the backend cannot fetch the JWKS → JWKS_URL', async () => {
    setMode('jwks')
    const r = row(await run(), 'create')
    expect(r.detail).toBe(
      'POST /api/backend/u1/tasks → 503 (authentication keys are unavailable): the backend could not fetch the JWKS to verify the token',
    )
    expect(r.fix).toMatch(/^JWKS_URL must point the backend at the frontend's JWKS/)
  })

  it('no proxy in the frontend → its HTML 404 says so; a backend without the route → its JSON 404', async () => {
    setMode('no-proxy')
    expect(row(await run(), 'create').detail).toMatch(/the frontend has no backend proxy at \/api\/backend$/)
    setMode('no-route')
    expect(row(await run(), 'create').detail).toBe(
      'POST /api/backend/u1/tasks → 404 (Not Found): the backend has no route for POST /api/backend/u1/tasks',
    )
  })

  it('a Secure cookie on http, a cookie for another domain → what a browser drops', async () => {
    setMode('secure-cookie')
    let r = row(await run(), 'sign-up')
    expect(r.detail).toBe(
      'POST /api/auth/sign-up/email → 200 but a browser on http://todo.local drops the session cookie __Secure-better-auth.session_token: it is Secure and http://todo.local is plain http',
    )
    setMode('domain-cookie')
    r = row(await run(), 'sign-up')
    expect(r.detail).toMatch(
      /drops the session cookie better-auth\.session_token: its Domain=example\.com does not cover todo\.local$/,
    )
  })

  it('a sign-up that makes no session (autoSignIn: false) → the journey signs in, as the user would next', async () => {
    setMode('no-auto-sign-in')
    const rows = await run()
    expect(statuses(rows)).toMatch(/^routes:pass sign-up:pass credential:pass create:pass/)
    expect(row(rows, 'sign-up').detail).toBe(
      'POST /api/auth/sign-in/email → 200 (kit-journey-…@example.com, cookie better-auth.session_token, then signed in: sign-up made no session)',
    )
    expect(seen.map((s) => s.url).slice(0, 2)).toEqual(['/api/auth/sign-up/email', '/api/auth/sign-in/email'])
    // and when signing in sets none either, the cause stays the missing cookie
    setMode('no-session-at-all')
    expect(row(await run(), 'sign-up').detail).toBe(
      'POST /api/auth/sign-in/email → 200 but set no cookie: a browser would have no session',
    )
  })

  it('an app that requires a verified email: the journey opens the link Better Auth emails, then signs in', async () => {
    setMode('verify-email')
    const rows = await run(plan({ emailVerificationToken: verificationToken(FAKE_AUTH_SECRET) }))
    expect(row(rows, 'sign-up')).toMatchObject({
      status: 'pass',
      detail:
        'POST /api/auth/sign-in/email → 200 (kit-journey-…@example.com, cookie better-auth.session_token, then signed in: sign-up made no session, verified the email by the link Better Auth sends)',
    })
    expect(statuses(rows)).not.toMatch(/fail/)
    expect([...fake.verified]).toEqual([fill.email])
    // the token is never shown; a link signed with another secret is refused, and the row says so
    expect(JSON.stringify(rows)).not.toMatch(/token=ey/)
    fake.reset()
    setMode('verify-email')
    const wrong = row(await run(plan({ emailVerificationToken: verificationToken('another-secret') })), 'sign-up')
    expect(wrong.status).toBe('fail')
    expect(wrong.detail).toMatch(/^GET \/api\/auth\/verify-email → 401 \(invalid token/)
    // no secret to make the link with: the sign-in's 403 is the row
    fake.reset()
    setMode('verify-email')
    expect(row(await run(), 'sign-up').detail).toMatch(/^POST \/api\/auth\/sign-in\/email → 403/)
  })

  it('nothing listening → the cause names the address', async () => {
    const rows = await run(plan({ base: 'http://127.0.0.1:1' }))
    expect(row(rows, 'sign-up').detail).toBe('nothing listens at http://127.0.0.1:1')
  })

  it('/openapi.json unreadable → the routes row fails, sign-up still runs (Better Auth needs no route)', async () => {
    const rows = await run(
      plan({
        openapi: {
          where: 'GET /openapi.json in b',
          read: async () => ({ cause: 'GET /openapi.json in b → 404', fix: 'f' }),
        },
      }),
    )
    expect(statuses(rows)).toMatch(/^routes:fail sign-up:pass credential:pass create:skip/)
  })
})

describe('an app with its own auth, its backend routed by the ingress', () => {
  let own: Server
  let ownBase = ''
  const doc: OpenApi = {
    paths: {
      '/api/signup': {
        post: {
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['email', 'name', 'password'],
                  properties: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      '/api/login': {
        post: {
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['email', 'password'],
                  properties: { email: { type: 'string' }, password: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      '/api/{user_id}/tasks': {
        get: {},
        post: {
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
              },
            },
          },
        },
      },
      '/api/{user_id}/tasks/{task_id}': { put: {}, delete: {} },
    },
  }
  const calls: string[] = []
  let signedUpAt = -1
  beforeAll(async () => {
    own = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
        const json = (s: number, v: unknown) => {
          res.writeHead(s, { 'content-type': 'application/json' })
          res.end(JSON.stringify(v))
        }
        // the sign-up answer carries a token too, and the app stores its tokens: one minted in the same second is the
        // same JWT, refused as a duplicate (sammar-13 answers 503)
        const second = Math.floor(Date.now() / 1000)
        if (req.url === '/api/signup') {
          signedUpAt = second
          return json(201, { id: 7, email: JSON.parse(body).email, access_token: jwt('7') })
        }
        if (req.url === '/api/login' && second === signedUpAt) return json(503, { detail: 'duplicate refresh token' })
        if (req.url === '/api/login')
          return json(200, { access_token: jwt('7'), token_type: 'bearer', user: { id: '7' } })
        if (req.headers.authorization !== `Bearer ${jwt('7')}`) return json(401, { detail: 'Not authenticated' })
        if (req.url === '/api/7/tasks' && req.method === 'POST') return json(201, { id: 3, title: 'x' })
        if (req.url === '/api/7/tasks') return json(200, { tasks: [{ id: 3 }] })
        if (req.url === '/api/7/tasks/3') return json(200, { id: 3 })
        json(404, { detail: 'Not Found' })
      })
    })
    await new Promise<void>((r) => own.listen(0, '127.0.0.1', r))
    ownBase = `http://127.0.0.1:${(own.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => own.close(() => r())))

  it('register, login for a bearer token, CRUD with it; no chat route declared', async () => {
    const rows = await run(
      plan({
        base: ownBase,
        betterAuth: false,
        way: { how: 'ingress', backendPaths: ['/api'], frontendPaths: ['/api/auth'] },
        openapi: { where: 'GET /openapi.json in b', read: async () => ({ doc }) },
      }),
    )
    expect(statuses(rows)).toBe(
      'routes:pass sign-up:pass credential:pass create:pass list:pass update:pass complete:skip delete:pass chat:fail cleanup:pass',
    )
    expect(row(rows, 'credential').detail).toBe('POST /api/login → 200 (a bearer token)')
    expect(row(rows, 'chat').detail).toBe("the backend's /openapi.json declares no POST …/chat route")
    expect(row(rows, 'cleanup').detail).toBe(
      'remains: user kit-journey-0a1b2c@example.com (the app offers no delete-user route)',
    )
    expect(calls.filter((c) => c.includes('/tasks')).every((c) => c.endsWith(`Bearer ${jwt('7')}`))).toBe(true)
  })
})

describe('the dry run', () => {
  it('prints the requests of the same steps, placeholders for what only answers give, no password', async () => {
    const lines: string[] = []
    const rows = await runJourney(plan(), null, (l) => lines.push(l), fill)
    expect(rows).toHaveLength(10)
    expect(lines).toEqual([
      '# journey: POST http://127.0.0.1:' +
        base.split(':')[2] +
        '/api/auth/sign-up/email  Host: todo.local  Origin: http://todo.local  body {"email":"kit-journey-<random>@example.com","password":"<random password>","name":"Kit Journey"}',
      expect.stringMatching(
        /^# journey: GET .*\/api\/auth\/token {2}Host: todo\.local {2}Cookie: session=<session cookie>$/,
      ),
      expect.stringMatching(
        /^# journey: POST .*\/api\/backend\/<task collection from \/openapi\.json> {2}Host: todo\.local {2}Origin: http:\/\/todo\.local {2}Cookie: session=<session cookie> {2}body \{"title":"<kit journey …>"\}$/,
      ),
      expect.stringMatching(/^# journey: GET .*\/api\/backend\/<task collection from \/openapi\.json> /),
      expect.stringMatching(/^# journey: PUT\|PATCH .*\/<task item from \/openapi\.json>\/<task id> /),
      expect.stringMatching(
        /^# journey: PATCH .*\/<task item from \/openapi\.json>\/<task id>\/<complete route, when declared> /,
      ),
      expect.stringMatching(/^# journey: DELETE .*\/<task item from \/openapi\.json>\/<task id> /),
      expect.stringMatching(
        /^# journey: POST .*\/api\/backend\/<chat route from \/openapi\.json> .*body \{"message":"list my tasks"\}$/,
      ),
      expect.stringMatching(/^# journey: POST .*\/api\/auth\/delete-user .*body \{"password":"<random password>"\}$/),
    ])
    expect(lines.join('\n')).not.toContain(fill.password)
    expect(seen).toEqual([])
  })
})

describe('httpSend over https to an address', () => {
  // the TLS server name the client offers, read from its ClientHello (no certificate needed: the server hangs up)
  const offeredName = async (url: (port: number) => string, host?: string): Promise<boolean> => {
    let hello = ''
    const srv = createTcpServer((sock) =>
      sock.once('data', (d: Buffer) => {
        hello = d.toString('latin1')
        sock.destroy()
      }),
    )
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    const port = (srv.address() as AddressInfo).port
    const sent = await httpSend(5000)({ url: url(port), method: 'GET', headers: host ? { host } : {} })
    srv.close()
    expect('status' in sent).toBe(false)
    return hello.includes('todo.local')
  }
  it("offers the Host header's name as SNI (a Gateway's listener picks its certificate by it), without its port", async () => {
    expect(await offeredName((p) => `https://127.0.0.1:${p}/api/health`, 'todo.local')).toBe(true)
    expect(await offeredName((p) => `https://127.0.0.1:${p}/api/health`, 'todo.local:8443')).toBe(true)
  })
  it('no Host header, or an address as host: no server name', async () => {
    expect(await offeredName((p) => `https://127.0.0.1:${p}/`)).toBe(false)
    expect(await offeredName((p) => `https://127.0.0.1:${p}/`, '127.0.0.1')).toBe(false)
  })
})

describe('helpers', () => {
  it('jwtSubject and credentialOf read the user id and token of the common auth answers', () => {
    expect(jwtSubject(jwt('u9'))).toBe('u9')
    expect(jwtSubject('not-a-jwt')).toBeNull()
    expect(credentialOf({ access_token: jwt('5'), token_type: 'bearer' })).toEqual({ token: jwt('5'), userId: '5' })
    expect(credentialOf({ token: 'opaque-session', user: { id: 'u1' } })).toEqual({ token: null, userId: 'u1' })
    expect(credentialOf({ user_id: 'abc', access_token: jwt('abc') })).toEqual({ token: jwt('abc'), userId: 'abc' })
  })
  it("ingressTakes: a rewrite's prefix the ingress sends to the backend first (the journey then goes the ingress's way)", () => {
    expect(ingressTakes('/api', ['/api'], [])).toBe(true)
    expect(ingressTakes('/api/v1', ['/api'], [])).toBe(true)
    expect(ingressTakes('/backend', ['/api'], [])).toBe(false)
    expect(ingressTakes('/apis', ['/api'], [])).toBe(false)
    expect(ingressTakes('/api/auth', ['/api'], ['/api/auth'])).toBe(false)
    expect(ingressTakes('/api', [], [])).toBe(false)
  })

  it('chatKeys: the SKIP names the key the chat code reads, and how it reaches the pod', () => {
    const ev = (file: string, line: number) => ({ file, line, text: '' })
    const gemini: EnvRead = {
      name: 'GEMINI_API_KEY',
      kind: 'secret' as const,
      format: 'text' as const,
      optional: true,
      client: false,
      from: [ev('app/core/config.py', 12)],
    }
    expect(chatKeys({ set: [], offline: false, inSecrets: [], reads: [gemini] })).toEqual({
      run: false,
      why: "no GEMINI_API_KEY in .env, which the app's chat reads (app/core/config.py:12); to check the chat: APP_SECRETS=GEMINI_API_KEY and GEMINI_API_KEY=<key> in .env, then backend.secretEnv GEMINI_API_KEY in a values file",
    })
    expect(chatKeys({ set: [], offline: false, inSecrets: ['GEMINI_API_KEY'], reads: [gemini] }).why).toMatch(
      /to check the chat: GEMINI_API_KEY=<key> in \.env$/,
    )
    // nothing the kit can tell: the chart's own key
    expect(chatKeys({ set: [], offline: false, inSecrets: [], reads: [] }).why).toBe(
      "no OPENAI_API_KEY in .env, which the app's chat needs (set it to check the chat)",
    )
    expect(chatKeys({ set: ['OPENAI_API_KEY'], offline: false, inSecrets: [], reads: [gemini] })).toEqual({
      run: true,
      why: 'OPENAI_API_KEY set',
    })
  })

  it('ingressRoutes: the longest Prefix wins', () => {
    const w = { backendPaths: ['/api'], frontendPaths: ['/api/auth'] }
    expect(ingressRoutes(w, '/api/u1/tasks')).toBe(true)
    expect(ingressRoutes(w, '/api/auth/token')).toBe(false)
    expect(ingressRoutes(w, '/apix')).toBe(false)
    expect(ingressRoutes({ backendPaths: [], frontendPaths: [] }, '/api/u1/tasks')).toBe(false)
  })
})
