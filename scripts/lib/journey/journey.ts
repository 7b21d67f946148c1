// The Phase III journey as a user makes it, through the URL the browser uses: sign up a throwaway user with the app's
// own auth, get the credential the backend accepts, create → list → update → complete → delete a task on the routes
// the backend's /openapi.json declares, send one chat message, and remove what it made. One row per step, each with
// the request and its status; a failure names its cause and fix (failure-causes.ts). A dry run walks the same steps
// and prints each request instead of sending it, with placeholders for what only a real answer gives (no secrets).
import { setTimeout as sleep } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import type { Check } from '../checks.ts'
import { CookieJar } from './cookie-jar.ts'
import { classify, cookieFailure, said, type BackendWay, type Failure, type Where } from './failure-causes.ts'
import { answered, type Res, type Send, type Sent } from './http-send.ts'
import {
  bodyFor,
  discoverRoutes,
  fillPath,
  idOf,
  itemsOf,
  routesSummary,
  type Fill,
  type OpenApi,
  type Route,
  type Routes,
} from './openapi-routes.ts'

export type JourneyPlan = {
  /** where requests connect: the public URL, or `minikube ip` standing for the ingress host */
  base: string
  /** the Host header a browser sends (the public URL's host) */
  host: string
  /** the Origin a browser on the public URL sends */
  origin: string
  /** the frontend uses Better Auth, mounted at authPath */
  betterAuth: boolean
  authPath: string
  way: BackendWay
  /** run the chat step, and why (or why not: the missing key, named) */
  chat: { run: boolean; why: string }
  /** the backend's /openapi.json: `where` says how it is read (in the backend pod, or a URL) */
  openapi: { where: string; read: () => Promise<{ doc: OpenApi } | Failure> }
  jwksVar: string
  release: string
  namespace: string
  /** what to ask when nothing listens at `base`: the Gateway when ROUTING=gateway (unset: the ingress controller) */
  controller?: string
  /**
   * The token of the link Better Auth emails when it requires a verified email: the journey has no inbox, so it makes
   * the same link (a JWT signed with BETTER_AUTH_SECRET, which the caller holds and this never sees)
   */
  emailVerificationToken?: (email: string) => string
}

/** What a dry run's requests print for what only a real answer gives. */
const PLACEHOLDER = { token: '<token>', userId: '<user id>', taskId: '<task id>', cookie: '<session cookie>' }

/** A dry run's stand-in answer: every field a step reads, as a placeholder. */
const DRY_ANSWER: Res = {
  status: 200,
  headers: {},
  setCookies: [`session=${PLACEHOLDER.cookie}; Path=/; HttpOnly`],
  text: JSON.stringify({
    token: PLACEHOLDER.token,
    user: { id: PLACEHOLDER.userId },
    id: PLACEHOLDER.taskId,
    tasks: [{ id: PLACEHOLDER.taskId }],
    response: '<reply>',
  }),
}

/** A dry run has no /openapi.json: the routes are named for where a real run finds them. */
const dryRoute = (method: string, path: string): Route => ({
  method,
  path,
  body: null,
  bodyRequired: false,
  form: false,
})
const DRY_ROUTES: Routes = {
  tasks: {
    collection: '/<task collection from /openapi.json>',
    create: dryRoute('POST', '/<task collection from /openapi.json>'),
    list: dryRoute('GET', '/<task collection from /openapi.json>'),
    idParam: 'id',
    update: dryRoute('PUT|PATCH', '/<task item from /openapi.json>/{id}'),
    complete: dryRoute('PATCH', '/<task item from /openapi.json>/{id}/<complete route, when declared>'),
    remove: dryRoute('DELETE', '/<task item from /openapi.json>/{id}'),
  },
  chat: dryRoute('POST', '/<chat route from /openapi.json>'),
  register: null,
  login: null,
  deleteUser: null,
}

