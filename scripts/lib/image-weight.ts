// What makes an image heavy, for validate's row when it is over its budget: the largest dependency directories inside
// it (npm/pnpm/yarn packages, Python distributions) and the largest layers the app's Dockerfile added over the base.
import type { Out } from './checks.ts'

/**
 * Lists `<KiB>\t<path>` for every package directory in the image's node_modules and site-packages trees, largest first
 * (five). Runs in a throwaway container (`--network none`, the image's own shell). The base image's own trees (npm in
 * /usr/local/lib/node_modules) are left out; pnpm's store (.pnpm) is listed too, since its top level holds only links.
 */
export const LARGEST_PACKAGES_SCRIPT = [
  'find / -xdev \\( -path /proc -o -path /sys -o -path /usr/local/lib/node_modules \\) -prune -o -type d',
  '\\( -name node_modules -o -name site-packages \\) -print -prune 2>/dev/null',
  '| while read -r d; do du -sk "$d"/* "$d"/@*/* "$d"/.pnpm/* 2>/dev/null; done',
  "| grep -v '/@[^/]*$' | sort -rn | head -n 5",
].join(' ')

export const largestPackagesArgv = (image: string): string[] => [
  'docker',
  'run',
  '--rm',
  '--network',
  'none',
  '--entrypoint',
  'sh',
  image,
  '-c',
  LARGEST_PACKAGES_SCRIPT,
]

const mb = (kib: number): string => `${(kib / 1000).toFixed(kib < 10_000 ? 1 : 0)} MB`

/** A package's name from its directory: `@scope/name` and pnpm's `name@1.2.3` store entries kept readable. */
function packageName(dir: string): string {
  const parts = dir.split('/')
  const last = parts.at(-1) ?? dir
  const parent = parts.at(-2) ?? ''
  if (parent.startsWith('@')) return `${parent}/${last}`
  if (parent === '.pnpm') return last.replace(/\+/g, '/').replace(/_.*$/, '')
  return last
}

/** `du -sk` lines from LARGEST_PACKAGES_SCRIPT -> ["next 98 MB", ...]; none when the command failed or found none. */
export function largestPackages(r: Out | null): string[] {
  if (!r?.ok) return []
  return r.stdout
    .split('\n')
    .map((l) => /^(\d+)\s+(\S.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(0, 5)
    .map((m) => `${packageName(m[2] as string)} ${mb(Number(m[1]))}`)
}

const UNITS: Record<string, number> = { B: 1e-3, kB: 1, KB: 1, MB: 1e3, GB: 1e6 }

/** docker history's human size ("45.6MB", "789kB", "0B") in KB, as docker counts them (powers of 1000). */
function historyKb(size: string): number {
  const m = /^([\d.]+)\s*([kKMG]?B)$/.exec(size.trim())
  return m ? Number(m[1]) * (UNITS[m[2] as string] ?? 0) : 0
}

type HistoryEntry = { CreatedBy?: string; Size?: string }

const entries = (r: Out | null): HistoryEntry[] | null =>
  r?.ok
    ? r.stdout
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as HistoryEntry)
    : null

/** A layer's instruction without BuildKit's build-arg prefix and shell wrapper, short enough for one line. */
function instruction(createdBy: string): string {
  const s = createdBy
    .replace(/^RUN \|\d+(?: \S+=\S*)* /, 'RUN ')
    .replace(/^RUN \/bin\/sh -c /, 'RUN ')
    .replace(/^\/bin\/sh -c (#\(nop\) )?/, '')
    .replace(/ # buildkit$/, '')
    .replace(/\s+/g, ' ')
    .trim()
  return s.length > 48 ? `${s.slice(0, 47)}…` : s
}

/**
 * The five largest layers the image adds over its base: `docker history` lists newest first and ends with the base's
 * own history, so the image's layers are the ones before the base's count.
 */
export function largestLayers(imageHistory: Out | null, baseHistory: Out | null): string[] {
  const img = entries(imageHistory)
  const base = entries(baseHistory)
  if (!img || !base || base.length > img.length) return []
  return img
    .slice(0, img.length - base.length)
    .map((e) => ({ kb: historyKb(e.Size ?? ''), what: instruction(e.CreatedBy ?? '') }))
    .filter((l) => l.kb >= 1000)
    .sort((a, b) => b.kb - a.kb)
    .slice(0, 5)
    .map((l) => `${mb(l.kb)} ${l.what}`)
}
