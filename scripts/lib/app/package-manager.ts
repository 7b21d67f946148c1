// How the frontend image installs the app's dependencies, decided from the app's files before docker runs, so the
// decision is unit-tested, shown by --dry-run (as build args) and warned about before a minute of docker:
//   - the root: the app dir, or the workspace root above it when the app has no lock file of its own and a root with a
//     lock file declares it as a workspace (package.json "workspaces", pnpm-workspace.yaml); never above the .git root
//   - the lock file (when there are several: the one the packageManager field names, else one that matches
//     package.json, pnpm > yarn > bun > npm on a tie) and the manager with its exact version: packageManager, else
//     the lock file's format, narrowed by engines.pnpm/engines.yarn/engines.bun, else those engines; never "latest"
//   - frozen (the lock file as it is) or sync (package.json wins: the lock file drifted, or there is none), with the
//     drifted packages named and the command that brings the lock file up to date
//   - for pnpm >= 10, the dependencies whose build scripts the app already lets run (onlyBuiltDependencies, allowBuilds,
//     requiresBuild in older lock files), since pnpm >= 10 skips every other dependency's build script
// Reads files only; the build args (installArgs) carry the decision into frontend-docker/Dockerfile.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { satisfies } from './semver.ts'

export type Manager = 'npm' | 'pnpm' | 'yarn' | 'bun'
/** LOCKFILE: `auto` installs from a drifted lock file without the frozen flag (and warns); `strict` never does */
export type LockfilePolicy = 'auto' | 'strict'

/**
 * Versions the image installs when the app names only a major (by its lock file format or engines): the newest of
 * each major on the npm registry that installs here. frontend-docker/Dockerfile repeats the ones its own fallback uses
 * (test/kit/package-manager.test.ts keeps them equal).
 */
export const PINNED: Record<Exclude<Manager, 'npm'>, Record<number, string>> = {
  pnpm: { 6: '6.35.1', 7: '7.33.7', 8: '8.15.9', 9: '9.15.9', 10: '10.34.9', 11: '11.29.0', 12: '12.25.1' },
  yarn: { 1: '1.22.22', 2: '2.4.2', 3: '3.8.7', 4: '4.18.1' },
  bun: { 1: '1.3.14' },
}

/** a dependency whose package.json spec and lock file entry differ (null: absent on that side) */
export type Drift = { name: string; packageJson: string | null; lockfile: string | null }
/** one thing the user should know before the build: what happens and why, and the command that changes it */
export type InstallWarning = { cause: string; fix: string }

export type InstallPlan = {
  manager: Manager
  /** exact version the image installs; null for npm (the base image's own npm reads every lock file version) */
  version: string | null
  /** where the version comes from, e.g. `pnpm-lock.yaml lockfileVersion 9.0` */
  versionFrom: string
  /** the build context: the app dir, or the workspace root that holds the lock file */
  root: string
  /** the app inside root, posix, `.` when root is the app */
  appDir: string
  /** the workspace declaration that made root the context (`package.json workspaces`, `pnpm-workspace.yaml`) */
  workspace: string | null
  /** relative to root; null when there is none */
  lockfile: string | null
  /** other lock files in root that the install does not read */
  ignoredLockfiles: string[]
  mode: 'frozen' | 'sync'
  drift: Drift[]
  /** pnpm >= 10: dependencies allowed to run build scripts (empty otherwise) */
  allowBuilds: string[]
  warnings: InstallWarning[]
}

type Pkg = {
  name?: string
  packageManager?: string
  workspaces?: string[] | { packages?: string[] }
  engines?: Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  pnpm?: { onlyBuiltDependencies?: string[] }
}

const LOCKFILES: { file: string; manager: Manager }[] = [
  { file: 'pnpm-lock.yaml', manager: 'pnpm' },
  { file: 'yarn.lock', manager: 'yarn' },
  { file: 'bun.lock', manager: 'bun' },
  { file: 'bun.lockb', manager: 'bun' },
  // npm reads npm-shrinkwrap.json when both are there
  { file: 'npm-shrinkwrap.json', manager: 'npm' },
  { file: 'package-lock.json', manager: 'npm' },
]

const readJson = <T>(file: string): T | null => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return null
  }
}
const readTextFile = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}
const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile()
const toPosix = (p: string): string => p.split(path.sep).join('/')

