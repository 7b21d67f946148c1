// Route discovery from /openapi.json: the reference app's real document (written by its FastAPI app), and the shapes
// of the corpus apps with their own auth (nida1khurram, sammar-13, mathnj, raheelafzal98, abdulhadi453), as small
// documents with their paths, methods and body schemas.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  bodyFor,
  discoverRoutes,
  fillPath,
  idOf,
  itemsOf,
  routesSummary,
  type OpenApi,
  type Schema,
} from '../../scripts/lib/journey/openapi-routes.ts'
import { fixture } from './canned.ts'

const reference = JSON.parse(readFileSync(fixture('journey', 'reference-openapi.json'), 'utf8')) as OpenApi
const fill = {
  email: 'kit-journey-ab12@example.com',
  password: 'pw-123456789',
  name: 'Kit Journey',
  text: 'kit journey',
}

type Op = { tags?: string[]; body?: Schema; form?: boolean }
/** A document from `{ path: { method: op } }`, bodies as JSON (or form) request bodies. */
function doc(paths: Record<string, Record<string, Op>>, schemas: Record<string, Schema> = {}): OpenApi {
  return {
    components: { schemas },
    paths: Object.fromEntries(
      Object.entries(paths).map(([p, ops]) => [
        p,
        Object.fromEntries(
          Object.entries(ops).map(([m, o]) => [
            m,
            {
              tags: o.tags,
              ...(o.body
                ? {
                    requestBody: {
                      required: true,
                      content: {
                        [o.form ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: o.body },
                      },
                    },
                  }
                : {}),
            },
          ]),
        ),
      ]),
    ),
  }
}
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const obj = (required: string[], props: Record<string, Schema>): Schema => ({
  type: 'object',
  required,
  properties: props,
})
const str: Schema = { type: 'string' }

describe('discoverRoutes: the reference app', () => {
  const r = discoverRoutes(reference)
  it('finds the task collection, item, completion and chat', () => {
    expect(r.tasks).toMatchObject({
      collection: '/api/{user_id}/tasks',
      idParam: 'task_id',
      create: { method: 'POST', path: '/api/{user_id}/tasks' },
      list: { method: 'GET', path: '/api/{user_id}/tasks' },
      update: { method: 'PUT', path: '/api/{user_id}/tasks/{task_id}' },
      complete: { method: 'PATCH', path: '/api/{user_id}/tasks/{task_id}/complete' },
      remove: { method: 'DELETE', path: '/api/{user_id}/tasks/{task_id}' },
    })
    expect(r.chat).toMatchObject({ method: 'POST', path: '/api/{user_id}/chat' })
  })
  it('has no auth routes of its own (Better Auth lives in the frontend), and conversations are not tasks', () => {
    expect(r).toMatchObject({ register: null, login: null, deleteUser: null })
    expect(routesSummary(r)).toBe('tasks /api/{user_id}/tasks, chat /api/{user_id}/chat')
  })
  it('builds the bodies from the schemas: TaskCreate needs a title, ChatRequest a message', () => {
    expect(bodyFor(reference, r.tasks!.create.body, { ...fill, text: 'my task' }, { also: /^title$/ })).toEqual({
      title: 'my task',
    })
    // TaskUpdate has no required field: only what the journey sets, and only fields the schema has
    expect(bodyFor(reference, r.tasks!.update!.body, fill, { set: { title: 'edited', done: true } })).toEqual({
      title: 'edited',
    })
    expect(bodyFor(reference, r.chat!.body, { ...fill, text: 'list my tasks' })).toEqual({ message: 'list my tasks' })
  })
})

