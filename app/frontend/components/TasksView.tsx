'use client'
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { ApiError, createApi, filterTasks, taskCounts, type Task, type TaskFilter } from '@/lib/api'

const FILTERS: { value: TaskFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'pending', label: 'Pending' },
  { value: 'completed', label: 'Completed' },
]

const EMPTY: Record<TaskFilter, string> = {
  all: 'No tasks yet. Add one above, or ask the assistant in Chat.',
  pending: 'Nothing pending. Nice work.',
  completed: 'No completed tasks yet.',
}

function useAuthRedirect() {
  return useCallback((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) window.location.assign(`/sign-in?next=${encodeURIComponent(location.pathname)}`)
  }, [])
}

export function TasksView({ userId }: { userId: string }) {
  const api = useMemo(() => createApi(userId), [userId])
  const [tasks, setTasks] = useState<Task[] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [actionError, setActionError] = useState<string | null>(null)
  const [status, setStatus] = useState('')
  const [filter, setFilter] = useState<TaskFilter>('all')
  const [adding, setAdding] = useState(false)
  const [editing, setEditing] = useState<number | null>(null)
  const [busy, setBusy] = useState<number | null>(null)
  const titleRef = useRef<HTMLInputElement>(null)
  const onAuthError = useAuthRedirect()

  const load = useCallback(async () => {
    setLoadError(null)
    try {
      setTasks(await api.listTasks())
    } catch (err) {
      onAuthError(err)
      setLoadError((err as Error).message)
    }
  }, [api, onAuthError])

  useEffect(() => {
    void load()
  }, [load])

  async function run(id: number | null, action: () => Promise<void>) {
    setBusy(id)
    setActionError(null)
    try {
      await action()
    } catch (err) {
      onAuthError(err)
      setActionError((err as Error).message)
    } finally {
      setBusy(null)
    }
  }

  async function onAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const data = new FormData(form)
    const title = String(data.get('title') ?? '').trim()
    if (!title) {
      setActionError('Give the task a title.')
      titleRef.current?.focus()
      return
    }
    setAdding(true)
    await run(null, async () => {
      const task = await api.createTask(title, String(data.get('description') ?? ''))
      setTasks((prev) => [task, ...(prev ?? [])])
      form.reset()
      setStatus(`Added “${task.title}”.`)
      titleRef.current?.focus()
    })
    setAdding(false)
  }

  const replace = (task: Task) => setTasks((prev) => (prev ?? []).map((t) => (t.id === task.id ? task : t)))

  const counts = taskCounts(tasks ?? [])
  const visible = sortTasks(filterTasks(tasks ?? [], filter))

  return (
    <section aria-labelledby="tasks-heading">
      <div className="page-head">
        <h1 id="tasks-heading">Tasks</h1>
        {tasks && (
          <p className="muted">
            {counts.pending} pending · {counts.completed} completed
          </p>
        )}
      </div>

      <form className="card add-form" onSubmit={onAdd} aria-label="Add a task">
        <div className="field grow">
          <label htmlFor="new-title">New task</label>
          <input id="new-title" name="title" ref={titleRef} maxLength={200} placeholder="e.g. Buy milk" autoComplete="off" required />
        </div>
        <div className="field grow">
          <label htmlFor="new-description">
            Details <span className="muted">(optional)</span>
          </label>
          <input id="new-description" name="description" maxLength={1000} autoComplete="off" />
        </div>
        <button type="submit" className="primary" disabled={adding}>
          {adding ? 'Adding…' : 'Add task'}
        </button>
      </form>

      <div className="toolbar">
        <div role="group" aria-label="Show tasks" className="segmented">
          {FILTERS.map((f) => (
            <button key={f.value} type="button" aria-pressed={filter === f.value} onClick={() => setFilter(f.value)}>
              {f.label} <span className="count">{counts[f.value]}</span>
            </button>
          ))}
        </div>
        <button type="button" className="ghost" onClick={() => void load()}>
          Refresh
        </button>
      </div>

      <p role="status" className="sr-only">
        {status}
      </p>
      {actionError && (
        <p className="error" role="alert">
          {actionError}
        </p>
      )}

      {loadError ? (
        <div className="card state error-state" role="alert">
          <p>Could not load your tasks: {loadError}</p>
          <button type="button" className="primary" onClick={() => void load()}>
            Try again
          </button>
        </div>
      ) : tasks === null ? (
        <p className="card state muted" aria-busy="true">
          Loading tasks…
        </p>
      ) : visible.length === 0 ? (
        <p className="card state muted">{EMPTY[filter]}</p>
      ) : (
        <ul className="task-list" aria-label={`${FILTERS.find((f) => f.value === filter)!.label} tasks`}>
          {visible.map((task) =>
            editing === task.id ? (
              <li key={task.id} className="task card editing">
                <EditTask
                  task={task}
                  busy={busy === task.id}
                  onCancel={() => setEditing(null)}
                  onSave={(title, description) =>
                    run(task.id, async () => {
                      replace(await api.updateTask(task.id, { title, description: description || null }))
                      setEditing(null)
                      setStatus(`Saved “${title}”.`)
                    })
                  }
                />
              </li>
            ) : (
              <li key={task.id} className={task.completed ? 'task card done' : 'task card'} data-task-id={task.id}>
                <input
                  type="checkbox"
                  id={`task-${task.id}`}
                  checked={task.completed}
                  disabled={busy === task.id}
                  onChange={(e) => {
                    const completed = e.currentTarget.checked
                    // Optimistic: the box flips at once and flips back if the server refuses.
                    replace({ ...task, completed })
                    void run(task.id, async () => {
                      try {
                        replace(await api.setCompleted(task.id, completed))
                      } catch (err) {
                        replace(task)
                        throw err
                      }
                      setStatus(completed ? `Completed “${task.title}”.` : `Marked “${task.title}” as pending.`)
                    })
                  }}
                />
                <div className="task-body">
                  <label htmlFor={`task-${task.id}`} className="task-title">
                    {task.title}
                  </label>
                  {task.description && <p className="task-description">{task.description}</p>}
                  <p className="task-meta">
                    #{task.id} · {task.completed ? 'completed' : 'pending'}
                  </p>
                </div>
                <div className="task-actions">
                  <button type="button" className="ghost" onClick={() => setEditing(task.id)} aria-label={`Edit “${task.title}”`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="ghost danger"
                    disabled={busy === task.id}
                    aria-label={`Delete “${task.title}”`}
                    onClick={() =>
                      void run(task.id, async () => {
                        await api.deleteTask(task.id)
                        setTasks((prev) => (prev ?? []).filter((t) => t.id !== task.id))
                        setStatus(`Deleted “${task.title}”.`)
                        titleRef.current?.focus()
                      })
                    }
                  >
                    Delete
                  </button>
                </div>
              </li>
            ),
          )}
        </ul>
      )}
    </section>
  )
}