/** every dependency package.json declares, name -> spec (dependencies, devDependencies, optionalDependencies) */
function declared(pkg: Pkg): Map<string, string> {
  return new Map(
    Object.entries({ ...pkg.devDependencies, ...pkg.dependencies, ...pkg.optionalDependencies }).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  )
}

// ---------- workspaces ----------

/** a workspace glob (`apps/*`, `packages/**`) as a regexp over posix paths */
function globRegExp(glob: string): RegExp {
  let re = ''
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '')
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!
    if (c === '*' && g[i + 1] === '*') {
      // `**/` matches any number of directories, a trailing `**` anything below
      re += g[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += g[i + 2] === '/' ? 2 : 1
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** whether the workspace patterns (npm/yarn/bun `workspaces`, pnpm `packages`; `!` excludes) take in rel */
export function inWorkspace(patterns: string[], rel: string): boolean {
  let inside = false
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globRegExp(p.slice(1)).test(rel)) inside = false
    } else if (globRegExp(p).test(rel)) inside = true
  }
  return inside
}

function workspacePatterns(dir: string): { patterns: string[]; from: string } | null {
  const ws = readTextFile(path.join(dir, 'pnpm-workspace.yaml'))
  if (ws !== null) {
    try {
      const doc = parseYaml(ws) as { packages?: unknown } | null
      if (Array.isArray(doc?.packages)) return { patterns: doc.packages.map(String), from: 'pnpm-workspace.yaml' }
    } catch {
      // a malformed file declares nothing; pnpm says so when it runs
    }
  }
  const pkg = readJson<Pkg>(path.join(dir, 'package.json'))
  const list = Array.isArray(pkg?.workspaces) ? pkg.workspaces : pkg?.workspaces?.packages
  return Array.isArray(list) ? { patterns: list.map(String), from: 'package.json workspaces' } : null
}

/** the package names of a workspace's members (patterns like `apps/*` and `packages/web`; `**` is not expanded) */
function workspaceNames(root: string): Set<string> {
  const names = new Set<string>()
  for (const p of workspacePatterns(root)?.patterns ?? []) {
    if (p.startsWith('!') || p.includes('**')) continue
    const g = p.replace(/^\.\//, '').replace(/\/+$/, '')
    const dirs = g.endsWith('/*')
      ? (() => {
          try {
            return readdirSync(path.join(root, g.slice(0, -2))).map((d) => `${g.slice(0, -2)}/${d}`)
          } catch {
            return []
          }
        })()
      : [g]
    for (const d of dirs) {
      const n = readJson<Pkg>(path.join(root, d, 'package.json'))?.name
      if (n) names.add(n)
    }
  }
  return names
}

const lockfilesIn = (dir: string): typeof LOCKFILES => LOCKFILES.filter((l) => isFile(path.join(dir, l.file)))

/**
 * The build context for an app: the app dir when it has a lock file; else the nearest ancestor, up to the .git root,
 * with a lock file whose workspace declaration takes in the app; else the app dir (installed without a lock file).
 */
export function installRoot(appDir: string): { root: string; appDir: string; workspace: string | null } {
  const app = path.resolve(appDir)
  const self = { root: app, appDir: '.', workspace: null }
  if (lockfilesIn(app).length || existsSync(path.join(app, '.git'))) return self
  for (let dir = path.dirname(app); ; dir = path.dirname(dir)) {
    const ws = lockfilesIn(dir).length ? workspacePatterns(dir) : null
    const rel = toPosix(path.relative(dir, app))
    if (ws && inWorkspace(ws.patterns, rel)) return { root: dir, appDir: rel, workspace: ws.from }
    // a repository's root is as far as its app may reach
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) return self
  }
}

// ---------- lock files: their format and what their root entries say ----------

type LockInfo = {
  /** name -> spec the lock file was written for (null: it records only versions, compare names) */
  specs: Map<string, string | null> | null
  /** the lock file's format, e.g. `lockfileVersion 9.0`, and the manager majors that write it */
  format: string
  majors: number[]
  /** pnpm: packages the lock file marks requiresBuild (lock files before 9.0) */
  requiresBuild: string[]
  /** npm: the version installed for each root dependency (npm ci accepts a changed spec this version satisfies) */
  versions?: Map<string, string>
}

