// What a Python app installs, from the files the backend image installs from: uv.lock (exact versions),
// requirements.txt (pins or ranges), pyproject.toml ([project] dependencies, [tool.poetry.dependencies]).
import { evidence, readText, type Evidence } from './source.ts'

export type Dep = { name: string; spec: string; version: string | null; from: Evidence }

const norm = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-')
// "sqlalchemy[asyncio]>=2.0 ; python_version > '3'" → name, spec
const REQ = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*)/

type Add = (name: string, spec: string, version: string | null, from: Evidence) => void

function requirementsFile(text: string, file: string, add: Add): void {
  let offset = 0
  for (const line of text.split('\n')) {
    const m = /^\s*[-#]/.test(line) || !line.trim() ? null : REQ.exec(line)
    if (m) add(m[1]!, m[2]!, /^==\s*([\w.]+)/.exec(m[2]!.trim())?.[1] ?? null, evidence(file, text, offset))
    offset += line.length + 1
  }
}

function projectDependencies(py: string, add: Add): void {
  // the array's items are quoted strings (with extras' brackets inside: "uvicorn[standard]") and comments
  const block = /^\s*dependencies\s*=\s*\[((?:\s+|"[^"\n]*"|'[^'\n]*'|,|#[^\n]*)*)\]/m.exec(sectionBody(py, 'project') ?? '')
  if (!block) return
  const start = py.indexOf(block[0])
  for (const m of block[1]!.matchAll(/["']([^"']+)["']/g)) {
    const r = REQ.exec(m[1]!)
    if (r) add(r[1]!, r[2]!, null, evidence('pyproject.toml', py, start + block[0].indexOf(m[0])))
  }
}

export function pythonDeps(dir: string): Map<string, Dep> {
  const deps = new Map<string, Dep>()
  const add: Add = (name, spec, version, from) => {
    const key = norm(name)
    const old = deps.get(key)
    // a lock's exact version beats a declared range
    if (!old || (version && !old.version)) deps.set(key, { name: key, spec: spec.trim(), version, from })
  }
  for (const file of ['requirements.txt', 'requirements/base.txt', 'requirements/prod.txt']) {
    const text = readText(dir, file)
    if (text !== null) requirementsFile(text, file, add)
  }
  const py = readText(dir, 'pyproject.toml')
  if (py !== null) {
    projectDependencies(py, add)
    const poetry = sectionBody(py, 'tool.poetry.dependencies')
    if (poetry !== null) {
      const start = py.indexOf(poetry)
      for (const m of poetry.matchAll(/^[ \t]*([A-Za-z0-9][\w.-]*)\s*=\s*(?:"([^"]*)"|\{[^}]*version\s*=\s*"([^"]*)")/gm)) {
        if (norm(m[1]!) !== 'python') add(m[1]!, m[2] ?? m[3] ?? '', null, evidence('pyproject.toml', py, start + m.index))
      }
    }
  }
  const lock = readText(dir, 'uv.lock')
  if (lock !== null) uvLockPackages(lock, add)
  return deps
}

function uvLockPackages(lock: string, add: Add): void {
  for (const m of lock.matchAll(/^\[\[package\]\]\s*\nname\s*=\s*"([^"]+)"\s*\nversion\s*=\s*"([^"]+)"/gm)) add(m[1]!, `==${m[2]}`, m[2]!, evidence('uv.lock', lock, m.index))
}

/**
 * The packages one file declares, by normalized name, in the file's order: requirements.txt's lines, pyproject.toml's
 * [project] dependencies, or the packages a uv.lock pins. Empty when the file is missing or declares none.
 */
export function declaredIn(dir: string, file: 'requirements.txt' | 'pyproject.toml' | 'uv.lock'): string[] {
  const text = readText(dir, file)
  const names: string[] = []
  const add: Add = (name) => {
    if (!names.includes(norm(name))) names.push(norm(name))
  }
  if (text === null) return names
  if (file === 'requirements.txt') requirementsFile(text, file, add)
  else if (file === 'uv.lock') uvLockPackages(text, add)
  else projectDependencies(text, add)
  return names
}

/** The body of a [section] of a TOML file (up to the next [header]), or null. */
export function sectionBody(toml: string, name: string): string | null {
  const re = new RegExp(`^\\[${name.replace(/\./g, '\\.')}\\]\\s*$`, 'm')
  const m = re.exec(toml)
  if (!m) return null
  const rest = toml.slice(m.index + m[0].length)
  const next = /^\[/m.exec(rest)
  return next ? rest.slice(0, next.index) : rest
}

export function majorOf(dep: Dep): number | null {
  if (dep.version) return Number(dep.version.split('.')[0])
  const m = /(?:==|~=|>=|\^|~)\s*(\d+)/.exec(dep.spec)
  return m ? Number(m[1]) : null
}