function sortTasks(tasks: Task[]): Task[] {
  // Pending first, newest first within each group.
  return tasks.sort((a, b) => Number(a.completed) - Number(b.completed) || b.id - a.id)
}

function EditTask({ task, busy, onSave, onCancel }: { task: Task; busy: boolean; onSave: (title: string, description: string) => void; onCancel: () => void }) {
  const titleRef = useRef<HTMLInputElement>(null)
  useEffect(() => titleRef.current?.focus(), [])
  return (
    <form
      className="edit-form"
      aria-label={`Edit “${task.title}”`}
      onSubmit={(e) => {
        e.preventDefault()
        const data = new FormData(e.currentTarget)
        const title = String(data.get('title') ?? '').trim()
        if (title) onSave(title, String(data.get('description') ?? '').trim())
      }}
      onKeyDown={(e) => e.key === 'Escape' && onCancel()}
    >
      <div className="field grow">
        <label htmlFor={`edit-title-${task.id}`}>Title</label>
        <input id={`edit-title-${task.id}`} name="title" ref={titleRef} defaultValue={task.title} maxLength={200} required />
      </div>
      <div className="field grow">
        <label htmlFor={`edit-description-${task.id}`}>Details</label>
        <input id={`edit-description-${task.id}`} name="description" defaultValue={task.description ?? ''} maxLength={1000} />
      </div>
      <div className="task-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