/** a spec the lock file replaced by an override: matches whatever package.json says */
const OVERRIDDEN = '\0overridden'

// pnpm's lock file up to `packages:` holds everything read here; parsing only that keeps a 400 KB file cheap
function pnpmHead(text: string): Record<string, unknown> {
  const cut = text.search(/^(packages|snapshots):/m)
  try {
    return (parseYaml(cut > 0 ? text.slice(0, cut) : text) as Record<string, unknown> | null) ?? {}
  } catch {
    return {}
  }
}

function pnpmLock(text: string, appDir: string): LockInfo {
  const head = pnpmHead(text)
  const v = String(head.lockfileVersion ?? '')
  const major = Number(/^(\d+)/.exec(v)?.[1] ?? 0)
  // 5.3: pnpm 6; 5.4: pnpm 7; 6.0: pnpm 8; 9.0: pnpm 9 and later (9 runs dependencies' build scripts as npm does)
  const majors = major === 5 ? (v === '5.3' ? [6, 7] : [7]) : major === 6 ? [8] : major >= 9 ? [9, 10, 11, 12] : []
  type Importer = { specifiers?: Record<string, string> } & Record<string, unknown>
  const importers = head.importers as Record<string, Importer> | undefined
  const importer: Importer | undefined = importers ? importers[appDir] : (head as Importer)
  let specs: Map<string, string | null> | null = null
  if (importer) {
    specs = new Map()
    if (importer.specifiers) for (const [n, s] of Object.entries(importer.specifiers)) specs.set(n, String(s))
    for (const kind of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const [n, e] of Object.entries((importer[kind] as Record<string, unknown>) ?? {})) {
        if (e && typeof e === 'object' && 'specifier' in e) specs.set(n, String((e as { specifier: unknown }).specifier))
      }
    }
  } else if (importers) specs = new Map() // a workspace lock file without the app: every dependency drifted
  // pnpm records an overridden dependency with the override's spec (`overrides: {esbuild: ^0.25.0}`): read it as the
  // package.json spec it stands for
  const overrides = (head.overrides as Record<string, unknown> | undefined) ?? {}
  if (specs) for (const [n, o] of Object.entries(overrides)) if (specs.get(n) === String(o)) specs.set(n, OVERRIDDEN)
  const requiresBuild = major < 9 ? requiresBuildNames(text) : []
  return { specs, format: `lockfileVersion ${v || '?'}`, majors, requiresBuild }
}

// `/name/1.2.3:` or `/@scope/name@1.2.3:` entries followed (in the same entry) by `requiresBuild: true`
function requiresBuildNames(text: string): string[] {
  const out = new Set<string>()
  let current: string | null = null
  for (const line of text.split('\n')) {
    const key = /^ {2}'?\/?((?:@[^/@\s]+\/)?[^/@\s]+)[/@]\S*?'?:\s*$/.exec(line)
    if (key) current = key[1]!
    else if (/^\S/.test(line)) current = null
    else if (current && /^ {4}requiresBuild: true\s*$/.test(line)) out.add(current)
  }
  return [...out].sort()
}

function npmLock(text: string, appDir: string): LockInfo {
  type Entry = Pkg & { version?: string; link?: boolean }
  type Lock = { lockfileVersion?: number; packages?: Record<string, Entry>; dependencies?: Record<string, Entry> }
  const lock = ((): Lock | null => {
    try {
      return JSON.parse(text) as Lock
    } catch {
      return null
    }
  })()
  const format = `lockfileVersion ${lock?.lockfileVersion ?? '?'}`
  if (!lock) return { specs: null, format, majors: [], requiresBuild: [] }
  const versions = new Map<string, string>()
  if (lock.packages) {
    const packages = lock.packages
    const entry = packages[appDir === '.' ? '' : appDir]
    const specs = new Map<string, string | null>(entry ? declared(entry) : [])
    for (const n of specs.keys()) {
      // where npm puts it: under the app (a workspace member's own copy), else hoisted to the root
      const installed = packages[appDir === '.' ? `node_modules/${n}` : `${appDir}/node_modules/${n}`] ?? packages[`node_modules/${n}`]
      if (installed?.version && !installed.link) versions.set(n, installed.version)
    }
    return { specs, format, majors: [], requiresBuild: [], versions }
  }
  // lockfileVersion 1 records the installed versions only
  for (const [n, e] of Object.entries(lock.dependencies ?? {})) if (e?.version) versions.set(n, e.version)
  return {
    specs: new Map(Object.keys(lock.dependencies ?? {}).map((n) => [n, null])),
    format,
    majors: [],
    requiresBuild: [],
    versions,
  }
}

