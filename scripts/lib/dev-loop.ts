// dev's loop state: the saves seen since the last cycle began (Skaffold's changeSet, with reset()), and the
// scheduler that turns them into cycles, one at a time.
import type { ImageSpec } from './config.ts'

export type Component = ImageSpec['component']

export class ChangeSet {
  private files = new Map<Component, Set<string>>()
  private firstSaveAt = 0

  /** a save of `file` in `component`'s sources; no file: "look again" (a save before the watcher was up) */
  add(component: Component, file?: string): void {
    if (!this.firstSaveAt) this.firstSaveAt = Date.now()
    const files = this.files.get(component) ?? new Set<string>()
    if (file) files.add(file)
    this.files.set(component, files)
  }

  get empty(): boolean {
    return this.files.size === 0
  }

  /** what the next cycle works on; the set starts again empty for the saves that arrive meanwhile */
  take(): { files: Map<Component, string[]>; savedAt: number } {
    const files = new Map<Component, string[]>([...this.files].map(([c, f]) => [c, [...f]]))
    const taken = { files, savedAt: this.firstSaveAt }
    this.reset()
    return taken
  }

  reset(): void {
    this.files.clear()
    this.firstSaveAt = 0
  }
}

export type Scheduler = {
  /** saves arrived: a cycle starts once they have settled for the debounce time */
  kick(): void
  /** no new cycles; resolves when the running one (if any) has finished */
  stop(): Promise<void>
  readonly busy: boolean
}

/** One cycle at a time: saves during a cycle start the next one when it ends. */
export function scheduleCycles(changes: ChangeSet, cycle: () => Promise<void>, debounceMs: number): Scheduler {
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let stopped = false
  const kick = (): void => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      if (running || stopped) return
      running = cycle().finally(() => {
        running = null
        if (!changes.empty && !stopped) kick()
      })
    }, debounceMs)
  }
  return {
    kick,
    stop: async () => {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
    get busy() {
      return running !== null
    },
  }
}
