// Which locked packages the backend image installs on a given Python: a uv.lock lists every package any Python or
// platform in the project's range needs (backports for 3.9, pywin32 for Windows, the dev tools), and uv sync
// --no-dev installs only those the project's dependencies reach with markers that hold. Judging the wheels of the
// others would refuse apps that build fine.
import type { Platform } from './python-wheels.ts'

/** a package the image may install, and the markers of the paths that reach it (none: installed everywhere) */
export type Reached = { name: string; version: string; index: number; markers?: string[] }

type Ref = { name: string; version?: string; marker?: string; extras: string[] }
type LockPackage = {
  name: string
  version: string
  index: number
  source: string
  deps: Ref[]
  extras: Map<string, Ref[]>
  only?: string
}

const refs = (body: string): Ref[] =>
  [...body.matchAll(/\{\s*name\s*=\s*"([^"]+)"([^}]*)\}/g)].map((m) => ({
    name: m[1]!.toLowerCase().replace(/[-_.]+/g, '-'),
    version: /version\s*=\s*"([^"]+)"/.exec(m[2]!)?.[1],
    marker: /marker\s*=\s*"([^"]+)"/.exec(m[2]!)?.[1],
    extras: [.../extra\s*=\s*\[([^\]]*)\]/.exec(m[2]!)?.[1]?.matchAll(/"([^"]+)"/g) ?? []].map((x) => x[1]!),
  }))

/** the inside of `key = [ … ]`: uv writes one entry a line and the closing bracket alone, or all on one line */
function arrayBody(text: string, key: string): string {
  const k = key.replace(/[.-]/g, '\\$&')
  return (
    new RegExp(`^${k}\\s*=\\s*\\[\\s*\\n([\\s\\S]*?)^\\]`, 'm').exec(text)?.[1] ??
    new RegExp(`^${k}\\s*=\\s*\\[(.*)\\]\\s*$`, 'm').exec(text)?.[1] ??
    ''
  )
}

function parseLock(text: string): LockPackage[] {
  const starts = [...text.matchAll(/^\[\[package\]\]\s*$/gm)].map((m) => m.index)
  return starts.flatMap((at, i) => {
    const block = text.slice(at, starts[i + 1] ?? text.length)
    const main = block.split(/^\[package\./m)[0]!
    const name = /^name\s*=\s*"([^"]+)"/m.exec(main)?.[1]
    const version = /^version\s*=\s*"([^"]+)"/m.exec(main)?.[1]
    if (!name || !version) return []
    const extras = new Map<string, Ref[]>()
    const opt = /^\[package\.optional-dependencies\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(block)?.[1] ?? ''
    for (const m of opt.matchAll(/^([\w.-]+)\s*=/gm)) extras.set(m[1]!, refs(arrayBody(opt, m[1]!)))
    // a version locked for some Pythons only (uv's forks)
    const only = arrayBody(main, 'resolution-markers')
    const onlyAny = only ? [...only.matchAll(/"([^"]+)"/g)].map((m) => `(${m[1]})`).join(' or ') : undefined
    return [
      {
        name: name.toLowerCase().replace(/[-_.]+/g, '-'),
        version,
        index: at,
        source: /^source\s*=\s*\{\s*(\w+)/m.exec(main)?.[1] ?? '',
        deps: refs(arrayBody(main, 'dependencies')),
        extras,
        only: onlyAny,
      },
    ]
  })
}

const and = (a?: string, b?: string): string | undefined => (a && b ? `(${a}) and (${b})` : (a ?? b))

/**
 * The registry packages of a uv.lock that the project's own dependencies reach (dev groups left out, as
 * uv sync --no-dev does), each with the markers on the way; every registry package when the lock names no project.
 */
