'use client'
import Link from 'next/link'
import { usePathname, useRouter, useSearchParams } from 'next/navigation'
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { ApiError, createApi, parseConversationId, type ToolCall } from '@/lib/api'

interface Entry {
  key: string
  role: 'user' | 'assistant'
  content: string
  toolCalls?: ToolCall[]
}

const SUGGESTIONS = ['add buy milk', 'show pending tasks', 'complete 1', 'rename 1 to call mom']

export function ChatView({ userId }: { userId: string }) {
  const api = useMemo(() => createApi(userId), [userId])
  const router = useRouter()
  const pathname = usePathname()
  const params = useSearchParams()
  const storageKey = `todo-chat:${userId}`
  const [conversationId, setConversationId] = useState<number | null>(null)
  const [entries, setEntries] = useState<Entry[]>([])
  const [historyNote, setHistoryNote] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const [draft, setDraft] = useState('')
  const inputRef = useRef<HTMLTextAreaElement>(null)
  const endRef = useRef<HTMLDivElement>(null)

  // Resume: the URL wins (shareable, survives reloads), then the last conversation this browser used.
  useEffect(() => {
    const fromUrl = parseConversationId(params.get('c'))
    const id = fromUrl ?? parseConversationId(localStorage.getItem(storageKey))
    if (!id) return
    setConversationId(id)
    if (!fromUrl) router.replace(`${pathname}?c=${id}`, { scroll: false })
    let cancelled = false
    api
      .conversationMessages(id)
      .then((messages) => {
        if (cancelled) return
        setEntries(
          messages
            .filter((m) => m.role === 'user' || m.role === 'assistant')
            .map((m) => ({ key: `m${m.id}`, role: m.role as Entry['role'], content: m.content })),
        )
        setHistoryNote(null)
      })
      .catch((err: unknown) => {
        if (cancelled) return
        if (err instanceof ApiError && err.status === 404) {
          // The conversation is gone (or belonged to someone else): start fresh.
          localStorage.removeItem(storageKey)
          setConversationId(null)
          router.replace(pathname, { scroll: false })
          return
        }
        setHistoryNote(`Continuing conversation #${id}; earlier messages could not be loaded (${(err as Error).message}).`)
      })
    return () => {
      cancelled = true
    }
    // Only on first render: later id changes come from our own replies.
  }, [])

  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' })
  }, [entries, sending])

  async function send(text: string) {
    const message = text.trim()
    if (!message || sending) return
    setError(null)
    setSending(true)
    const userEntry: Entry = { key: `u${Date.now()}`, role: 'user', content: message }
    setEntries((prev) => [...prev, userEntry])
    setDraft('')
    try {
      const reply = await api.chat(message, conversationId)
      setEntries((prev) => [...prev, { key: `a${Date.now()}`, role: 'assistant', content: reply.response, toolCalls: reply.tool_calls }])
      if (reply.conversation_id !== conversationId) {
        setConversationId(reply.conversation_id)
        localStorage.setItem(storageKey, String(reply.conversation_id))
        router.replace(`${pathname}?c=${reply.conversation_id}`, { scroll: false })
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        window.location.assign(`/sign-in?next=${encodeURIComponent('/chat')}`)
        return
      }
      setEntries((prev) => prev.filter((e) => e !== userEntry))
      setDraft(message)
      setError((err as Error).message)
    } finally {
      setSending(false)
      inputRef.current?.focus()
    }
  }

  function newConversation() {
    localStorage.removeItem(storageKey)
    setConversationId(null)
    setEntries([])
    setHistoryNote(null)
    setError(null)
    router.replace(pathname, { scroll: false })
    inputRef.current?.focus()
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    void send(draft)
  }

  return (
    <section aria-labelledby="chat-heading" className="chat">
      <div className="page-head">
        <h1 id="chat-heading">Chat</h1>
        <div className="chat-head-actions">
          {conversationId && <span className="muted">Conversation #{conversationId}</span>}
          <button type="button" className="ghost" onClick={newConversation} disabled={sending || (!conversationId && entries.length === 0)}>
            New conversation
          </button>
        </div>
      </div>

      {historyNote && <p className="note">{historyNote}</p>}

      <div className="card chat-log" role="log" aria-live="polite" aria-label="Conversation">
        {entries.length === 0 && !sending ? (
          <div className="state">
            <p className="muted">Ask the assistant to manage your tasks. Try:</p>
            <ul className="suggestions">
              {SUGGESTIONS.map((s) => (
                <li key={s}>
                  <button type="button" className="chip" onClick={() => void send(s)}>
                    {s}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <ol className="messages">
            {entries.map((entry) => (
              <li key={entry.key} className={`message ${entry.role}`}>
                <span className="sr-only">{entry.role === 'user' ? 'You said:' : 'Assistant:'}</span>
                <p className="bubble">{entry.content}</p>
                {entry.toolCalls && entry.toolCalls.length > 0 && (
                  <div className="tools" aria-label="Tools the assistant used">
                    {entry.toolCalls.map((call, i) => (
                      <details key={i} className="tool">
                        <summary>
                          <span className="tool-name">{call.name}</span> <code>{formatArgs(call.arguments)}</code>
                        </summary>
                        {call.result !== undefined && call.result !== null && <pre>{JSON.stringify(call.result, null, 2)}</pre>}
                      </details>
                    ))}
                  </div>
                )}
              </li>
            ))}
            {sending && (
              <li className="message assistant pending" aria-busy="true">
                <p className="bubble">Thinking…</p>
              </li>
            )}
          </ol>
        )}
        <div ref={endRef} />
      </div>

      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      <form className="chat-form" onSubmit={onSubmit}>
        <label htmlFor="chat-input" className="sr-only">
          Message
        </label>
        <textarea
          id="chat-input"
          ref={inputRef}
          rows={2}
          maxLength={4000}
          value={draft}
          placeholder="e.g. add buy milk"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault()
              void send(draft)
            }
          }}
          aria-describedby="chat-hint"
        />
        <button type="submit" className="primary" disabled={sending || !draft.trim()}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </form>
      <p id="chat-hint" className="hint">
        Enter sends, Shift+Enter adds a line. Changes show up on <Link href="/tasks">Tasks</Link>.
      </p>
    </section>
  )
}

function formatArgs(args: Record<string, unknown> | undefined): string {
  if (!args || Object.keys(args).length === 0) return '()'
  return `(${Object.entries(args)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')})`
}
