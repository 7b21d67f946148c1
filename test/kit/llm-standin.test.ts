// The tests' OpenAI-compatible stand-in (test/support/llm-standin.ts) speaks the wire format the official SDKs parse:
// the fields they require, each API plain and streamed. The corpus e2e then has real apps' SDKs (the OpenAI Agents
// SDK's Runner.run and run_streamed) talk to it from a cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLlmStandin, standinReply, type LlmStandin } from '../support/llm-standin.ts'

let llm: LlmStandin
beforeAll(async () => {
  llm = await startLlmStandin('127.0.0.1')
})
afterAll(() => llm.close())

const post = (path: string, body: unknown) =>
  fetch(`${llm.baseUrl('127.0.0.1')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-standin' },
    body: JSON.stringify(body),
  })
const events = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) =>
      block
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    )

describe('the OpenAI-compatible stand-in', () => {
  it('Chat Completions, plain and streamed: the reply quotes the last user message', async () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'text', text: 'add milk' }] },
    ]
    const plain = (await (await post('/chat/completions', { model: 'm', messages })).json()) as {
      object: string
      choices: { message: { role: string; content: string }; finish_reason: string }[]
    }
    expect(plain.object).toBe('chat.completion')
    expect(plain.choices[0]).toMatchObject({
      message: { role: 'assistant', content: standinReply('add milk') },
      finish_reason: 'stop',
    })
    const streamed = await post('/chat/completions', { model: 'm', messages, stream: true })
    expect(streamed.headers.get('content-type')).toBe('text/event-stream')
    const data = events(await streamed.text())
    expect(data.at(-1)).toBe('[DONE]')
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { delta: { content?: string } }[] })
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe(standinReply('add milk'))
  })

  it('Responses, plain and streamed (the Agents SDK default): a completed response with one output_text message', async () => {
    const input = [{ role: 'user', content: [{ type: 'input_text', text: 'what is open?' }] }]
    const plain = (await (await post('/responses', { model: 'm', input })).json()) as Record<string, unknown>
    expect(plain).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: standinReply('what is open?') }] },
      ],
    })
    const streamed = await post('/responses', { model: 'm', input: 'plain string input', stream: true })
    const types = events(await streamed.text()).map((d) => (JSON.parse(d) as { type: string }).type)
    expect(types[0]).toBe('response.created')
    expect(types.at(-1)).toBe('response.completed')
    expect(types).toContain('response.output_text.delta')
    expect(llm.asked).toEqual(['add milk', 'add milk', 'what is open?', 'plain string input'])
  })

  it('anything else is a 404 in the API error shape', async () => {
    const r = await post('/embeddings', { input: 'x' })
    expect(r.status).toBe(404)
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/no POST \/v1\/embeddings/)
  })
})