export function reachableFromLock(text: string): Reached[] {
  const all = parseLock(text)
  const roots = all.filter((p) => p.source === 'virtual' || p.source === 'editable' || p.source === 'directory')
  const registry = (p: LockPackage): boolean => p.source === 'registry'
  if (!roots.length) return all.filter(registry).map((p) => ({ name: p.name, version: p.version, index: p.index }))
  const out = new Map<LockPackage, Set<string> | 'always'>()
  const seen = new Set<string>()
  const find = (r: Ref): LockPackage | undefined =>
    all.find((p) => p.name === r.name && (!r.version || p.version === r.version))
  const visit = (p: LockPackage, marker: string | undefined, extras: string[]): void => {
    const m = and(marker, p.only)
    const id = `${p.name}==${p.version}|${m ?? ''}|${extras.join(',')}`
    if (seen.has(id) || seen.size > 20_000) return
    seen.add(id)
    const prev = out.get(p)
    if (m === undefined) out.set(p, 'always')
    else if (prev !== 'always') out.set(p, (prev ?? new Set()).add(m))
    for (const r of [...p.deps, ...extras.flatMap((e) => p.extras.get(e) ?? [])]) {
      const child = find(r)
      if (child) visit(child, and(m, r.marker), r.extras)
    }
  }
  for (const r of roots) visit(r, undefined, [])
  return [...out]
    .filter(([p]) => registry(p))
    .map(([p, how]) => ({ name: p.name, version: p.version, index: p.index, markers: how === 'always' ? undefined : [...how] }))
}

// ---------- PEP 508 markers, as far as a Python version and a platform decide them ----------

const cmpVersion = (a: string, b: string): number => {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

function compare(have: string, op: string, want: string, version: boolean): boolean {
  if (want.endsWith('.*') && (op === '==' || op === '!=')) {
    const hit = `${have}.`.startsWith(want.slice(0, -1))
    return op === '==' ? hit : !hit
  }
  const c = version ? cmpVersion(have, want) : have === want ? 0 : NaN
  switch (op) {
    case '==':
    case '===':
      return c === 0
    case '!=':
      return c !== 0
    case '<':
      return c < 0
    case '<=':
      return c <= 0
    case '>':
      return c > 0
    case '>=':
      return c >= 0
    case '~=':
      return c >= 0
  }
  return true
}

/**
 * Whether a marker may hold on CPython 3.<minor> (any patch release) on Linux with the platform's architecture. What
 * it cannot decide (an extra, a platform_release) counts as holding, so the package is checked rather than skipped.
 */
export function markerMayHold(marker: string, minor: number, p: Platform): boolean {
  const env: Record<string, string> = {
    sys_platform: 'linux',
    platform_system: 'Linux',
    os_name: 'posix',
    platform_machine: p.arch,
    implementation_name: 'cpython',
    platform_python_implementation: 'CPython',
  }
  const tokens = marker.match(/\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|\bnot\s+in\b|\bin\b|\band\b|\bor\b|[\w.]+/g) ?? []
  let i = 0
  const atom = (): boolean => {
    if (tokens[i] === '(') {
      i++
      const v = orExpr()
      i++ // )
      return v
    }
    const [l, op, r] = [tokens[i++] ?? '', tokens[i++] ?? '', tokens[i++] ?? '']
    const quoted = (t: string): string | null => (/^['"]/.test(t) ? t.slice(1, -1) : null)
    const variable = quoted(l) === null ? l : r
    const value = quoted(l) ?? quoted(r) ?? ''
    const flip = quoted(l) !== null
    if (variable === 'python_version' || variable === 'python_full_version') {
      // some patch release meets it: the first or the last of the minor
      const patches = variable === 'python_version' ? [`3.${minor}`] : [`3.${minor}.0`, `3.${minor}.99`]
      return patches.some((v) => (flip ? compare(value, op, v, true) : compare(v, op, value, true)))
    }
    if (!(variable in env) || /in$/.test(op)) return true
    return flip ? compare(value, op, env[variable]!, false) : compare(env[variable]!, op, value, false)
  }
  const andExpr = (): boolean => {
    let v = atom()
    while (tokens[i] === 'and') (i++, (v = atom() && v))
    return v
  }
  const orExpr = (): boolean => {
    let v = andExpr()
    while (tokens[i] === 'or') (i++, (v = andExpr() || v))
    return v
  }
  try {
    return orExpr()
  } catch {
    return true
  }
}