const CHAT_MESSAGE = 'list my tasks' // read-only for the offline agent and for a model alike

type State = {
  routes: Routes | null
  doc: OpenApi
  /** the backend's own auth (register/login routes) rather than Better Auth */
  ownAuth: boolean
  userId: string | null
  bearer: string | null
  jar: CookieJar
  taskId: string | null
  /** tasks created and not (yet) deleted */
  left: string[]
  chatted: boolean
  fill: Fill
  /** when the sign-up answer carried a credential (ms) */
  signedUpWith: number | null
}

type Verdict = { ok: true; detail: string; skip?: boolean } | { ok: false; detail: string; fix: string }

type Step = {
  id: string
  name: string
  /** steps that must have passed; else this one is "not checked" */
  needs: string[]
  run(t: Trip): Promise<Verdict>
}

/** One request of a step: what it asked (for the row), and what came back. */
type Asked = { line: string; sent: Sent; where: Where }

class Trip {
  readonly plan: JourneyPlan
  readonly st: State
  private readonly send: Send | null
  private readonly print: (line: string) => void
  constructor(plan: JourneyPlan, st: State, send: Send | null, print: (line: string) => void) {
    this.plan = plan
    this.st = st
    this.send = send
    this.print = print
  }

  get dry(): boolean {
    return this.send === null
  }

  /** The public path of a backend route path: itself through the ingress, under the proxy's prefix, or null. */
  publicPath(backendPath: string): string | null {
    const w = this.plan.way
    if (w.how === 'ingress') return ingressRoutes(w, backendPath) ? backendPath : null
    if (w.how === 'proxy' || w.how === 'rewrite') {
      if (backendPath.startsWith('/<')) return `${w.prefix}${backendPath}`
      if (backendPath === w.strip || backendPath.startsWith(`${w.strip}/`))
        return `${w.prefix}${backendPath.slice(w.strip.length)}`
      return null
    }
    return null
  }

  async ask(
    leg: Where['leg'],
    method: string,
    path: string,
    o: { json?: unknown; form?: Record<string, string>; bearer?: boolean } = {},
  ): Promise<Asked> {
    const p = this.plan
    const headers: Record<string, string> = { accept: 'application/json', host: p.host }
    // a browser sends Origin on every request that changes something; Better Auth checks it
    if (method !== 'GET') headers.origin = p.origin
    const cookie = this.st.jar.header(path)
    if (cookie) headers.cookie = cookie
    if (o.bearer && this.st.bearer) headers.authorization = `Bearer ${this.st.bearer}`
    let body: string | undefined
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(o.json)
    } else if (o.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(o.form).toString()
    }
    const where: Where = {
      leg,
      method,
      path,
      base: p.base,
      host: p.host,
      origin: p.origin,
      way: p.way,
      authPath: p.authPath,
      jwksVar: p.jwksVar,
      release: p.release,
      namespace: p.namespace,
      controller: p.controller,
    }
    const line = `${method} ${path}`
    if (!this.send) {
      // the state holds placeholders in a dry run (from DRY_ANSWER): these headers are what a real run sends
      const shown = [
        `# journey: ${method} ${p.base}${decodeURIComponent(path)}`,
        p.host !== p.base.replace(/^https?:\/\//, '') ? `Host: ${p.host}` : '',
        headers.origin ? `Origin: ${headers.origin}` : '',
        headers.authorization ? `Authorization: ${headers.authorization}` : '',
        headers.cookie ? `Cookie: ${headers.cookie}` : '',
        body !== undefined ? `body ${this.shownBody(body)}` : '',
      ]
      this.print(shown.filter(Boolean).join('  '))
      return { line, sent: DRY_ANSWER, where }
    }
    return { line, sent: await this.send({ url: `${p.base}${path}`, method, headers, body }), where }
  }

