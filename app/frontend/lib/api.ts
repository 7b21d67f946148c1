// Browser-side client for the backend, always through the same-origin proxy (/api/backend/...).
// fetch is injectable so the logic is testable outside a browser.

export interface Task {
  id: number
  user_id: string
  title: string
  description: string | null
  completed: boolean
  created_at: string
  updated_at: string
}

export interface ToolCall {
  name: string
  arguments: Record<string, unknown>
  result?: unknown
}

export interface ChatReply {
  conversation_id: number
  response: string
  tool_calls: ToolCall[]
}

export interface ChatMessage {
  id: number
  conversation_id: number
  role: 'user' | 'assistant' | string
  content: string
  created_at: string
}

export type TaskFilter = 'all' | 'pending' | 'completed'

export class ApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
  }
}

/** Turns any error body (FastAPI's {detail}, the proxy's {error, detail}, plain text) into one readable sentence. */
export function errorMessage(status: number, body: unknown): string {
  if (status === 401) return 'Your session has ended. Sign in again.'
  if (body && typeof body === 'object') {
    const detail = (body as { detail?: unknown }).detail
    if (typeof detail === 'string' && detail) return detail
    if (Array.isArray(detail) && detail.length > 0) {
      return detail
        .map((d) => (d && typeof d === 'object' && 'msg' in d ? String((d as { msg: unknown }).msg) : String(d)))
        .join('; ')
    }
    const error = (body as { error?: unknown }).error
    if (typeof error === 'string' && error) return error
  }
  if (typeof body === 'string' && body.trim() && body.length < 300) return body.trim()
  if (status === 404) return 'Not found. It may have been deleted.'
  if (status >= 500) return 'The server had a problem. Try again in a moment.'
  return `Request failed (${status}).`
}

export function filterTasks(tasks: readonly Task[], filter: TaskFilter): Task[] {
  if (filter === 'pending') return tasks.filter((t) => !t.completed)
  if (filter === 'completed') return tasks.filter((t) => t.completed)
  return [...tasks]
}

export function taskCounts(tasks: readonly Task[]): Record<TaskFilter, number> {
  const completed = tasks.filter((t) => t.completed).length
  return { all: tasks.length, pending: tasks.length - completed, completed }
}

export function createApi(userId: string, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  const base = `/api/backend/${encodeURIComponent(userId)}`

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetchImpl(`${base}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      })
    } catch {
      throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.')
    }
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      /* not JSON: keep the text */
    }
    if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, parsed))
    return parsed as T
  }

  return {
    listTasks: (filter: TaskFilter = 'all') =>
      call<Task[]>('GET', filter === 'all' ? '/tasks' : `/tasks?status=${filter}`),
    createTask: (title: string, description?: string) =>
      call<Task>('POST', '/tasks', { title, description: description?.trim() ? description.trim() : null }),
    updateTask: (id: number, changes: { title?: string; description?: string | null }) =>
      call<Task>('PUT', `/tasks/${id}`, changes),
    setCompleted: (id: number, completed: boolean) => call<Task>('PATCH', `/tasks/${id}/complete`, { completed }),
    deleteTask: (id: number) => call<unknown>('DELETE', `/tasks/${id}`),
    chat: (message: string, conversationId?: number | null) =>
      call<ChatReply>('POST', '/chat', conversationId ? { conversation_id: conversationId, message } : { message }),
    conversationMessages: (conversationId: number) =>
      call<ChatMessage[]>('GET', `/conversations/${conversationId}/messages`),
  }
}

export type Api = ReturnType<typeof createApi>

/** Parses a conversation id from the URL or storage; anything but a positive integer is ignored. */
export function parseConversationId(value: string | null | undefined): number | null {
  if (!value || !/^\d{1,15}$/.test(value)) return null
  const n = Number(value)
  return n > 0 ? n : null
}
