// Whether a version satisfies an npm range, as npm ci decides whether package-lock.json still fits package.json (a
// locked 16.4.5 fits "16.4.5" and "^16.4.5" alike). The ranges package.json files use: exact, x-ranges, ^, ~, <, <=,
// >, >=, hyphen ranges and ||, with node-semver's rule that a prerelease only matches a comparator of the same
// major.minor.patch that has a prerelease itself. Not a semver range (a tag, git, file:, npm: alias, url): null.

type Version = { major: number; minor: number; patch: number; pre: string[] }
type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; v: Version }

const NUM = /^\d+$/

function parseVersion(s: string): Version | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s.trim())
  return m ? { major: +m[1]!, minor: +m[2]!, patch: +m[3]!, pre: m[4] ? m[4].split('.') : [] } : null
}

function compare(a: Version, b: Version): number {
  const main = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (main) return Math.sign(main)
  if (!a.pre.length || !b.pre.length) return a.pre.length ? -1 : b.pre.length ? 1 : 0
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]
    const y = b.pre[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    if (x === y) continue
    if (NUM.test(x) && NUM.test(y)) return Math.sign(+x - +y)
    if (NUM.test(x)) return -1
    if (NUM.test(y)) return 1
    return x < y ? -1 : 1
  }
  return 0
}

const v = (major: number, minor: number, patch: number, pre: string[] = []): Version => ({ major, minor, patch, pre })
// the lowest version of a release line: `<2.0.0-0` keeps 2.0.0's prereleases out, as node-semver does
const floor = (major: number, minor: number, patch: number): Version => v(major, minor, patch, ['0'])

/** one comparator token (`^1.2`, `>=3`, `1.x`, `~0.4.1`) as the comparators it stands for; null when it is none */
function token(t: string): Comparator[] | null {
  const m = /^(<=|>=|<|>|=|\^|~>?)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+\S+)?$/.exec(t)
  if (!m) return null
  const op = m[1] ?? ''
  const wild = (x: string | undefined): boolean => x === undefined || /^[xX*]$/.test(x)
  if (wild(m[2])) return op === '<' || op === '>' ? [{ op: '<', v: floor(0, 0, 0) }] : []
  const M = +m[2]!
  const mi = wild(m[3]) ? null : +m[3]!
  const p = mi === null || wild(m[4]) ? null : +m[4]!
  const pre = m[5] ? m[5].split('.') : []
  const low = v(M, mi ?? 0, p ?? 0, pre)
  // the first version past a partial one: 1 -> 2.0.0, 1.2 -> 1.3.0
  const next = mi === null ? floor(M + 1, 0, 0) : floor(M, mi + 1, 0)
  switch (op) {
    case '^': {
      const up = M > 0 || mi === null ? floor(M + 1, 0, 0) : mi > 0 || p === null ? floor(0, mi + 1, 0) : floor(0, 0, p + 1)
      return [
        { op: '>=', v: low },
        { op: '<', v: up },
      ]
    }
    case '~':
    case '~>':
      return [
        { op: '>=', v: low },
        { op: '<', v: mi === null ? floor(M + 1, 0, 0) : floor(M, mi + 1, 0) },
      ]
    case '>':
      return p === null ? [{ op: '>=', v: next }] : [{ op: '>', v: low }]
    case '>=':
      return [{ op: '>=', v: low }]
    case '<':
      return [{ op: '<', v: p === null ? floor(M, mi ?? 0, 0) : low }]
    case '<=':
      return p === null ? [{ op: '<', v: next }] : [{ op: '<=', v: low }]
    default:
      return p === null
        ? [
            { op: '>=', v: low },
            { op: '<', v: next },
          ]
        : [{ op: '=', v: low }]
  }
}

function comparators(set: string): Comparator[] | null {
  const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(set)
  if (hyphen) {
    const lo = token(`>=${hyphen[1]!}`)
    const hi = token(`<=${hyphen[2]!}`)
    return lo && hi ? [...lo, ...hi] : null
  }
  const out: Comparator[] = []
  for (const t of set.trim().replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1').split(/\s+/)) {
    if (!t) continue
    const c = token(t)
    if (!c) return null
    out.push(...c)
  }
  return out
}

const holds = (c: Comparator, x: Version): boolean => {
  const r = compare(x, c.v)
  return c.op === '<' ? r < 0 : c.op === '<=' ? r <= 0 : c.op === '>' ? r > 0 : c.op === '>=' ? r >= 0 : r === 0
}

/** whether `version` satisfies the npm range; null when either is not semver (`latest`, `github:x/y`, `file:../ui`) */
export function satisfies(version: string, range: string): boolean | null {
  const x = parseVersion(version)
  if (!x) return null
  const sets = range.split('||').map(comparators)
  if (sets.some((s) => s === null)) return null
  return sets.some((set) => {
    if (!set!.every((c) => holds(c, x))) return false
    if (!x.pre.length) return true
    // a prerelease only where the range names one of the same release
    return set!.some(
      (c) =>
        c.v.pre.length > 0 &&
        !(c.v.pre.length === 1 && c.v.pre[0] === '0' && c.op === '<') &&
        c.v.major === x.major &&
        c.v.minor === x.minor &&
        c.v.patch === x.patch,
    )
  })
}