  /** A body as printed: the password never, the email's random part as <random>. */
  private shownBody(body: string): string {
    return body
      .split(this.st.fill.password)
      .join('<random password>')
      .split(encodeURIComponent(this.st.fill.password))
      .join('<random password>')
      .replace(/kit-journey-[0-9a-f]+/g, 'kit-journey-<random>')
  }
}

/** The ingress's longest matching Prefix path decides: a backendPaths entry sends the path to the backend. */
export function ingressRoutes(w: { backendPaths: string[]; frontendPaths: string[] }, p: string): boolean {
  if (p.startsWith('/<')) return true // a dry run's placeholder
  const under = (prefix: string): boolean => {
    const q = prefix.replace(/\/+$/, '')
    return q === '' || p === q || p.startsWith(`${q}/`)
  }
  const best = (list: string[]): number => Math.max(-1, ...list.filter(under).map((x) => x.replace(/\/+$/, '').length))
  const be = best(w.backendPaths)
  return be >= 0 && be > best(w.frontendPaths)
}

const json = (r: Res): unknown => {
  try {
    return JSON.parse(r.text)
  } catch {
    return null
  }
}
const ok2xx = (s: Sent): s is Res => answered(s) && s.status >= 200 && s.status < 300
const arrow = (a: Asked): string => `${a.line} → ${answered(a.sent) ? a.sent.status : a.sent.code}`
const failed = (a: Asked): Verdict => {
  const f = classify(a.sent, a.where)
  return { ok: false, detail: f.cause, fix: f.fix }
}

/** The `sub` of a JWT, unverified (the backend verifies it; the journey only needs the user id it names). */
export function jwtSubject(token: string): string | null {
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { sub?: unknown }
    return typeof claims.sub === 'string' || typeof claims.sub === 'number' ? String(claims.sub) : null
  } catch {
    return null
  }
}

/** The bearer token and user id an auth answer carries: access_token/token/jwt, user.id/user_id/id. */
export function credentialOf(body: unknown): { token: string | null; userId: string | null } {
  const r = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const data = (r.data && typeof r.data === 'object' ? r.data : {}) as Record<string, unknown>
  const str = (v: unknown): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v) : null)
  const token =
    [r.access_token, r.accessToken, r.token, r.jwt, r.id_token, data.access_token, data.token]
      .map(str)
      .find((t) => t && t.split('.').length === 3) ?? null
  const user = (r.user ?? data.user ?? {}) as Record<string, unknown>
  const userId = str(user.id) ?? str(r.user_id) ?? str(r.userId) ?? (token ? jwtSubject(token) : null) ?? str(r.id)
  return { token, userId }
}

/** Chat answers: response/reply/message/content/answer/text, as a string. */
function replyOf(body: unknown): string | null {
  const r = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  for (const k of ['response', 'reply', 'message', 'content', 'answer', 'text', 'output'])
    if (typeof r[k] === 'string' && (r[k] as string).trim()) return r[k] as string
  return null
}

// ---------- the steps, in order ----------

const routesStep: Step = {
  id: 'journey-routes',
  name: 'journey: backend routes',
  needs: [],
  async run(t) {
    const { where, read } = t.plan.openapi
    const got = await read()
    if (t.dry) {
      // the routes a real run finds in /openapi.json, named; an app without Better Auth signs up on its own routes
      t.st.ownAuth = !t.plan.betterAuth
      t.st.routes = t.st.ownAuth
        ? {
            ...DRY_ROUTES,
            register: dryRoute('POST', '/<register route from /openapi.json>'),
            login: dryRoute('POST', '/<login route from /openapi.json>'),
          }
        : DRY_ROUTES
      return { ok: true, detail: where }
    }
    if ('cause' in got) return { ok: false, detail: got.cause, fix: got.fix }
    const routes = discoverRoutes(got.doc)
    t.st.routes = routes
    t.st.doc = got.doc
    t.st.ownAuth = Boolean(routes.register)
    // a Phase III app may keep its tasks behind the chatbot only (billy-pk: its MCP tools are the task API): the chat
    // is the journey then, and the task rows say why they were not run
    if (!routes.tasks && routes.chat)
      return {
        ok: true,
        detail: `${where}: ${routesSummary(routes)}; no task routes (a path with POST and GET about tasks or todos): the tasks are only reached through the chat`,
      }
    if (!routes.tasks)
      return {
        ok: false,
        detail: `${where}: no task collection (a path with POST and GET about tasks or todos); found ${routesSummary(routes)}`,
        fix: 'the journey follows the routes the backend declares; an app without task routes: --no-journey',
      }
    return { ok: true, detail: `${where}: ${routesSummary(routes)}` }
  },
}

