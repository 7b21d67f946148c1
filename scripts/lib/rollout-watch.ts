// Looks at the release's pods while `helm upgrade --wait` runs: helm's rollback deletes the failed pods before it
// returns, so what went wrong must be seen during the wait. With --fail-fast it also ends the wait early.
import type { Ctx } from './stage.ts'
import { collectDiagnosis, diagnosisLines, settledFailure, type Finding } from './diagnose.ts'
import { elapsed } from './log.ts'

export type RolloutWatch = {
  /** aborted when a failure has settled (--fail-fast): helm is interrupted and rolls back, as on its own timeout */
  signal: AbortSignal
  /** the last diagnosis that showed a pod not ready (empty when none did) */
  lastFailing(): string[]
  /** `<pod>: <why>` when --fail-fast gave up on a pod, else '' */
  gaveUpOn(): string
  stop(): void
}

export function watchRollout(ctx: Ctx, o: { failFast: boolean }): RolloutWatch {
  const giveUp = new AbortController()
  let watching = !ctx.dryRun
  let failing: string[] = []
  let gaveUpOn = ''
  const started = Date.now()
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref())
  // a condition the kubelet clears by itself (a config map cache not synced yet) is not given up on: only a failure
  // seen on two looks in a row, 3 s apart, is settled
  let settledBefore = new Set<string>()
  const settledNow = (findings: Finding[]): Finding | undefined => {
    const now = findings.filter(settledFailure)
    const key = (f: Finding): string => `${f.object}|${f.kind}`
    const settled = now.find((f) => settledBefore.has(key(f)))
    settledBefore = new Set(now.map(key))
    return settled
  }

  void (async () => {
    // helm needs some seconds to create the pods; without --fail-fast there is no hurry
    await pause(o.failFast ? 3_000 : 15_000)
    while (watching) {
      const seen = await collectDiagnosis(ctx).catch(() => null)
      if (!watching) break
      const lines = seen ? diagnosisLines(ctx, seen.diagnosis, seen.errors) : []
      if (lines.some((l) => l.includes('✗'))) failing = lines
      const settled = o.failFast ? settledNow(seen?.diagnosis.findings ?? []) : undefined
      if (settled) {
        gaveUpOn = `${settled.object}: ${settled.message}`
        giveUp.abort()
        break
      }
      // CI logs have no spinner: say something while helm waits
      if (!process.stderr.isTTY) {
        const count = (mark: string): number => lines.filter((l) => l.trim().startsWith(mark)).length
        ctx.log.detail(`still waiting (${elapsed(started)}): ${count('✓')} pod(s) ready, ${count('✗')} not yet`)
      }
      await pause(o.failFast ? 3_000 : 10_000)
    }
  })()

  return {
    signal: giveUp.signal,
    lastFailing: () => failing,
    gaveUpOn: () => gaveUpOn,
    stop: () => {
      watching = false
    },
  }
}
