// The routes a user's journey needs, found in the backend's own /openapi.json: sign-up and login (apps with their own
// auth), the task collection and item, completion, chat and account deletion. Found by path shape first (a POST+GET
// collection, an item under it with PUT/PATCH/DELETE), then by tags and operation names, so an app's own prefixes
// (/api/{user_id}/tasks, /api/v1/users/{user_id}/tasks, /tasks/) all work. Request bodies come from each operation's
// schema: its required fields, filled with throwaway values.

export type Schema = {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  format?: string
  minimum?: number
  minLength?: number
  maxLength?: number
  default?: unknown
}
type Operation = {
  tags?: string[]
  operationId?: string
  summary?: string
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> }
}
export type OpenApi = {
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema> }
}

/** One operation: the path as declared (with its {params}) and what its body is. */
export type Route = {
  method: string
  path: string
  /** the request body's schema, $refs resolved (null: the operation takes no body) */
  body: Schema | null
  /** the body must be sent (requestBody.required) */
  bodyRequired: boolean
  /** form-encoded (FastAPI's OAuth2PasswordRequestForm: username + password) rather than JSON */
  form: boolean
}

export type TaskRoutes = {
  /** the collection path, e.g. /api/{user_id}/tasks */
  collection: string
  create: Route
  list: Route
  /** the item's id parameter in the item paths, e.g. task_id */
  idParam: string | null
  update: Route | null
  complete: Route | null
  remove: Route | null
}

export type Routes = {
  tasks: TaskRoutes | null
  chat: Route | null
  /** the app's own auth (not Better Auth): register and login routes */
  register: Route | null
  login: Route | null
  /** a route that deletes the signed-in user's account */
  deleteUser: Route | null
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']
const TASKY = /tasks?|todos?/i
const PARAM = /^\{([^}]+)\}$/
/** path parameters that stand for the signed-in user */
export const USER_PARAM = /^(user_?id|userid|uid|user|owner_?id|account_?id)$/i

const segments = (p: string): string[] => p.split('/').filter(Boolean)
const trim = (p: string): string => p.replace(/\/+$/, '') || '/'
const lastStatic = (p: string): string => [...segments(p)].reverse().find((s) => !PARAM.test(s)) ?? ''
const endsWithParam = (p: string): boolean => PARAM.test(segments(p).at(-1) ?? '')

/** Follows $ref into components.schemas and merges allOf; anyOf/oneOf take their first non-null member. */
export function resolveSchema(doc: OpenApi, s: Schema | undefined, depth = 0): Schema | null {
  if (!s || depth > 20) return null
  if (s.$ref) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1]
    return resolveSchema(doc, name ? doc.components?.schemas?.[decodeURIComponent(name)] : undefined, depth + 1)
  }
  if (s.allOf?.length) {
    const parts = s.allOf.map((x) => resolveSchema(doc, x, depth + 1)).filter((x): x is Schema => !!x)
    return {
      ...s,
      allOf: undefined,
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), s.properties ?? {}),
      required: [...new Set([...parts.flatMap((p) => p.required ?? []), ...(s.required ?? [])])],
    }
  }
  const alt = s.anyOf ?? s.oneOf
  if (alt?.length) {
    const pick = alt.find((x) => x.type !== 'null') ?? alt[0]
    return resolveSchema(doc, { ...s, anyOf: undefined, oneOf: undefined, ...pick }, depth + 1)
  }
  return s
}

function route(doc: OpenApi, path: string, method: string): Route | null {
  const op = doc.paths?.[path]?.[method]
  if (!op) return null
  const content = op.requestBody?.content ?? {}
  const formType = Object.keys(content).find((t) => /x-www-form-urlencoded|multipart\/form-data/.test(t))
  const jsonType = Object.keys(content).find((t) => /json/.test(t))
  const type = jsonType ?? formType
  return {
    method: method.toUpperCase(),
    path,
    body: type ? resolveSchema(doc, content[type]?.schema) : null,
    bodyRequired: Boolean(op.requestBody?.required),
    form: !jsonType && !!formType,
  }
}

const words = (op: Operation | undefined): string =>
  [...(op?.tags ?? []), op?.operationId ?? '', op?.summary ?? ''].join(' ')