const signUp: Step = {
  id: 'journey-sign-up',
  name: 'journey: sign up',
  needs: [],
  async run(t) {
    const { st, plan } = t
    const who = st.fill.email.replace(/kit-journey-[0-9a-f]+/, 'kit-journey-…')
    let a: Asked
    if (st.ownAuth && st.routes?.register) {
      const r = st.routes.register
      const body = t.dry
        ? { email: st.fill.email, password: st.fill.password }
        : bodyFor(st.doc, r.body, st.fill, { also: /^(name|full_?name|username)$/i })
      a = await t.ask('auth', 'POST', r.path, r.form ? { form: stringy(body ?? {}) } : { json: body ?? {} })
    } else if (plan.betterAuth) {
      a = await t.ask('auth', 'POST', `${plan.authPath}/sign-up/email`, {
        json: { email: st.fill.email, password: st.fill.password, name: st.fill.name },
      })
    } else
      return {
        ok: false,
        detail:
          "no sign-up: the frontend does not use Better Auth and the backend's /openapi.json has no register/signup route",
        fix: 'an app whose users cannot sign up this way: --no-journey',
      }
    if (!ok2xx(a.sent)) return failed(a)
    let { kept, dropped } = st.jar.take(a.sent.setCookies)
    const cred = credentialOf(json(a.sent))
    st.userId = cred.userId
    if (st.ownAuth) {
      st.bearer = cred.token
      if (st.bearer || kept.length) st.signedUpWith = Date.now()
      return { ok: true, detail: `${arrow(a)} (${who})` }
    }
    // Better Auth with `autoSignIn: false` makes the account and no session: the user signs in next, as here
    let signedIn = ''
    if (!kept.length && !dropped.length) {
      let b = await t.ask('auth', 'POST', `${plan.authPath}/sign-in/email`, {
        json: { email: st.fill.email, password: st.fill.password },
      })
      // requireEmailVerification: the user opens the emailed link (the journey makes it), then signs in
      if (
        answered(b.sent) &&
        b.sent.status === 403 &&
        /EMAIL_NOT_VERIFIED|email not verified/i.test(b.sent.text) &&
        plan.emailVerificationToken
      ) {
        const token = plan.emailVerificationToken(st.fill.email)
        const v = await t.ask('auth', 'GET', `${plan.authPath}/verify-email?token=${encodeURIComponent(token)}`)
        // the row and any failure name the link, never its token
        v.line = `GET ${plan.authPath}/verify-email?token=<the emailed link's, signed with BETTER_AUTH_SECRET>`
        v.where = { ...v.where, path: `${plan.authPath}/verify-email` }
        if (!ok2xx(v.sent)) return failed(v)
        b = await t.ask('auth', 'POST', `${plan.authPath}/sign-in/email`, {
          json: { email: st.fill.email, password: st.fill.password },
        })
        signedIn = ', verified the email by the link Better Auth sends'
      }
      if (!ok2xx(b.sent)) return failed(b)
      ;({ kept, dropped } = st.jar.take(b.sent.setCookies))
      st.userId = credentialOf(json(b.sent)).userId ?? st.userId
      a = b
      signedIn = `, then signed in: sign-up made no session${signedIn}`
    }
    const c = cookieFailure(arrow(a), kept, dropped, plan.origin)
    if (c) return { ok: false, detail: c.cause, fix: c.fix }
    return { ok: true, detail: `${arrow(a)} (${who}, cookie ${kept.join(', ')}${signedIn})` }
  },
}

