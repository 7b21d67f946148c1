// The app's logs while `dev` runs: every frontend and backend container of the release, one `kubectl logs -f` each,
// each line prefixed `[component/pod]`. Pods are listed every couple of seconds, so the pods a rollout creates are
// picked up from their first line, and a container that restarts is followed again (its crash is what one wants to see).
import chalk from 'chalk'
import { startArgv, type Started } from './proc.ts'
import type { Ctx } from './stage.ts'

type PodList = {
  items?: {
    metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string }
    status?: {
      containerStatuses?: { name: string; restartCount?: number; state?: { running?: unknown; terminated?: unknown } }[]
    }
  }[]
}

const COLORS: Record<string, (s: string) => string> = { frontend: chalk.cyan, backend: chalk.magenta }

/** `[backend/7d8b595df9-dhxbr]`: the pod name without the `<release>-<component>-` every pod of it shares. */
export function logPrefix(release: string, component: string, pod: string): string {
  const short = pod.startsWith(`${release}-${component}-`) ? pod.slice(release.length + component.length + 2) : pod
  return (COLORS[component] ?? chalk.white)(`[${component}/${short}]`)
}

export function followPodLogs(
  ctx: Ctx,
  o: { write: (line: string) => void; components?: string[]; pollMs?: number },
): { stop(): void } {
  const { cfg } = ctx
  const components = o.components ?? ['frontend', 'backend']
  // pod/container → the restart count its stream started at (kept after the stream ends)
  const streams = new Map<string, { restarts: number; proc: Started }>()
  let first = true
  let stopped = false
  let timer: NodeJS.Timeout | null = null

  const follow = (pod: string, component: string, container: string, restarts: number, tail: number): void => {
    const prefix = logPrefix(cfg.release, component, pod)
    let partial = ''
    const onData = (chunk: string): void => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const l of lines) o.write(`${prefix} ${ctx.redact(l.replace(/\r$/, ''))}`)
    }
    const proc = startArgv(['kubectl', 'logs', '-f', pod, '-c', container, '-n', cfg.namespace, `--tail=${tail}`], {
      cwd: cfg.root,
      env: ctx.env,
      collect: false,
      onStdout: onData,
    })
    const key = `${pod}/${container}`
    streams.set(key, { restarts, proc })
    void proc.exited.then(() => {
      // the entry stays: the same container is not followed twice (its lines would repeat); a restarted one is
      if (partial) o.write(`${prefix} ${ctx.redact(partial)}`)
    })
  }

  const poll = async (): Promise<void> => {
    const sel = `app.kubernetes.io/instance=${cfg.release},app.kubernetes.io/component in (${components.join(',')})`
    const r = await ctx.query({ timeoutMs: 20_000 })`kubectl get pods -n ${cfg.namespace} -l ${sel} -o json`
    if (stopped) return
    let list: PodList = {}
    try {
      list = r.ok ? (JSON.parse(r.stdout) as PodList) : {}
    } catch {
      list = {}
    }
    const present = new Set<string>()
    for (const pod of list.items ?? []) {
      const name = pod.metadata?.name
      const component = pod.metadata?.labels?.['app.kubernetes.io/component'] ?? ''
      if (!name || !components.includes(component)) continue
      for (const c of pod.status?.containerStatuses ?? []) {
        if (!c.state?.running && !c.state?.terminated) continue
        const key = `${name}/${c.name}`
        present.add(key)
        const restarts = c.restartCount ?? 0
        const current = streams.get(key)
        if (current && current.restarts === restarts) continue
        current?.proc.stop()
        // pods already running when dev starts show their last lines; new pods and new containers everything
        follow(name, component, c.name, restarts, first ? 10 : -1)
      }
    }
    // pods that are gone: their streams ended with them
    for (const [key, st] of streams)
      if (!present.has(key) && r.ok) {
        st.proc.stop()
        streams.delete(key)
      }
    first = false
  }

  const loop = async (): Promise<void> => {
    await poll().catch(() => undefined)
    if (!stopped) timer = setTimeout(() => void loop(), o.pollMs ?? 2_000)
  }
  void loop()
  return {
    stop: () => {
      stopped = true
      if (timer) clearTimeout(timer)
      for (const s of streams.values()) s.proc.stop()
      streams.clear()
    },
  }
}