// yarn: each entry's key lists the descriptors (`name@range`) it resolves; a package.json spec without one is drift
function yarnLock(text: string): LockInfo & { descriptors: Set<string> } {
  const berry = /^__metadata:/m.exec(text)
  const descriptors = new Set<string>()
  for (const line of text.split('\n')) {
    if (!/^\S.*:\s*$/.test(line) || line.startsWith('#') || line.startsWith('__metadata')) continue
    for (const d of line.replace(/:\s*$/, '').split(/,\s*/)) descriptors.add(d.trim().replace(/^"|"$/g, ''))
  }
  if (!berry) return { specs: null, format: 'yarn lockfile v1', majors: [1], requiresBuild: [], descriptors }
  const v = Number(/^__metadata:\s*\n\s+version:\s*(\d+)/m.exec(text)?.[1] ?? 0)
  // __metadata version 4: yarn 2; 5-7: yarn 3; 8 and later: yarn 4
  const majors = v >= 8 ? [4] : v >= 5 ? [3] : [2]
  return { specs: null, format: `__metadata version ${v}`, majors, requiresBuild: [], descriptors }
}

function bunLock(text: string, appDir: string): LockInfo {
  type BunLock = { lockfileVersion?: number; workspaces?: Record<string, Pkg> }
  const lock = ((): BunLock | null => {
    try {
      // bun.lock is JSON with trailing commas
      return JSON.parse(text.replace(/,(\s*[}\]])/g, '$1')) as BunLock
    } catch {
      return null
    }
  })()
  const entry = lock?.workspaces?.[appDir === '.' ? '' : appDir]
  return {
    specs: lock ? new Map(entry ? declared(entry) : []) : null,
    format: `lockfileVersion ${lock?.lockfileVersion ?? '?'}`,
    majors: [1],
    requiresBuild: [],
  }
}

