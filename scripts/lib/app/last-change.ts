// When a directory last changed in git: the time the app's author last worked on it, so a backend without a lock file
// can install the versions its ranges allowed then (BACKEND_DEPS_AS_OF) instead of today's.
import { execFileSync } from 'node:child_process'

export type LastChange = { time: string; commit: string }

/** the committer time (UTC, RFC 3339) and short hash of the newest commit touching dir; null outside a git work tree */
export function lastChange(dir: string): LastChange | null {
  try {
    const out = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%ct %h', '--', '.'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim()
    const [seconds, commit] = out.split(' ')
    if (!seconds || !commit) return null
    return { time: new Date(Number(seconds) * 1000).toISOString().replace(/\.000Z$/, 'Z'), commit }
  } catch {
    return null
  }
}
