// The same-origin proxy against a real HTTP server standing in for the backend: what it forwards, what it refuses,
// and that the backend's address never reaches the browser.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { backendTarget, proxyToBackend } from '../../app/frontend/lib/backend-proxy.ts'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

let server: Server
let backendUrl: string
let seen: Seen[] = []
const TOKEN = 'header.payload.signature'
const withToken = async () => TOKEN

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() })
      const path = req.url!.split('?')[0]!
      if (path.endsWith('/hang')) return // never answers: the proxy's timeout must fire
      if (path.endsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'task 9 not found' }))
      } else if (req.method === 'DELETE') {
        res.writeHead(204).end()
      } else if (path.endsWith('/moved')) {
        res.writeHead(307, { location: `${backendUrl}/api/u1/tasks/` }).end()
      } else {
        res
          .writeHead(req.method === 'POST' ? 201 : 200, {
            'content-type': 'application/json',
            'set-cookie': 'backend=1',
            server: 'uvicorn',
          })
          .end(JSON.stringify({ ok: true, method: req.method }))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  backendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
)
beforeEach(() => {
  seen = []
})

const errorBody = async (res: Response) => (await res.json()) as { error?: string; detail?: string }

function browserRequest(path: string, init: RequestInit = {}) {
  return new Request(`http://todo.local/api/backend/${path}`, init)
}

describe('proxyToBackend', () => {
  it('forwards GET to $BACKEND_URL/api/<path> with the query and the user JWT, never the cookies', async () => {
    const res = await proxyToBackend(
      browserRequest('u1/tasks?status=pending', {
        headers: {
          cookie: 'better-auth.session_token=secret',
          authorization: 'Bearer forged',
          accept: 'application/json',
        },
      }),
      ['u1', 'tasks'],
      { backendUrl, getToken: withToken },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, method: 'GET' })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.url).toBe('/api/u1/tasks?status=pending')
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(seen[0]!.headers.cookie).toBeUndefined()
    expect(seen[0]!.headers.accept).toBe('application/json')
    // Backend cookies and server banners stay behind the proxy.
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(res.headers.get('server')).toBeNull()
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('forwards method, JSON body and content type for POST, PUT and PATCH', async () => {
    for (const method of ['POST', 'PUT', 'PATCH']) {
      const body = JSON.stringify({ title: `buy milk ${method}` })
      const res = await proxyToBackend(
        browserRequest('u1/tasks/3', { method, body, headers: { 'content-type': 'application/json' } }),
        ['u1', 'tasks', '3'],
        { backendUrl, getToken: withToken },
      )
      expect(res.status).toBe(method === 'POST' ? 201 : 200)
      expect(await res.json()).toEqual({ ok: true, method })
    }
    expect(seen.map((s) => [s.method, s.url, s.headers['content-type'], s.body])).toEqual([
      ['POST', '/api/u1/tasks/3', 'application/json', '{"title":"buy milk POST"}'],
      ['PUT', '/api/u1/tasks/3', 'application/json', '{"title":"buy milk PUT"}'],
      ['PATCH', '/api/u1/tasks/3', 'application/json', '{"title":"buy milk PATCH"}'],
    ])
  })

  it('passes 204 through with no body', async () => {
    const res = await proxyToBackend(browserRequest('u1/tasks/3', { method: 'DELETE' }), ['u1', 'tasks', '3'], {
      backendUrl,
      getToken: withToken,
    })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(seen[0]!.method).toBe('DELETE')
  })

  it('passes backend errors through unchanged', async () => {
    const res = await proxyToBackend(browserRequest('u1/tasks/missing'), ['u1', 'tasks', 'missing'], {
      backendUrl,
      getToken: withToken,
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'task 9 not found' })
  })

  it('answers 401 without calling the backend when there is no session', async () => {
    const res = await proxyToBackend(browserRequest('u1/tasks'), ['u1', 'tasks'], {
      backendUrl,
      getToken: async () => null,
    })
    expect(res.status).toBe(401)
    expect((await errorBody(res)).error).toBe('unauthenticated')
    expect(seen).toHaveLength(0)
  })

  it('answers 500 with a clear error when the session cannot be read', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await proxyToBackend(browserRequest('u1/tasks'), ['u1', 'tasks'], {
      backendUrl,
      getToken: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.5:5432')
      },
    })
    errors.mockRestore()
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text).error).toBe('session_error')
    expect(text).not.toContain('10.0.0.5')
    expect(seen).toHaveLength(0)
  })

  it('answers 502 without revealing the backend address when the backend is down', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const deadPort = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))

    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await proxyToBackend(browserRequest('u1/tasks'), ['u1', 'tasks'], {
      backendUrl: `http://127.0.0.1:${deadPort}`,
      getToken: withToken,
    })
    const logged = errors.mock.calls.flat().join(' ')
    errors.mockRestore()

    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toContain('application/json')
    const text = await res.text()
    expect(JSON.parse(text).error).toBe('backend_unreachable')
    expect(text).not.toContain(String(deadPort))
    expect(text).not.toContain('127.0.0.1')
    // Operators still get the address in the server log.
    expect(logged).toContain(`127.0.0.1:${deadPort}`)
  })

  it('answers 504 when the backend does not answer in time', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await proxyToBackend(browserRequest('u1/hang'), ['u1', 'hang'], {
      backendUrl,
      getToken: withToken,
      timeoutMs: 300,
    })
    errors.mockRestore()
    expect(res.status).toBe(504)
    expect((await errorBody(res)).error).toBe('backend_timeout')
  })

  it('answers 503 naming the fix when BACKEND_URL is unset or invalid', async () => {
    for (const bad of [undefined, '', 'not a url']) {
      const res = await proxyToBackend(browserRequest('u1/tasks'), ['u1', 'tasks'], {
        backendUrl: bad,
        getToken: withToken,
      })
      expect(res.status).toBe(503)
      const body = await errorBody(res)
      expect(body.error).toBe('backend_not_configured')
      expect(body.detail).toContain('BACKEND_URL')
    }
    expect(seen).toHaveLength(0)
  })

  it('rewrites backend redirects to same-origin proxy paths', async () => {
    const res = await proxyToBackend(browserRequest('u1/moved'), ['u1', 'moved'], { backendUrl, getToken: withToken })
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe('/api/backend/u1/tasks/')
  })

  it('refuses paths that would leave /api/', async () => {
    for (const segments of [[], ['..', 'health'], ['u1', '.'], ['a/b'], ['']]) {
      const res = await proxyToBackend(browserRequest('x'), segments, { backendUrl, getToken: withToken })
      expect(res.status, JSON.stringify(segments)).toBe(400)
    }
    expect(seen).toHaveLength(0)
  })
})

describe('backendTarget', () => {
  it('keeps a path prefix in BACKEND_URL and encodes each segment', () => {
    expect(backendTarget('http://todo-backend:8000', ['u 1', 'tasks'], '?status=all')!.href).toBe(
      'http://todo-backend:8000/api/u%201/tasks?status=all',
    )
    expect(backendTarget('http://gw.internal/todo/', ['u1', 'chat'], '')!.href).toBe(
      'http://gw.internal/todo/api/u1/chat',
    )
    expect(backendTarget('http://gw.internal/todo/', ['u1', 'chat'], '')!.hash).toBe('')
  })
})