const credential: Step = {
  id: 'journey-credential',
  name: 'journey: token for the backend',
  needs: ['journey-sign-up'],
  async run(t) {
    const { st, plan } = t
    if (st.ownAuth) {
      const r = st.routes?.login
      if (!r) {
        if (st.bearer) return { ok: true, detail: 'the sign-up answer carried a bearer token' }
        if (st.jar.names().length) return { ok: true, detail: `the sign-up set cookie ${st.jar.names().join(', ')}` }
        return {
          ok: false,
          detail: 'sign-up gave no token or cookie and the backend declares no login route',
          fix: 'an app whose backend issues no credential this way: --no-journey',
        }
      }
      const body = t.dry
        ? { email: st.fill.email, password: st.fill.password }
        : bodyFor(st.doc, r.body, st.fill, { also: /^(username|email)$/i })
      // OAuth2PasswordRequestForm takes the email as `username`
      if (r.form && body && 'username' in body) body.username = st.fill.email
      // a JWT carries whole seconds: one minted in the sign-up's second is the sign-up's own token, which an app that
      // stores its tokens refuses as a duplicate (sammar-13: 503); a person logs in later than that
      if (st.signedUpWith !== null && !t.dry) await sleep(Math.max(0, st.signedUpWith + 1100 - Date.now()))
      const a = await t.ask('auth', 'POST', r.path, r.form ? { form: stringy(body ?? {}) } : { json: body ?? {} })
      if (!ok2xx(a.sent)) return failed(a)
      const { kept } = st.jar.take(a.sent.setCookies)
      const cred = credentialOf(json(a.sent))
      st.bearer = cred.token ?? st.bearer
      st.userId = cred.userId ?? st.userId
      if (!st.bearer && !kept.length)
        return {
          ok: false,
          detail: `${arrow(a)} but it carried no token (access_token/token) and set no cookie`,
          fix: 'the journey reads access_token, token or jwt from the login answer, or its cookie',
        }
      return { ok: true, detail: `${arrow(a)} (${st.bearer ? 'a bearer token' : `cookie ${kept.join(', ')}`})` }
    }
    const a = await t.ask('auth', 'GET', `${plan.authPath}/token`)
    if (!ok2xx(a.sent)) return failed(a)
    const body = json(a.sent) as { token?: unknown } | null
    const token = typeof body?.token === 'string' ? body.token : (a.sent.headers['set-auth-jwt'] ?? null)
    if (!token)
      return {
        ok: false,
        detail: `${arrow(a)} but no {token} in the answer`,
        fix: "the backend verifies Better Auth's JWT plugin tokens: add jwt() to the frontend's Better Auth plugins",
      }
    st.bearer = token
    st.userId = jwtSubject(token) ?? st.userId
    return { ok: true, detail: `${arrow(a)} (a JWT for user ${st.userId ?? '?'})` }
  },
}

/** A backend request on a route path: its {params} filled, mapped onto the public URL, the credential attached. */
async function onBackend(t: Trip, r: Route, json?: unknown): Promise<Asked | Verdict> {
  const { st } = t
  const ids = { userId: st.userId, id: st.taskId, idParam: st.routes?.tasks?.idParam }
  const filled = fillPath(r.path, ids)
  if ('missing' in filled)
    return {
      ok: false,
      detail: `${r.method} ${r.path}: no value for {${filled.missing}}`,
      fix: `the journey fills the user's id (from the token's sub or the sign-up answer) and the task's id; {${filled.missing}} is neither`,
    }
  const path = t.publicPath(filled.path)
  if (path === null) {
    const w = t.plan.way
    return {
      ok: false,
      detail: `${r.method} ${filled.path}: not reachable through ${t.plan.origin}${w.how === 'none' ? ` (${w.why})` : ''}`,
      fix:
        w.how === 'none'
          ? w.fix
          : 'route the backend path on the ingress: ingress.backendPaths and ingress.frontendPaths in a HELM_VALUES_FILES file',
    }
  }
  // through the reference proxy the session cookie is the credential (it fetches the JWT itself)
  const bearer = t.plan.way.how !== 'proxy' && !!st.bearer
  return t.ask('backend', r.method, path, json === undefined ? { bearer } : { json, bearer })
}
const isVerdict = (x: Asked | Verdict): x is Verdict => 'ok' in x