/** Every route the journey can use, or null for each it cannot find. */
export function discoverRoutes(doc: OpenApi): Routes {
  const paths = Object.keys(doc.paths ?? {})
  const ops = (p: string): string[] => Object.keys(doc.paths?.[p] ?? {}).filter((m) => METHODS.includes(m))
  return {
    tasks: taskRoutes(doc, paths, ops),
    chat: chatRoute(doc, paths, ops),
    ...authRoutes(doc, paths, ops),
  }
}

function taskRoutes(doc: OpenApi, paths: string[], ops: (p: string) => string[]): TaskRoutes | null {
  // a collection takes POST (create) and GET (list), ends in a static segment, and is about tasks
  const scored = paths
    .filter((p) => !endsWithParam(p) && ops(p).includes('get') && ops(p).includes('post'))
    .map((p) => {
      const last = lastStatic(p)
      const ops2 = ['get', 'post'].map((m) => doc.paths?.[p]?.[m])
      const score =
        (/^(tasks?|todos?)$/i.test(last) ? 4 : TASKY.test(last) ? 2 : 0) +
        (ops2.some((o) => TASKY.test(words(o))) ? 1 : 0) +
        // a nested collection (/users/{id}/tasks/{task_id}/subtasks) is less likely the main one
        (segments(p).filter((s) => PARAM.test(s)).length <= 1 ? 1 : 0)
      return { p, score }
    })
    .filter((x) => x.score >= 2)
    .sort((a, b) => b.score - a.score || a.p.length - b.p.length)
  const collection = scored[0]?.p
  if (!collection) return null
  const base = trim(collection)
  // item paths: the collection plus one {param}, with or without a trailing slash
  const items = paths.filter((p) => {
    const s = segments(p)
    return (
      trim(p) !== base &&
      trim(p).startsWith(`${base}/`) &&
      s.length === segments(base).length + 1 &&
      PARAM.test(s.at(-1)!)
    )
  })
  const item = items.find((p) => ops(p).some((m) => m !== 'get' && m !== 'post')) ?? items[0] ?? null
  const idParam = item ? PARAM.exec(segments(item).at(-1)!)![1]! : null
  const on = (m: string): Route | null => (item && ops(item).includes(m) ? route(doc, item, m) : null)
  // completion: a route under the item named for it (/complete, /toggle, /status, /done)
  let complete: Route | null = null
  if (item)
    for (const p of paths) {
      const s = segments(p)
      if (trim(p).startsWith(`${trim(item)}/`) && s.length === segments(item).length + 1)
        if (/^(complete|completed|completion|toggle|toggle-complete|done|status|finish)$/i.test(s.at(-1)!)) {
          const m = ['patch', 'put', 'post'].find((x) => ops(p).includes(x))
          if (m) complete = route(doc, p, m)
        }
    }
  return {
    collection,
    create: route(doc, collection, 'post')!,
    list: route(doc, collection, 'get')!,
    idParam,
    update: on('put') ?? on('patch'),
    complete,
    remove: on('delete'),
  }
}

function chatRoute(doc: OpenApi, paths: string[], ops: (p: string) => string[]): Route | null {
  const found = paths
    .filter((p) => ops(p).includes('post') && /^chat$/i.test(lastStatic(p)) && !endsWithParam(p))
    .sort((a, b) => a.length - b.length)[0]
  return found ? route(doc, found, 'post') : null
}

function authRoutes(
  doc: OpenApi,
  paths: string[],
  ops: (p: string) => string[],
): Pick<Routes, 'register' | 'login' | 'deleteUser'> {
  const post = (re: RegExp): Route | null => {
    const p = paths
      .filter((x) => ops(x).includes('post') && re.test(lastStatic(x)) && !endsWithParam(x))
      .sort((a, b) => a.length - b.length)[0]
    return p ? route(doc, p, 'post') : null
  }
  // the account itself: DELETE /me, /users/me, /auth/account, /users/{user_id}
  const del = paths
    .filter((p) => ops(p).includes('delete'))
    .find((p) => {
      const s = segments(p)
      const last = s.at(-1) ?? ''
      if (/^(me|account|profile)$/i.test(last)) return true
      return s.length >= 2 && /^users?$/i.test(s.at(-2)!) && PARAM.test(last) && USER_PARAM.test(PARAM.exec(last)![1]!)
    })
  return {
    register: post(/^(register|signup|sign-up|sign_up)$/i),
    login: post(/^(login|signin|sign-in|sign_in|token)$/i),
    deleteUser: del ? route(doc, del, 'delete') : null,
  }
}

