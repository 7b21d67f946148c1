// Browser-side logic: the API client (wired through the real proxy to a real HTTP server), error wording, filters,
// conversation ids, post-sign-in redirects and the auth settings check.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ApiError,
  createApi,
  errorMessage,
  filterTasks,
  parseConversationId,
  taskCounts,
  type Task,
} from '../../app/frontend/lib/api.ts'
import { proxyToBackend } from '../../app/frontend/lib/backend-proxy.ts'
import { safeNext } from '../../app/frontend/lib/paths.ts'
import { ConfigError, readAuthEnv, trustedOrigins } from '../../app/frontend/lib/auth-env.ts'

const task = (id: number, completed: boolean): Task => ({
  id,
  user_id: 'u1',
  title: `task ${id}`,
  description: null,
  completed,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
})

describe('createApi through the proxy', () => {
  let server: Server
  let backendUrl: string
  const calls: string[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        calls.push(`${req.method} ${req.url} ${body}`)
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
        if (req.url === '/api/u%40x/tasks' && req.method === 'POST')
          return json(201, { ...task(7, false), ...JSON.parse(body) })
        if (req.url === '/api/u%40x/tasks/7/complete') return json(200, { ...task(7, true) })
        if (req.url === '/api/u%40x/tasks/7' && req.method === 'DELETE') return res.writeHead(204).end()
        if (req.url === '/api/u%40x/chat')
          return json(200, {
            conversation_id: 4,
            response: 'Added task 8: "buy milk".',
            tool_calls: [{ name: 'add_task', arguments: { title: 'buy milk' } }],
          })
        if (req.url === '/api/u%40x/tasks/99')
          return json(422, { detail: [{ loc: ['body', 'title'], msg: 'title must not be empty' }] })
        return json(404, { detail: 'not here' })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    backendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  // What the browser's fetch would do: same-origin request to the proxy route, path segments as Next.js decodes them.
  const viaProxy: typeof fetch = async (input, init) => {
    const request = new Request(new URL(String(input), 'http://todo.local'), init)
    const segments = new URL(request.url).pathname
      .replace(/^\/api\/backend\//, '')
      .split('/')
      .map(decodeURIComponent)
    return proxyToBackend(request, segments, { backendUrl, getToken: async () => 'jwt' })
  }

  it('creates, completes, deletes and chats with the right methods, paths and bodies', async () => {
    const api = createApi('u@x', viaProxy)
    const created = await api.createTask('buy milk', '  2 litres ')
    expect(created).toMatchObject({ id: 7, title: 'buy milk', description: '2 litres' })
    expect((await api.setCompleted(7, true)).completed).toBe(true)
    await expect(api.deleteTask(7)).resolves.toBeNull()
    const reply = await api.chat('add buy milk', 4)
    expect(reply.tool_calls[0]!.name).toBe('add_task')
    expect(calls).toEqual([
      'POST /api/u%40x/tasks {"title":"buy milk","description":"2 litres"}',
      'PATCH /api/u%40x/tasks/7/complete {"completed":true}',
      'DELETE /api/u%40x/tasks/7 ',
      'POST /api/u%40x/chat {"conversation_id":4,"message":"add buy milk"}',
    ])
  })

  it('turns backend errors into ApiError with a readable message', async () => {
    const api = createApi('u@x', viaProxy)
    const err = await api.updateTask(99, { title: '' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(422)
    expect((err as ApiError).message).toBe('title must not be empty')
    await expect(api.conversationMessages(5)).rejects.toMatchObject({ status: 404, message: 'not here' })
  })

  it('reports a network failure as status 0 with advice', async () => {
    const api = createApi('u1', async () => {
      throw new TypeError('fetch failed')
    })
    await expect(api.listTasks()).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('Cannot reach the server'),
    })
  })
})

describe('errorMessage', () => {
  it('prefers detail, then error, then a status-based sentence', () => {
    expect(errorMessage(400, { detail: 'bad title' })).toBe('bad title')
    expect(errorMessage(502, { error: 'backend_unreachable', detail: 'The backend is not reachable.' })).toBe(
      'The backend is not reachable.',
    )
    expect(errorMessage(422, { detail: [{ msg: 'a' }, { msg: 'b' }] })).toBe('a; b')
    expect(errorMessage(401, { detail: 'whatever' })).toMatch(/Sign in again/)
    expect(errorMessage(404, null)).toMatch(/Not found/)
    expect(errorMessage(500, '<html>…</html>'.repeat(40))).toMatch(/server had a problem/)
    expect(errorMessage(418, null)).toBe('Request failed (418).')
  })
})

describe('task filters', () => {
  const tasks = [task(1, false), task(2, true), task(3, false)]
  it('filters and counts by status', () => {
    expect(filterTasks(tasks, 'all').map((t) => t.id)).toEqual([1, 2, 3])
    expect(filterTasks(tasks, 'pending').map((t) => t.id)).toEqual([1, 3])
    expect(filterTasks(tasks, 'completed').map((t) => t.id)).toEqual([2])
    expect(taskCounts(tasks)).toEqual({ all: 3, pending: 2, completed: 1 })
    expect(taskCounts([])).toEqual({ all: 0, pending: 0, completed: 0 })
  })
})

describe('parseConversationId', () => {
  it('accepts positive integers only', () => {
    expect(parseConversationId('12')).toBe(12)
    for (const bad of [null, undefined, '', '0', '-1', '1.5', 'abc', '12abc', '9'.repeat(20)])
      expect(parseConversationId(bad)).toBeNull()
  })
})

describe('safeNext', () => {
  it('keeps same-site page paths and refuses everything else', () => {
    expect(safeNext('/chat?c=3')).toBe('/chat?c=3')
    for (const bad of [
      null,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/api/auth/sign-out',
      'chat',
      '/x\r\nSet-Cookie: a=b',
    ]) {
      expect(safeNext(bad)).toBe('/tasks')
    }
  })
})

describe('readAuthEnv', () => {
  const good = {
    DATABASE_URL: 'postgresql://u:p@db:5432/todo',
    BETTER_AUTH_SECRET: 'x'.repeat(32),
    BETTER_AUTH_URL: 'http://todo.local/',
  }

  it('reads the settings and trusts the public origin plus the listed ones', () => {
    const env = readAuthEnv({ ...good, BETTER_AUTH_TRUSTED_ORIGINS: ' http://localhost:3000/ ,http://todo.local,,' })
    expect(env.baseURL).toBe('http://todo.local')
    expect(env.trustedOrigins).toEqual(['http://todo.local', 'http://localhost:3000'])
    expect(trustedOrigins('https://a.example/app', undefined)).toEqual(['https://a.example'])
  })

  it('names the missing or bad setting and the fix', () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ ...good, DATABASE_URL: undefined }, /DATABASE_URL is not set; fix: export DATABASE_URL=/],
      [{ ...good, BETTER_AUTH_SECRET: ' ' }, /BETTER_AUTH_SECRET is not set; fix: .*openssl rand/],
      [{ ...good, BETTER_AUTH_SECRET: 'short' }, /shorter than 32 characters/],
      [{ ...good, BETTER_AUTH_URL: undefined }, /BETTER_AUTH_URL is not set/],
      [{ ...good, BETTER_AUTH_URL: 'todo.local' }, /BETTER_AUTH_URL is not a URL/],
      [{ ...good, BETTER_AUTH_URL: 'ftp://todo.local' }, /must be http\(s\)/],
    ]
    for (const [env, message] of cases) {
      expect(() => readAuthEnv(env)).toThrow(ConfigError)
      expect(() => readAuthEnv(env)).toThrow(message)
    }
  })
})