const taskTitle = (st: State): string => `kit journey ${st.fill.email.slice(12, 20)}`

const create: Step = {
  id: 'journey-create',
  name: 'journey: create a task',
  needs: ['journey-routes', 'journey-credential'],
  async run(t) {
    const { st } = t
    if (!st.routes!.tasks)
      return {
        ok: true,
        skip: true,
        detail: 'the backend declares no task routes: its tasks are only reached through the chat',
      }
    const r = st.routes!.tasks.create
    const body = t.dry
      ? { title: '<kit journey …>' }
      : bodyFor(
          st.doc,
          r.body,
          { ...st.fill, text: taskTitle(st), userId: st.userId },
          { also: /^(title|name|text|content)$/i },
        )
    const a = await onBackend(t, r, body ?? {})
    if (isVerdict(a)) return a
    if (!ok2xx(a.sent)) return failed(a)
    const id = idOf(json(a.sent))
    if (!id)
      return {
        ok: false,
        detail: `${arrow(a)} but the answer names no id (id, task_id)`,
        fix: 'the journey needs the new task id from the create answer to update and delete it',
      }
    st.taskId = id
    st.left.push(id)
    return { ok: true, detail: `${arrow(a)} (task ${id})` }
  },
}

const list: Step = {
  id: 'journey-list',
  name: 'journey: list has it',
  needs: ['journey-create'],
  async run(t) {
    const a = await onBackend(t, t.st.routes!.tasks!.list)
    if (isVerdict(a)) return a
    if (!ok2xx(a.sent)) return failed(a)
    const items = itemsOf(json(a.sent))
    if (!items?.some((i) => idOf(i) === t.st.taskId))
      return {
        ok: false,
        detail: `${arrow(a)} but task ${t.st.taskId} is not in it${items ? ` (${items.length} items)` : ' (no list in the answer)'}`,
        fix: `the backend lists another user's view or does not store the task: kubectl logs -n ${t.plan.namespace} deploy/${t.plan.release}-backend --tail=50`,
      }
    return { ok: true, detail: `${arrow(a)} (task ${t.st.taskId} among ${items.length})` }
  },
}

const update: Step = {
  id: 'journey-update',
  name: 'journey: update it',
  needs: ['journey-create'],
  async run(t) {
    const tasks = t.st.routes!.tasks!
    const r = tasks.update
    if (!r) return { ok: true, skip: true, detail: 'the backend declares no PUT/PATCH on the task item' }
    const title = `${taskTitle(t.st)} (edited)`
    // no completion route: the update itself marks it done when its schema can
    const body = t.dry
      ? { title: '<kit journey … (edited)>' }
      : bodyFor(
          t.st.doc,
          r.body,
          { ...t.st.fill, text: title, userId: t.st.userId },
          {
            set: { title, ...(tasks.complete ? {} : { completed: true, is_completed: true, done: true }) },
          },
        )
    const a = await onBackend(t, r, body ?? {})
    if (isVerdict(a)) return a
    if (!ok2xx(a.sent)) return failed(a)
    return { ok: true, detail: arrow(a) }
  },
}

