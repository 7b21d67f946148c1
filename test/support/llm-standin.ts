// An OpenAI-compatible model server for the tests (never for users): real apps call the model through the official
// SDKs (openai, the OpenAI Agents SDK), which honour OPENAI_BASE_URL, so an app deployed unchanged can reach this
// instead of api.openai.com, which nothing here can reach. It answers every message with one fixed sentence that
// quotes it, never a tool call, so the app's agent takes it as its final reply. Both of the APIs the SDKs use, each
// plain and streamed (server-sent events): Chat Completions (POST /v1/chat/completions) and Responses
// (POST /v1/responses, the Agents SDK's default), and GET /v1/models. It records what it was asked, so a test can
// tell a reply the model made from one the app made up.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type LlmStandin = {
  /** the base URL an OpenAI client takes (OPENAI_BASE_URL): http://<host>:<port>/v1 */
  baseUrl: (host: string) => string
  port: number
  /** the user messages it answered, in order */
  asked: string[]
  close: () => Promise<void>
}

/** the reply to a message: recognisable in the app's answer, whatever the app wraps around it */
export const standinReply = (message: string): string => `Stand-in model here: you said "${message.slice(0, 80)}".`

type Json = Record<string, unknown>

function readJson(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      try {
        resolve(JSON.parse(body || '{}') as Json)
      } catch {
        resolve({})
      }
    })
  })
}

// the text of the last user message: a string, or content parts ({type: 'text' | 'input_text', text})
function lastUserText(messages: unknown): string {
  const list = Array.isArray(messages)
    ? (messages as Json[])
    : typeof messages === 'string'
      ? [{ role: 'user', content: messages }]
      : []
  const user = [...list].reverse().find((m) => m.role === 'user' || (m.type === 'message' && m.role === 'user'))
  const content = user?.content
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return (content as Json[])
      .map((p) => (typeof p.text === 'string' ? p.text : ''))
      .join(' ')
      .trim()
  return ''
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function sse(res: ServerResponse, events: { event?: string; data: unknown }[], done: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  for (const e of events) res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`)
  if (done) res.write('data: [DONE]\n\n')
  res.end()
}

const usage = { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22 }
const now = (): number => Math.floor(Date.now() / 1000)

function chatCompletion(res: ServerResponse, body: Json, text: string): void {
  const id = `chatcmpl-standin-${Date.now()}`
  const model = String(body.model ?? 'standin')
  if (!body.stream) {
    send(res, 200, {
      id,
      object: 'chat.completion',
      created: now(),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
      usage,
    })
    return
  }
  const chunk = (delta: Json, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created: now(),
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  })
  sse(
    res,
    [
      { data: chunk({ role: 'assistant', content: '' }, null) },
      { data: chunk({ content: text }, null) },
      { data: chunk({}, 'stop') },
    ],
    true,
  )
}

function response(res: ServerResponse, body: Json, text: string): void {
  const id = `resp_standin${Date.now()}`
  const item = {
    id: `msg_standin${Date.now()}`,
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  }
  const full = (status: string, output: unknown[]) => ({
    id,
    object: 'response',
    created_at: now(),
    status,
    model: String(body.model ?? 'standin'),
    output,
    output_text: status === 'completed' ? text : '',
    parallel_tool_calls: true,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    instructions: body.instructions ?? null,
    metadata: {},
    temperature: 1,
    top_p: 1,
    error: null,
    incomplete_details: null,
    usage: {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 22,
    },
  })
  if (!body.stream) {
    send(res, 200, full('completed', [item]))
    return
  }
  let n = 0
  const ev = (type: string, rest: Json) => ({ event: type, data: { type, sequence_number: n++, ...rest } })
  const part = { type: 'output_text', text: '', annotations: [] }
  sse(
    res,
    [
      ev('response.created', { response: full('in_progress', []) }),
      ev('response.in_progress', { response: full('in_progress', []) }),
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      ev('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part }),
      ev('response.output_text.delta', {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta: text,
        logprobs: [],
      }),
      ev('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text, logprobs: [] }),
      ev('response.content_part.done', {
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { ...part, text },
      }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response: full('completed', [item]) }),
    ],
    false,
  )
}

/** Starts the stand-in on `host` (default all interfaces, so a cluster's pods can reach it) and a free port. */
export async function startLlmStandin(host = '0.0.0.0'): Promise<LlmStandin> {
  const asked: string[] = []
  const server: Server = createServer(async (req, res) => {
    const url = (req.url ?? '').replace(/\?.*/, '')
    if (req.method === 'GET' && /\/models$/.test(url)) {
      send(res, 200, { object: 'list', data: [{ id: 'standin', object: 'model', created: 0, owned_by: 'tests' }] })
      return
    }
    if (req.method === 'POST' && /\/(chat\/completions|responses)$/.test(url)) {
      const body = await readJson(req)
      const message = lastUserText(url.endsWith('/responses') ? body.input : body.messages)
      asked.push(message)
      const text = standinReply(message)
      if (url.endsWith('/responses')) response(res, body, text)
      else chatCompletion(res, body, text)
      return
    }
    send(res, 404, {
      error: { message: `the stand-in model has no ${req.method} ${url}`, type: 'invalid_request_error' },
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    baseUrl: (h) => `http://${h}:${port}/v1`,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