/** the dependencies of one package.json the lock file does not record as written (spec changed, added, removed) */
export function lockDrift(lockfile: string, text: string, pkg: Pkg, appDir = '.', skip: Set<string> = new Set()): Drift[] | null {
  const want = declared(pkg)
  const name = path.basename(lockfile)
  if (name === 'bun.lockb') return null // binary: bun itself checks it
  if (name === 'yarn.lock') {
    const y = yarnLock(text)
    const out: Drift[] = []
    for (const [n, spec] of want) {
      // a sibling workspace has no entry of its own in yarn classic's lock file
      if (skip.has(n) || spec.startsWith('workspace:')) continue
      if (!y.descriptors.has(`${n}@${spec}`) && !y.descriptors.has(`${n}@npm:${spec}`))
        out.push({ name: n, packageJson: spec, lockfile: null })
    }
    return out
  }
  const info =
    name === 'pnpm-lock.yaml' ? pnpmLock(text, appDir) : name === 'bun.lock' ? bunLock(text, appDir) : npmLock(text, appDir)
  if (!info.specs) return null
  const out: Drift[] = []
  for (const [n, spec] of want) {
    if (!info.specs.has(n)) {
      out.push({ name: n, packageJson: spec, lockfile: null })
      continue
    }
    const locked = info.specs.get(n)
    if (locked === OVERRIDDEN || locked === spec) continue
    // npm ci keeps a locked version that satisfies the changed spec (16.4.5 for "16.4.5" where the lock says "^16.4.5")
    const version = info.versions?.get(n)
    const fits = version !== undefined ? satisfies(version, spec) : null
    if (fits === true || (fits === null && locked == null)) continue
    out.push({ name: n, packageJson: spec, lockfile: fits === false && locked == null ? version! : (locked ?? null) })
  }
  // a name only the lock file still has: npm ci, pnpm and bun stop on it as well (yarn classic does not care)
  for (const [n, locked] of info.specs) if (!want.has(n) && locked !== null) out.push({ name: n, packageJson: null, lockfile: locked })
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

function lockFormat(lockfile: string, text: string, appDir: string): LockInfo {
  const name = path.basename(lockfile)
  if (name === 'pnpm-lock.yaml') return pnpmLock(text, appDir)
  if (name === 'yarn.lock') return yarnLock(text)
  if (name === 'bun.lock') return bunLock(text, appDir)
  if (name === 'bun.lockb') return { specs: null, format: 'binary bun.lockb', majors: [1], requiresBuild: [] }
  return npmLock(text, appDir)
}

// ---------- versions ----------

/** `pnpm@9.15.0+sha512.abc` -> { manager: pnpm, version: 9.15.0 }; null for anything else */
export function parsePackageManager(field: unknown): { manager: Manager; version: string } | null {
  if (typeof field !== 'string') return null
  const m = /^(npm|pnpm|yarn|bun)@([^+\s]+)/.exec(field.trim())
  return m ? { manager: m[1] as Manager, version: m[2]! } : null
}

/** an engines range -> an exact version (`9.1.2`), or the lowest major it allows (`^9`, `>=9`, `9.x`) */
function engineVersion(spec: string | undefined): { exact: string } | { major: number } | null {
  if (!spec) return null
  const exact = /^\s*=?\s*v?(\d+\.\d+\.\d+)\s*$/.exec(spec)
  if (exact) return { exact: exact[1]! }
  const m = /(\d+)/.exec(spec)
  return m ? { major: Number(m[1]) } : null
}

function pickVersion(
  manager: Exclude<Manager, 'npm'>,
  lock: { majors: number[]; label: string } | null,
  engines: string | undefined,
): { version: string; from: string } {
  const table = PINNED[manager]
  const known = Object.keys(table).map(Number)
  const newest = Math.max(...known)
  const e = engineVersion(engines)
  const engineLabel = `package.json engines.${manager} "${engines}"`
  if (e && 'exact' in e) return { version: e.exact, from: engineLabel }
  if (lock?.majors.length) {
    // the engines major when the lock file format allows it, else the oldest major that writes this format
    const major = e && 'major' in e && lock.majors.includes(e.major) ? e.major : lock.majors[0]!
    const from = e && 'major' in e && major === e.major ? `${lock.label} and ${engineLabel}` : lock.label
    return { version: table[major] ?? table[newest]!, from }
  }
  if (e && 'major' in e && table[e.major]) return { version: table[e.major]!, from: engineLabel }
  const fallback = manager === 'pnpm' ? 9 : manager === 'yarn' ? 1 : newest
  return { version: table[fallback]!, from: `default for ${manager} (no packageManager, lock file format or engines)` }
}

// ---------- pnpm build approval ----------

/** dependencies the app lets run build scripts under pnpm >= 10, plus those its older lock file marks requiresBuild */
function pnpmAllowBuilds(root: string, requiresBuild: string[]): string[] {
  const out = new Set<string>(requiresBuild)
  const pkg = readJson<Pkg>(path.join(root, 'package.json'))
  for (const n of pkg?.pnpm?.onlyBuiltDependencies ?? []) out.add(String(n))
  const ws = readTextFile(path.join(root, 'pnpm-workspace.yaml'))
  if (ws !== null) {
    try {
      const doc = parseYaml(ws) as { onlyBuiltDependencies?: unknown; allowBuilds?: unknown } | null
      if (Array.isArray(doc?.onlyBuiltDependencies)) for (const n of doc.onlyBuiltDependencies) out.add(String(n))
      if (doc?.allowBuilds && typeof doc.allowBuilds === 'object')
        for (const [n, ok] of Object.entries(doc.allowBuilds)) if (ok === true) out.add(n)
    } catch {
      // pnpm reports a malformed file itself
    }
  }
  return [...out].filter((n) => /^(@[\w.-]+\/)?[\w.-]+$/.test(n)).sort()
}

// ---------- the decision ----------

const INSTALL_CMD: Record<Manager, string> = {
  npm: 'npm install',
  pnpm: 'pnpm install',
  yarn: 'yarn install',
  bun: 'bun install',
}
const FROZEN_CMD: Record<Manager, string> = {
  npm: 'npm ci',
  pnpm: 'pnpm install --frozen-lockfile',
  yarn: 'yarn install --frozen-lockfile',
  bun: 'bun install --frozen-lockfile',
}
const DEFAULT_LOCKFILE: Record<Manager, string> = {
  npm: 'package-lock.json',
  pnpm: 'pnpm-lock.yaml',
  yarn: 'yarn.lock',
  bun: 'bun.lock',
}

export type PlanOptions = {
  policy?: LockfilePolicy
  /** how paths appear in warnings (default: as they are) */
  show?: (abs: string) => string
}

/** How the image installs the Next.js app in `appDir`; null when it has no readable package.json. */
export function installPlan(appDir: string, o: PlanOptions = {}): InstallPlan | null {
  const show = o.show ?? ((p: string) => p)
  const policy = o.policy ?? 'auto'
  const app = path.resolve(appDir)
  const appPkg = readJson<Pkg>(path.join(app, 'package.json'))
  if (!appPkg) return null
  const { root, appDir: rel, workspace } = installRoot(app)
  const rootPkg = rel === '.' ? appPkg : (readJson<Pkg>(path.join(root, 'package.json')) ?? {})
  const warnings: InstallWarning[] = []
  const at = (f: string): string => show(path.join(root, f))
  const cdFix = (cmd: string): string => `cd ${show(root)} && ${cmd}`

  // packageManager is read where corepack reads it: the root package.json (the app's own, outside a workspace)
  const pinned = parsePackageManager(rootPkg.packageManager) ?? parsePackageManager(appPkg.packageManager)
  const present = lockfilesIn(root)
  const texts = new Map(present.map((l) => [l.file, l.file === 'bun.lockb' ? '' : (readTextFile(path.join(root, l.file)) ?? '')]))
  // sibling workspaces: yarn classic's lock file has no entry for them
  const siblings = rel === '.' ? new Set<string>() : workspaceNames(root)
  const driftOf = (file: string): Drift[] | null => {
    const text = texts.get(file) ?? ''
    const own = lockDrift(file, text, appPkg, rel, siblings)
    if (rel === '.' || own === null) return own
    const top = lockDrift(file, text, rootPkg, '.', siblings)
    return [...own, ...(top ?? [])]
  }

  let chosen: (typeof LOCKFILES)[number] | null = null
  let drift: Drift[] = []
  let why = ''
  if (pinned) {
    chosen = present.find((l) => l.manager === pinned.manager) ?? null
    drift = chosen ? (driftOf(chosen.file) ?? []) : []
  } else if (present.length) {
    const scored = present.map((l) => ({ l, drift: driftOf(l.file) }))
    const inSync = scored.filter((s) => (s.drift ?? []).length === 0)
    const pick = inSync[0] ?? scored[0]!
    chosen = pick.l
    drift = pick.drift ?? []
    if (present.length > 1)
      why =
        inSync.length === 1
          ? ' (the one that matches package.json)'
          : inSync.length
            ? ` (${chosen.manager} first when several match package.json)`
            : ` (none matches package.json; ${chosen.manager} first)`
  }
  // npm-shrinkwrap.json wins over package-lock.json for npm itself: never report it as ignored
  const ignored = present
    .filter((l) => l !== chosen && !(chosen?.manager === 'npm' && l.manager === 'npm'))
    .map((l) => l.file)
  // nothing else says: engines naming one manager (`"engines": {"pnpm": ">=9"}`) does
  const engineNames = (['pnpm', 'yarn', 'bun'] as const).filter((m) => rootPkg.engines?.[m] ?? appPkg.engines?.[m])
  const manager: Manager = pinned?.manager ?? chosen?.manager ?? (engineNames.length === 1 ? engineNames[0]! : 'npm')

  if (ignored.length) {
    const used = chosen ? chosen.file : `${manager} (packageManager)`
    warnings.push({
      cause: `${show(root)} has ${[chosen?.file, ...ignored].filter(Boolean).join(' and ')}: the image installs with ${used}${pinned ? ' as package.json packageManager says' : why} and ignores ${ignored.join(', ')}`,
      fix: `delete the lock file of the manager the app does not use, or set "packageManager" in package.json`,
    })
  }

  // the version
  let version: string | null = null
  let versionFrom: string
  const text = chosen ? (texts.get(chosen.file) ?? '') : ''
  const info = chosen ? lockFormat(chosen.file, text, rel) : null
  if (manager === 'npm') versionFrom = `the base image's npm${chosen ? ` (${chosen.file} ${info?.format ?? ''})` : ''}`
  else if (pinned) {
    version = pinned.version
    versionFrom = `package.json packageManager "${rootPkg.packageManager ?? appPkg.packageManager}"`
  } else {
    const yarnPath = manager === 'yarn' ? yarnRelease(root) : null
    const picked = yarnPath
      ? { version: yarnPath.version, from: `.yarnrc.yml yarnPath ${yarnPath.path}` }
      : pickVersion(
          manager,
          info && chosen ? { majors: info.majors, label: `${chosen.file} ${info.format}` } : null,
          rootPkg.engines?.[manager] ?? appPkg.engines?.[manager],
        )
    version = picked.version
    versionFrom = picked.from
  }

  // frozen or not
  const fixCmd = cdFix(`${INSTALL_CMD[manager]}, then commit ${chosen?.file ?? DEFAULT_LOCKFILE[manager]}`)
  let mode: 'frozen' | 'sync' = 'frozen'
  if (!chosen) {
    if (policy === 'strict') {
      warnings.push({
        cause: `no lock file in ${show(root)} and FRONTEND_LOCKFILE=strict: the image's install stops (it installs only from a lock file)`,
        fix: fixCmd,
      })
    } else {
      mode = 'sync'
      warnings.push({
        cause: `no lock file in ${show(root)}: the image installs the newest versions package.json allows (${INSTALL_CMD[manager]}), which may not be the ones the app was tested with`,
        fix: fixCmd,
      })
    }
  } else if (drift.length) {
    const shown = drift.slice(0, 6).map(describeDrift).join(', ')
    const more = drift.length > 6 ? ` and ${drift.length - 6} more` : ''
    const what = `${at(chosen.file)} does not match package.json (${shown}${more})`
    if (policy === 'strict')
      warnings.push({ cause: `${what}; FRONTEND_LOCKFILE=strict keeps ${FROZEN_CMD[manager]}, which stops on this`, fix: fixCmd })
    else {
      mode = 'sync'
      warnings.push({
        cause: `${what}: the image installs with ${INSTALL_CMD[manager]} instead of ${FROZEN_CMD[manager]}, so versions may differ from the lock file`,
        fix: `${fixCmd}   (or FRONTEND_LOCKFILE=strict to stop on a stale lock file)`,
      })
    }
  }

  const major = Number(/^(\d+)/.exec(version ?? '')?.[1] ?? 0)
  const allowBuilds = manager === 'pnpm' && major >= 10 ? pnpmAllowBuilds(root, info?.requiresBuild ?? []) : []
  return {
    manager,
    version,
    versionFrom,
    root,
    appDir: rel,
    workspace,
    lockfile: chosen?.file ?? null,
    ignoredLockfiles: ignored,
    mode,
    drift,
    allowBuilds,
    warnings,
  }
}

function describeDrift(d: Drift): string {
  if (d.lockfile === null) return `${d.name} ${d.packageJson} not in the lock file`
  if (d.packageJson === null) return `${d.name} only in the lock file`
  return `${d.name} ${d.packageJson} vs ${d.lockfile} locked`
}

/** yarn berry's committed release (.yarnrc.yml `yarnPath: .yarn/releases/yarn-4.5.0.cjs`): the version it runs */
function yarnRelease(root: string): { path: string; version: string } | null {
  const rc = readTextFile(path.join(root, '.yarnrc.yml'))
  const m = rc && /^yarnPath:\s*["']?([^"'\n]+?)["']?\s*$/m.exec(rc)
  const v = m && /yarn-(\d+\.\d+\.\d+)\.c?js$/.exec(m[1]!)
  return m && v ? { path: m[1]!, version: v[1]! } : null
}

/** The decision as frontend-docker/Dockerfile's build args (only those with something to say). */
export function installArgs(p: InstallPlan): Record<string, string> {
  return {
    PACKAGE_MANAGER: p.version ? `${p.manager}@${p.version}` : p.manager,
    INSTALL_MODE: p.mode,
    ...(p.appDir !== '.' ? { APP_DIR: p.appDir } : {}),
    ...(p.allowBuilds.length ? { PNPM_ALLOW_BUILDS: p.allowBuilds.join(' ') } : {}),
  }
}
