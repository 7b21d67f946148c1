// Which Python the backend image can install the app's pinned dependencies on. A pinned release without a wheel for the
// image's CPython makes pip compile its sdist, and a Rust or C extension (pydantic-core, psycopg2-binary) then fails in
// the slim image after minutes of docker. PyPI's file lists say beforehand: init picks the newest Python every pin has
// wheels for, and build names the pin that has none before docker runs.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { imagePython, minorAdmitted, type PythonVersion } from './detect-backend.ts'
import { markerMayHold, reachableFromLock } from './python-markers.ts'
import { pythonDeps } from './python-deps.ts'
import { evidence, readText, type Evidence, type Finding } from './source.ts'

/** A release as PyPI's /pypi/<name>/<version>/json gives it, trimmed to the fields used; also what the cache holds. */
export type ReleaseJson = {
  info: { requires_python: string | null; requires_dist: string[] | null }
  urls: { filename: string; packagetype: string; requires_python?: string | null }[]
}
/** an exact version the image installs; via: the pin whose release requires it (pydantic==2.5.0 → pydantic-core) */
export type Pin = { name: string; version: string; from: Evidence; via?: string; markers?: string[] }
/** the build's target: the host's architecture (builds are native), glibc as in the Debian-based python images */
export type Platform = { arch: 'x86_64' | 'aarch64'; glibcMinor: number }

// Debian bookworm's glibc; trixie's is newer, so a wheel bookworm can take installs on both
const GLIBC_MINOR = 36
export const hostPlatform = (arch = os.arch()): Platform => ({
  arch: arch === 'arm64' ? 'aarch64' : 'x86_64',
  glibcMinor: GLIBC_MINOR,
})
export const platformName = (p: Platform): string => `linux ${p.arch}`
/** the oldest Python the kit's backend image supports (backend-docker/Dockerfile) */
const OLDEST_MINOR = 11

const norm = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-')
export const pinLabel = (p: Pin): string => `${p.name} ${p.version}${p.via ? ` (required by ${p.via})` : ''}`

// ---------- what the app pins ----------

/** What uv sync installs from a uv.lock (reachable registry packages), or a poetry.lock's PyPI packages. */
function lockPins(dir: string, file: 'uv.lock' | 'poetry.lock'): Pin[] {
  const text = readText(dir, file)
  if (text === null) return []
  if (file === 'uv.lock')
    return reachableFromLock(text).map((r) => ({ name: r.name, version: r.version, from: evidence(file, text, r.index), markers: r.markers }))
  const out: Pin[] = []
  const starts = [...text.matchAll(/^\[\[package\]\]\s*$/gm)].map((m) => m.index)
  for (const [i, at] of starts.entries()) {
    const block = text.slice(at, starts[i + 1] ?? text.length)
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1]
    const version = /^version\s*=\s*"([^"]+)"/m.exec(block)?.[1]
    if (!name || !version) continue
    // git, path and url sources are not on PyPI; "legacy" is another index with PyPI's names
    if (/^\[package\.source\]/m.test(block) && !/^type\s*=\s*"legacy"/m.test(block)) continue
    out.push({ name: norm(name), version, from: evidence(file, text, at) })
  }
  return out
}

/**
 * The exact versions the backend image installs, from what it installs from (first match, as backend-docker does):
 * uv.lock; else requirements.txt / pyproject `==` pins, or a poetry.lock beside a pyproject. locked: the list is
 * already complete (a lock), else the pins' own exact requirements are followed.
 */