describe('discoverRoutes: corpus apps with their own auth', () => {
  const UserCreate = obj(['email', 'password'], { email: str, password: str, full_name: str })
  const TaskCreate = obj(['title'], { title: str, description: str, completed: { type: 'boolean' } })

  it('nida1khurram: /auth/register, /auth/login; tasks at /tasks/ with a trailing slash', () => {
    const r = discoverRoutes(
      doc(
        {
          '/auth/register': { post: { tags: ['authentication'], body: ref('UserCreate') } },
          '/auth/login': { post: { tags: ['authentication'], body: ref('UserCreate') } },
          '/auth/me': { get: {} },
          '/tasks/': { get: { tags: ['tasks'] }, post: { tags: ['tasks'], body: ref('TaskCreate') } },
          '/tasks/{task_id}': { get: {}, put: { body: ref('TaskCreate') }, delete: {} },
          '/api/{user_id}/chat': { post: { tags: ['chat'], body: obj(['message'], { message: str }) } },
        },
        { UserCreate, TaskCreate },
      ),
    )
    expect(r.register?.path).toBe('/auth/register')
    expect(r.login?.path).toBe('/auth/login')
    expect(r.tasks).toMatchObject({
      collection: '/tasks/',
      idParam: 'task_id',
      update: { method: 'PUT' },
      remove: { method: 'DELETE' },
      complete: null,
    })
    expect(bodyFor({ components: { schemas: { UserCreate } } }, r.register!.body, fill)).toEqual({
      email: fill.email,
      password: fill.password,
    })
  })

  it('sammar-13: /api/auth/{register,login,refresh}; PATCH (no PUT) on the item; /api/users/profile is not a task', () => {
    const r = discoverRoutes(
      doc({
        '/api/auth/register': {
          post: { body: obj(['email', 'password', 'name'], { email: str, password: str, name: str }) },
        },
        '/api/auth/login': { post: { body: obj(['email', 'password'], { email: str, password: str }) } },
        '/api/auth/refresh': { post: {} },
        '/api/users/profile': { get: {}, patch: {} },
        '/api/tasks': { get: { tags: ['tasks'] }, post: { tags: ['tasks'], body: TaskCreate } },
        '/api/tasks/{task_id}': { get: {}, patch: { body: obj([], { title: str }) }, delete: {} },
        '/api/{user_id}/chat': { post: { body: obj(['message'], { message: str }) } },
      }),
    )
    expect(r.login?.path).toBe('/api/auth/login')
    expect(r.tasks).toMatchObject({ collection: '/api/tasks', update: { method: 'PATCH' }, complete: null })
    expect(bodyFor({}, r.register!.body, fill)).toEqual({
      email: fill.email,
      password: fill.password,
      name: 'Kit Journey',
    })
  })

  it('mathnj: /api/signup + /api/login; /api/{user_id}/tasks beats /api/tags (also POST+GET); …/complete', () => {
    const r = discoverRoutes(
      doc({
        '/api/signup': { post: { body: obj(['email', 'name', 'password'], { email: str, name: str, password: str }) } },
        '/api/login': { post: { body: obj(['email', 'password'], { email: str, password: str }) } },
        '/api/priorities': { get: {} },
        '/api/tags': { get: { tags: ['Tags'] }, post: { tags: ['Tags'] } },
        '/api/tags/{tag_id}': { get: {}, put: {}, delete: {} },
        '/api/{user_id}/tasks': { get: { tags: ['Tasks'] }, post: { tags: ['Tasks'], body: TaskCreate } },
        '/api/{user_id}/tasks/{task_id}': { get: {}, put: {}, delete: {} },
        '/api/{user_id}/tasks/{task_id}/complete': { patch: {} },
        '/api/{user_id}/conversations': { get: {} },
        '/api/{user_id}/chat': { post: { body: obj(['message'], { message: str }) } },
      }),
    )
    expect(r.register?.path).toBe('/api/signup')
    expect(r.tasks).toMatchObject({
      collection: '/api/{user_id}/tasks',
      complete: { method: 'PATCH', path: '/api/{user_id}/tasks/{task_id}/complete', body: null },
    })
  })

  it('raheelafzal98: /api/v1/users/{user_id}/tasks with a /toggle route; chat outside /api/v1', () => {
    const r = discoverRoutes(
      doc({
        '/api/v1/register': {
          post: { body: obj(['email', 'password', 'name'], { email: str, password: str, name: str }) },
        },
        '/api/v1/login': { post: { body: obj(['email', 'password'], { email: str, password: str }) } },
        '/api/v1/profile': { get: {} },
        '/api/v1/users/{user_id}/tasks': { post: { body: TaskCreate }, get: {} },
        '/api/v1/users/{user_id}/tasks/{task_id}': { get: {}, put: {}, delete: {} },
        '/api/v1/users/{user_id}/tasks/{task_id}/toggle': { patch: {} },
        '/api/{user_id}/chat': { post: { body: obj(['message'], { message: str }) } },
        '/api/{user_id}/conversations/{conversation_id}': { get: {} },
      }),
    )
    expect(r.tasks).toMatchObject({
      collection: '/api/v1/users/{user_id}/tasks',
      complete: { path: '/api/v1/users/{user_id}/tasks/{task_id}/toggle' },
    })
    expect(r.chat?.path).toBe('/api/{user_id}/chat')
  })

  it('abdulhadi453: /auth/register, /auth/login, /auth/refresh; /api/tasks without a user in the path', () => {
    const r = discoverRoutes(
      doc({
        '/auth/register': {
          post: { body: obj(['email', 'password', 'name'], { email: str, password: str, name: str }) },
        },
        '/auth/login': { post: { body: obj(['email', 'password'], { email: str, password: str }) } },
        '/auth/refresh': { post: {} },
        '/auth/me': { get: {} },
        '/api/tasks': { post: { body: TaskCreate }, get: {} },
        '/api/tasks/{task_id}': { get: {}, put: {}, delete: {} },
        '/api/tasks/{task_id}/complete': { patch: {} },
      }),
    )
    expect(r.login?.path).toBe('/auth/login')
    expect(r.tasks?.collection).toBe('/api/tasks')
    expect(r.chat).toBeNull()
    expect(fillPath(r.tasks!.remove!.path, { userId: 'u1', id: '7', idParam: 'task_id' })).toEqual({
      path: '/api/tasks/7',
    })
  })

  it('an OAuth2 password form login (/token) and a DELETE /users/me', () => {
    const r = discoverRoutes(
      doc({
        '/token': { post: { form: true, body: obj(['username', 'password'], { username: str, password: str }) } },
        '/users/me': { get: {}, delete: {} },
        '/todos': { get: {}, post: { body: obj(['text'], { text: str }) } },
      }),
    )
    expect(r.login).toMatchObject({ path: '/token', form: true })
    expect(r.deleteUser).toMatchObject({ method: 'DELETE', path: '/users/me' })
    expect(r.tasks?.collection).toBe('/todos')
  })

  it('no task routes: null, and the summary says so', () => {
    const r = discoverRoutes(doc({ '/health': { get: {} } }))
    expect(r.tasks).toBeNull()
    expect(routesSummary(r)).toBe('none of the journey routes')
  })
})