const complete: Step = {
  id: 'journey-complete',
  name: 'journey: complete it',
  needs: ['journey-create'],
  async run(t) {
    const r = t.st.routes!.tasks!.complete
    if (!r) return { ok: true, skip: true, detail: 'no completion route under the task item (the update sets it)' }
    const body = t.dry
      ? { completed: true }
      : r.body
        ? bodyFor(t.st.doc, r.body, t.st.fill, { set: { completed: true, is_completed: true, done: true } })
        : undefined
    const a = await onBackend(t, r, body ?? undefined)
    if (isVerdict(a)) return a
    if (!ok2xx(a.sent)) return failed(a)
    return { ok: true, detail: arrow(a) }
  },
}

const remove: Step = {
  id: 'journey-delete',
  name: 'journey: delete it',
  needs: ['journey-create'],
  async run(t) {
    const r = t.st.routes!.tasks!.remove
    if (!r) return { ok: true, skip: true, detail: 'the backend declares no DELETE on the task item' }
    const a = await onBackend(t, r)
    if (isVerdict(a)) return a
    if (!ok2xx(a.sent)) return failed(a)
    t.st.left = t.st.left.filter((id) => id !== t.st.taskId)
    return { ok: true, detail: arrow(a) }
  },
}

const chat: Step = {
  id: 'journey-chat',
  name: 'journey: chat message',
  needs: ['journey-routes', 'journey-credential'],
  async run(t) {
    if (!t.plan.chat.run) return { ok: true, skip: true, detail: `not sent: ${t.plan.chat.why}` }
    const r = t.st.routes!.chat
    if (!r)
      return {
        ok: false,
        detail: "the backend's /openapi.json declares no POST …/chat route",
        fix: 'the Phase III chat is a POST /api/{user_id}/chat on the backend',
      }
    const body = t.dry
      ? { message: CHAT_MESSAGE }
      : bodyFor(
          t.st.doc,
          r.body,
          { ...t.st.fill, text: CHAT_MESSAGE, userId: t.st.userId },
          {
            set: { message: CHAT_MESSAGE, content: CHAT_MESSAGE, prompt: CHAT_MESSAGE, query: CHAT_MESSAGE },
          },
        )
    const a = await onBackend(t, r, body ?? { message: CHAT_MESSAGE })
    if (isVerdict(a)) return a
    t.st.chatted = true
    if (!ok2xx(a.sent)) return failed(a)
    const reply = replyOf(json(a.sent))
    if (!reply)
      return {
        ok: false,
        detail: `${arrow(a)} but no reply text (response, reply, message) in the answer`,
        fix: `kubectl logs -n ${t.plan.namespace} deploy/${t.plan.release}-backend --tail=50`,
      }
    const short = reply.replace(/\s+/g, ' ').slice(0, 60)
    const quoted = `"${short}${reply.length > 60 ? '…' : ''}"`
    // many apps catch the model's error and answer 200 with an apology: that is no reply from the model
    if (ERROR_REPLY.test(reply))
      return {
        ok: false,
        detail: `${arrow(a)}, but the reply is the app's error message, not the model's answer (${t.plan.chat.why}): ${quoted}`,
        fix: `the backend's log says why the model call failed (a placeholder or wrong key, no route to the LLM API): kubectl logs -n ${t.plan.namespace} deploy/${t.plan.release}-backend --tail=50`,
      }
    return { ok: true, detail: `${arrow(a)} (${t.plan.chat.why}; replied ${quoted})` }
  },
}

/** A chat reply that is the app's own error text: what apps answer when they catch a failed model call. */
export const ERROR_REPLY =
  /\b(encountered an? (issue|error|problem)|an error occurred|error (processing|while)|something went wrong|(unable|failed) to (process|generate|get|connect|reach|complete)|please try again|invalid api key|incorrect api key|authentication ?error|rate limit|insufficient_quota|exceeded your (current )?quota)\b/i