export function appPins(dir: string): { pins: Pin[]; locked: boolean } {
  const uv = lockPins(dir, 'uv.lock')
  if (uv.length) return { pins: uv, locked: true }
  const pins: Pin[] = []
  for (const d of pythonDeps(dir).values()) {
    if (d.from.file === 'uv.lock') continue
    const version = d.version ?? /^===?\s*([\w.!+]+)\s*$/.exec(d.spec)?.[1]
    const marker = /;\s*([^#]+?)\s*\\?\s*(?:#.*)?$/.exec(d.from.text)?.[1]
    if (version && !version.includes('*')) pins.push({ name: d.name, version, from: d.from, markers: marker ? [marker] : undefined })
  }
  if (!readText(dir, 'requirements.txt')) {
    const poetry = lockPins(dir, 'poetry.lock')
    if (poetry.length) return { pins: poetry, locked: true }
  }
  return { pins, locked: false }
}

/** `name==version` of a Requires-Dist entry with no marker (an extra's or another Python's needs are not followed) */
function exactRequirement(req: string): { name: string; version: string } | null {
  const m = /^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*\(?\s*===?\s*([\w.!+]+)\s*\)?\s*$/.exec(req)
  return m ? { name: norm(m[1]!), version: m[2]! } : null
}

// ---------- PyPI data, cached ----------

export type WheelSource = {
  /** where releases are kept: releases never change, so a fetched one is never fetched again */
  cacheDir: string
  /** PyPI's JSON API base (https://pypi.org/pypi) */
  indexUrl: string
  /** the cache only, never the network */
  offline?: boolean
  fetch?: typeof fetch
  timeoutMs?: number
}

/** $KIT_PYPI_URL (a mirror's JSON API) or PyPI; the cache under $XDG_CACHE_HOME/todo-k8s-kit/pypi (~/.cache). */
export function wheelSource(env: NodeJS.ProcessEnv = process.env): WheelSource {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache')
  return {
    cacheDir: path.join(cache, 'todo-k8s-kit', 'pypi'),
    indexUrl: (env.KIT_PYPI_URL || 'https://pypi.org/pypi').replace(/\/+$/, ''),
  }
}

/** data per `name==version`; null: not on the index (a private package): not checked */
export type WheelData = {
  releases: Map<string, ReleaseJson | null>
  pins: Pin[]
  /** why PyPI could not be asked (offline, a timeout); then `missing` lists the pins with no data */
  unreachable: string | null
  missing: Pin[]
}
const key = (name: string, version: string): string => `${norm(name)}==${version}`

class Unreachable extends Error {}

const cacheFile = (src: WheelSource, name: string, version: string): string =>
  path.join(src.cacheDir, norm(name), `${version.replace(/[^\w.!+-]/g, '_')}.json`)

function readCache(src: WheelSource, name: string, version: string): ReleaseJson | null | undefined {
  try {
    const j = JSON.parse(readFileSync(cacheFile(src, name, version), 'utf8')) as ReleaseJson | { notFound: true }
    return 'notFound' in j ? null : j
  } catch {
    return undefined
  }
}

function writeCache(src: WheelSource, name: string, version: string, value: ReleaseJson | null): void {
  const file = cacheFile(src, name, version)
  try {
    mkdirSync(path.dirname(file), { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(value ?? { notFound: true }) + '\n')
    renameSync(tmp, file)
  } catch {
    // a read-only home only costs the next run a fetch
  }
}

type Got = { status: number; json?: unknown; text?: string; url: string }

async function get(src: WheelSource, url: string, as: 'json' | 'text'): Promise<Got> {
  const f = src.fetch ?? fetch
  try {
    const r = await f(url, { signal: AbortSignal.timeout(src.timeoutMs ?? 5000), headers: { accept: 'application/json' } })
    if (r.status === 404) return { status: 404, url }
    if (!r.ok) throw new Unreachable(`${url} answered HTTP ${r.status}`)
    return as === 'json' ? { status: r.status, json: await r.json(), url } : { status: r.status, text: await r.text(), url }
  } catch (e) {
    if (e instanceof Unreachable) throw e
    const err = e as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }
    const code = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.cause?.message
    const why = err.name === 'TimeoutError' ? 'no answer in time' : (code ?? err.message)
    throw new Unreachable(`${new URL(url).host} not reachable (${why})`)
  }
}

type Files = ReleaseJson['urls']
const trimFiles = (list: unknown): Files =>
  (Array.isArray(list) ? list : []).map((f: Record<string, unknown>) => ({
    filename: String(f.filename),
    packagetype: String(f.packagetype),
    requires_python: (f.requires_python as string | null | undefined) ?? null,
  }))

/** One release: the version endpoint, else (a mirror without it) the project's file list and a wheel's metadata. */
async function fetchRelease(src: WheelSource, name: string, version: string, wantDist: boolean): Promise<ReleaseJson | null> {
  const one = await get(src, `${src.indexUrl}/${name}/${version}/json`, 'json')
  if (one.status !== 404) {
    const j = one.json as { info?: { requires_python?: string | null; requires_dist?: string[] | null }; urls?: unknown }
    return {
      info: { requires_python: j.info?.requires_python ?? null, requires_dist: j.info?.requires_dist ?? null },
      urls: trimFiles(j.urls),
    }
  }
  const all = await get(src, `${src.indexUrl}/${name}/json`, 'json')
  if (all.status === 404) return null
  const j = all.json as { info?: { version?: string; requires_dist?: string[] | null }; releases?: Record<string, unknown[]> }
  const raw = j.releases?.[version]
  if (!raw) return null
  const urls = trimFiles(raw)
  let dist: string[] | null = j.info?.version === version ? (j.info.requires_dist ?? null) : null
  const wheel = (raw as { filename?: string; url?: string }[]).find((f) => f.filename?.endsWith('.whl') && f.url)
  if (!dist && wantDist && wheel) {
    // PEP 658: the wheel's METADATA beside it
    const meta = await get(src, `${new URL(wheel.url!, all.url).href}.metadata`, 'text')
    if (meta.text) dist = [...meta.text.matchAll(/^Requires-Dist:\s*(.+?)\s*$/gm)].map((m) => m[1]!)
  }
  return { info: { requires_python: urls.find((u) => u.requires_python)?.requires_python ?? null, requires_dist: dist }, urls }
}

/**
 * The release data of every pin (and, unless locked, of the exact versions their releases require), from the cache
 * first; the first network failure stops all fetching, so an offline run costs one timeout at most.
 */
export async function loadWheelData(app: { pins: Pin[]; locked: boolean }, src: WheelSource): Promise<WheelData> {
  const releases = new Map<string, ReleaseJson | null>()
  const pins: Pin[] = []
  const missing: Pin[] = []
  let unreachable: string | null = src.offline ? 'offline' : null
  const queue = [...app.pins]
  // the app's order, then what they require: fetches finish in any order, the report must not
  const order = new Map(queue.map((p, i) => [key(p.name, p.version), i]))
  const seen = new Set(order.keys())
  const one = async (pin: Pin): Promise<void> => {
    const k = key(pin.name, pin.version)
    let rel = readCache(src, pin.name, pin.version)
    if (rel === undefined) {
      if (unreachable) return void missing.push(pin)
      try {
        rel = await fetchRelease(src, pin.name, pin.version, !app.locked)
        // also without requires_dist (a mirror without the wheel's metadata): offline runs must still decide
        writeCache(src, pin.name, pin.version, rel)
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e
        unreachable ??= e.message
        return void missing.push(pin)
      }
    }
    releases.set(k, rel)
    pins.push(pin)
    if (app.locked || !rel) return
    for (const req of rel.info.requires_dist ?? []) {
      const x = exactRequirement(req)
      if (!x || seen.has(key(x.name, x.version)) || seen.size >= 400) continue
      seen.add(key(x.name, x.version))
      order.set(key(x.name, x.version), order.size)
      queue.push({ ...x, from: pin.from, via: `${pin.name}==${pin.version}` })
    }
  }
  // a few at a time: a lock lists dozens of packages
  while (queue.length) await Promise.all(queue.splice(0, 8).map(one))
  const byOrder = (a: Pin, b: Pin): number => order.get(key(a.name, a.version))! - order.get(key(b.name, b.version))!
  return { releases, pins: pins.sort(byOrder), unreachable, missing: missing.sort(byOrder) }
}

// ---------- the decision ----------

/** How a release installs on CPython 3.<minor>: a wheel, or an sdist pip builds; or why it cannot. */
export type Fit =
  | { ok: true; how: 'wheel' | 'abi3' | 'pure' | 'sdist' | 'not-linux' }
  | { ok: false; why: string }

function platformTagOk(tag: string, p: Platform): boolean {
  if (tag === 'any') return true
  const legacy = { manylinux1: 5, manylinux2010: 12, manylinux2014: 17 } as Record<string, number>
  const old = /^(manylinux1|manylinux2010|manylinux2014)_(\w+)$/.exec(tag)
  if (old) return old[2] === p.arch && legacy[old[1]!]! <= p.glibcMinor
  // musllinux wheels are for Alpine; the python images are Debian (glibc)
  const m = /^manylinux_2_(\d+)_(\w+)$/.exec(tag)
  return Boolean(m && m[2] === p.arch && Number(m[1]) <= p.glibcMinor)
}

/** what a wheel gives CPython 3.<minor> on the platform: null when it does not install there */
function wheelFits(filename: string, minor: number, p: Platform): 'wheel' | 'abi3' | 'pure' | null {
  const parts = filename.replace(/\.whl$/, '').split('-')
  if (parts.length < 5) return null
  const [py, abi, plat] = parts.slice(-3) as [string, string, string]
  if (!plat.split('.').some((t) => platformTagOk(t, p))) return null
  let best: 'wheel' | 'abi3' | 'pure' | null = null
  for (const t of py.split('.'))
    for (const a of abi.split('.')) {
      const cp = /^cp3(\d+)$/.exec(t)
      if (cp && Number(cp[1]) === minor && (a === `cp3${minor}` || a === 'none')) return 'wheel'
      // the stable ABI: built once for its minimum, loads on every newer CPython
      if (cp && Number(cp[1]) <= minor && a === 'abi3') best = 'abi3'
      const pure = /^py3(\d*)$/.exec(t)
      if (pure && a === 'none' && (!pure[1] || Number(pure[1]) <= minor)) best ??= 'pure'
    }
  return best
}

export function releaseFits(rel: ReleaseJson, minor: number, p: Platform): Fit {
  const rp = rel.info.requires_python
  if (rp && !minorAdmitted(rp, minor)) return { ok: false, why: `requires Python ${rp}` }
  const wheels = rel.urls.filter((u) => u.filename.endsWith('.whl'))
  const hows = wheels.map((w) => wheelFits(w.filename, minor, p)).filter((h) => h !== null)
  const how = hows.includes('wheel') ? 'wheel' : hows.includes('abi3') ? 'abi3' : hows[0]
  if (how) return { ok: true, how }
  const sdist = rel.urls.some((u) => u.packagetype === 'sdist')
  const forLinux = wheels.some((w) => /(?:^|[-.])(?:many|musl)?linux|-any$/.test(w.filename.replace(/\.whl$/, '')))
  // no wheel at all: pure Python shipped as an sdist; wheels for Windows or macOS only: pip builds it on Linux
  if (sdist && !forLinux) return { ok: true, how: 'sdist' }
  // wheels for other systems and nothing to build from: a marker keeps it off Linux (pywin32)
  if (!forLinux) return { ok: true, how: 'not-linux' }
  return { ok: false, why: `has no wheel for Python 3.${minor} (${platformName(p)})` }
}

export type Blocker = { pin: Pin; minor: number; why: string }

/** markers: installed only where one of them holds (a requirement's `; python_version < "3.11"`, a lock's paths) */
const installedOn = (pin: Pin, minor: number, p: Platform): boolean =>
  !pin.markers || pin.markers.some((m) => markerMayHold(m, minor, p))

export function blockersFor(data: WheelData, minor: number, p: Platform): Blocker[] {
  const out: Blocker[] = []
  for (const pin of data.pins) {
    const rel = data.releases.get(key(pin.name, pin.version))
    if (!rel || !installedOn(pin, minor, p)) continue
    const fit = releaseFits(rel, minor, p)
    if (!fit.ok) out.push({ pin, minor, why: fit.why })
  }
  return out
}

export type PythonChoice =
  | {
      kind: 'chosen'
      minor: number
      /** the newer candidates and what rules each out */
      skipped: Blocker[][]
      /** pins pip builds from an sdist (no wheels at all) */
      fromSource: Pin[]
      /** pins the index does not have (private packages): not checked */
      unknown: Pin[]
      checked: number
    }
  | { kind: 'none'; skipped: Blocker[][]; checked: number }
  | { kind: 'unavailable'; why: string }

/** The minor versions init may choose: the default's down to the oldest the image supports, within requires-python. */
export function pythonCandidates(defaultImage: string, app: Finding<PythonVersion> | null): number[] {
  const newest = Number((imagePython(defaultImage) ?? '3.13').split('.')[1])
  const all = Array.from({ length: Math.max(0, newest - OLDEST_MINOR + 1) }, (_, i) => newest - i)
  if (!app) return all
  const minor = Number(app.value.version.split('.')[1])
  const file = app.from[0]?.file
  if (file === '.python-version' || file === 'runtime.txt') return [minor]
  const spec = /=\s*"([^"]+)"/.exec(app.from[0]?.text ?? '')?.[1]
  return spec ? all.filter((m) => minorAdmitted(spec, m)) : all.filter((m) => m >= minor)
}