describe('request and answer helpers', () => {
  it('fillPath: user parameters take the user id, the id parameter the task id; a missing value is named', () => {
    expect(fillPath('/api/{user_id}/tasks/{task_id}', { userId: 'u 1', id: '5', idParam: 'task_id' })).toEqual({
      path: '/api/u%201/tasks/5',
    })
    expect(fillPath('/api/{org}/tasks', { userId: 'u1' })).toEqual({ missing: 'org' })
  })
  it('bodyFor: by name and type, enums, defaults, nested $refs', () => {
    const d: OpenApi = {
      components: { schemas: { Priority: { enum: ['high', 'low'] } } },
    }
    const s = obj(['title', 'priority', 'due', 'count', 'tags', 'user_id'], {
      title: { type: 'string', maxLength: 5 },
      priority: ref('Priority'),
      due: { type: 'string', format: 'date-time' },
      count: { type: 'integer', minimum: 2 },
      tags: { type: 'array', items: str },
      user_id: str,
    })
    const b = bodyFor(d, s, { ...fill, text: 'a long title', userId: 'u1' })!
    expect(b).toMatchObject({ title: 'a lon', priority: 'high', count: 2, tags: [], user_id: 'u1' })
    expect(String(b.due)).toMatch(/^\d{4}-\d\d-\d\dT/)
  })
  it('idOf and itemsOf read the common answer shapes', () => {
    expect(idOf({ id: 3 })).toBe('3')
    expect(idOf({ task: { task_id: 'a' } })).toBe('a')
    expect(idOf({ data: { id: 'x' } })).toBe('x')
    expect(idOf({ ok: true })).toBeNull()
    expect(itemsOf([{ id: 1 }])).toEqual([{ id: 1 }])
    expect(itemsOf({ tasks: [{ id: 1 }], total: 1 })).toEqual([{ id: 1 }])
    expect(itemsOf({ data: { items: [] } })).toEqual([])
    expect(itemsOf({ count: 0 })).toBeNull()
  })
})