/** What the throwaway values are: the journey's own user and task. */
export type Fill = { email: string; password: string; name: string; text: string; userId?: string | null }

/**
 * A body for `schema`: its required fields (plus `also`, when the schema has them), each a throwaway value by name
 * and type. `set` overrides a field by name when the schema has it.
 */
export function bodyFor(
  doc: OpenApi,
  schema: Schema | null,
  fill: Fill,
  o: { also?: RegExp; set?: Record<string, unknown> } = {},
): Record<string, unknown> | null {
  const s = resolveSchema(doc, schema ?? undefined)
  if (!s?.properties) return s ? {} : null
  const out: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(s.properties)) {
    const wanted = s.required?.includes(name) || o.also?.test(name) || (o.set && name in o.set)
    if (!wanted) continue
    out[name] = o.set && name in o.set ? o.set[name] : valueFor(doc, name, resolveSchema(doc, raw), fill)
  }
  return out
}

function valueFor(doc: OpenApi, name: string, s: Schema | null, fill: Fill): unknown {
  const type = Array.isArray(s?.type) ? s.type.find((t) => t !== 'null') : s?.type
  if (s?.enum?.length) return s.enum[0]
  if (s?.default !== undefined && s.default !== null) return s.default
  if (/e-?mail/i.test(name)) return fill.email
  if (/password/i.test(name)) return fill.password
  if (USER_PARAM.test(name) && fill.userId) return fill.userId
  if (type === 'boolean') return false
  if (type === 'integer' || type === 'number') return s?.minimum ?? 1
  if (type === 'array') return []
  if (type === 'object') return bodyFor(doc, s, fill) ?? {}
  if (s?.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString()
  if (s?.format === 'date') return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
  if (/^(user_?name|name|full_?name|display_?name|first_?name|last_?name)$/i.test(name)) return fill.name
  const text = fill.text
  return s?.maxLength && text.length > s.maxLength ? text.slice(0, s.maxLength) : text
}

/** The path with each {param} filled: a user parameter with the user id, `id` with the task id. */
export function fillPath(
  path: string,
  values: { userId: string | null; id?: string | null; idParam?: string | null },
): { path: string } | { missing: string } {
  let missing: string | null = null
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = name === values.idParam ? values.id : USER_PARAM.test(name) ? values.userId : null
    if (!v) missing ??= name
    return encodeURIComponent(v ?? '')
  })
  return missing ? { missing } : { path: filled }
}

/** The id a create answer gives the new item: id, task_id, _id (also one level down: {task: {...}}, {data: {...}}). */
export function idOf(body: unknown): string | null {
  const at = (o: unknown): string | null => {
    if (!o || typeof o !== 'object') return null
    const r = o as Record<string, unknown>
    for (const k of ['id', 'task_id', 'taskId', '_id', 'uuid', 'todo_id'])
      if (typeof r[k] === 'string' || typeof r[k] === 'number') return String(r[k])
    return null
  }
  if (at(body)) return at(body)
  if (body && typeof body === 'object')
    for (const k of ['task', 'todo', 'data', 'item', 'result']) {
      const v = at((body as Record<string, unknown>)[k])
      if (v) return v
    }
  return null
}

/** The items of a list answer: the array itself, or the first array under tasks/items/data/results/todos. */
export function itemsOf(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body
  if (body && typeof body === 'object')
    for (const k of ['tasks', 'todos', 'items', 'data', 'results']) {
      const v = (body as Record<string, unknown>)[k]
      if (Array.isArray(v)) return v
      if (v && typeof v === 'object') {
        const inner = itemsOf(v)
        if (inner) return inner
      }
    }
  return null
}

/** Describes what was found, for the routes row: "tasks /api/{user_id}/tasks, chat /api/{user_id}/chat". */
export function routesSummary(r: Routes): string {
  const parts: string[] = []
  if (r.register) parts.push(`sign-up ${r.register.path}`)
  if (r.login) parts.push(`login ${r.login.path}`)
  if (r.tasks) parts.push(`tasks ${r.tasks.collection}`)
  if (r.chat) parts.push(`chat ${r.chat.path}`)
  if (r.deleteUser) parts.push(`delete-user ${r.deleteUser.method} ${r.deleteUser.path}`)
  return parts.join(', ') || 'none of the journey routes'
}