export function choosePython(data: WheelData, candidates: number[], p: Platform): PythonChoice {
  if (data.unreachable && data.missing.length) return { kind: 'unavailable', why: data.unreachable }
  const skipped: Blocker[][] = []
  for (const minor of candidates) {
    const b = blockersFor(data, minor, p)
    if (b.length) {
      skipped.push(b)
      continue
    }
    const fromSource = data.pins.filter((pin) => {
      const rel = installedOn(pin, minor, p) && data.releases.get(key(pin.name, pin.version))
      const fit = rel && releaseFits(rel, minor, p)
      return fit && fit.ok && fit.how === 'sdist'
    })
    const unknown = data.pins.filter((pin) => data.releases.get(key(pin.name, pin.version)) === null)
    return { kind: 'chosen', minor, skipped, fromSource, unknown, checked: data.pins.length - unknown.length }
  }
  return { kind: 'none', skipped, checked: data.pins.length }
}

/** why each newer Python was passed over: "psycopg2-binary 2.9.9 and pydantic-core 2.14.1 have no wheel for Python 3.13 (…)" */
export function skippedText(skipped: Blocker[][]): string {
  const clauses: string[] = []
  for (const list of skipped) {
    const byWhy = new Map<string, Pin[]>()
    for (const b of list) byWhy.set(b.why, [...(byWhy.get(b.why) ?? []), b.pin])
    for (const [why, pins] of byWhy) {
      const names = pins.slice(0, 3).map(pinLabel)
      const more = pins.length > 3 ? ` and ${pins.length - 3} more` : ''
      const who = names.length > 1 && !more ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join(', ') + more
      clauses.push(`${who} ${pins.length > 1 ? why.replace(/^has /, 'have ').replace(/^requires /, 'require ') : why}`)
    }
  }
  return clauses.join('; ')
}

/** PYTHON_IMAGE spelled as the one in use with another minor version (local/python:3.13 → local/python:3.12) */
export function imageWithMinor(image: string, minor: number): string {
  return imagePython(image)
    ? image.replace(/(:(?:[^/:]*?[^\d./:])?)3\.\d+(?!\d)/, (_, tag: string) => `${tag}3.${minor}`)
    : `python:3.${minor}-slim`
}