const cleanup: Step = {
  id: 'journey-cleanup',
  name: 'journey: clean up',
  needs: ['journey-sign-up'],
  async run(t) {
    const { st, plan } = t
    const remains: string[] = []
    let asked: Asked | null = null
    if (st.ownAuth && st.routes?.deleteUser) {
      const got = await onBackend(t, st.routes.deleteUser)
      if (isVerdict(got)) remains.push(`user ${st.fill.email} (${got.detail})`)
      else asked = got
    } else if (!st.ownAuth && plan.betterAuth)
      asked = await t.ask('auth', 'POST', `${plan.authPath}/delete-user`, { json: { password: st.fill.password } })
    const answer = asked && answered(asked.sent) ? asked.sent : null
    const deleted = answer && ok2xx(answer) && !/verification/i.test(answer.text)
    if (!deleted && !t.dry) {
      const why = !asked
        ? 'the app offers no delete-user route'
        : answer?.status === 404
          ? "the app's delete-user route is off (Better Auth: user.deleteUser.enabled)"
          : `${arrow(asked)}${answer ? ` ${said(answer.text)}` : ''}`
      remains.unshift(`user ${st.fill.email}${st.chatted ? ' and its chat conversation' : ''} (${why})`)
    }
    if (st.left.length) remains.push(`task ${st.left.join(', ')}`)
    const head = asked ? `${arrow(asked)}; ` : ''
    return {
      ok: true,
      detail: remains.length ? `${head}remains: ${remains.join('; ')}` : `${head}user and tasks removed`,
    }
  },
}

export const STEPS: Step[] = [routesStep, signUp, credential, create, list, update, complete, remove, chat, cleanup]

const stringy = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]))

/** A throwaway user: kit-journey-<random>@example.com and a random password that is never printed. */
export function throwawayUser(): Fill {
  const id = randomBytes(6).toString('hex')
  return {
    email: `kit-journey-${id}@example.com`,
    password: `${randomBytes(18).toString('base64url')}-Aa1`,
    name: 'Kit Journey',
    text: `kit journey ${id}`,
  }
}

/**
 * Runs the journey (send) or prints its requests (send null, `print` each line); one row per step. A step whose
 * `needs` did not pass is "not checked". Bounded: each request by the sender's timeout.
 */
export async function runJourney(
  plan: JourneyPlan,
  send: Send | null,
  print: (line: string) => void = () => {},
  fill: Fill = throwawayUser(),
): Promise<Check[]> {
  const st: State = {
    routes: null,
    doc: {},
    ownAuth: false,
    userId: null,
    bearer: null,
    jar: new CookieJar(new URL(plan.origin)),
    taskId: null,
    left: [],
    chatted: false,
    fill,
    signedUpWith: null,
  }
  const t = new Trip(plan, st, send, print)
  const passed = new Set<string>()
  // a step skipped by design passes its reason on: the steps after it are skipped for the same one
  const skipped = new Map<string, string>()
  const rows: Check[] = []
  for (const step of STEPS) {
    const missing = step.needs.find((n) => !passed.has(n))
    if (missing) {
      const why = skipped.get(missing)
      if (why !== undefined) skipped.set(step.id, why)
      rows.push({
        id: step.id,
        name: step.name,
        status: 'skip',
        detail: why ?? `not checked: ${missing} did not pass`,
      })
      continue
    }
    let v: Verdict
    try {
      v = await step.run(t)
    } catch (e) {
      v = {
        ok: false,
        detail: `the journey step failed: ${(e as Error).message}`,
        fix: 'report it with the --json output',
      }
    }
    if (v.ok && !v.skip) passed.add(step.id)
    if (v.ok && v.skip) skipped.set(step.id, v.detail)
    rows.push(
      v.ok
        ? { id: step.id, name: step.name, status: v.skip ? 'skip' : 'pass', detail: v.detail }
        : { id: step.id, name: step.name, status: 'fail', detail: v.detail, fix: v.fix },
    )
  }
  return rows
}
