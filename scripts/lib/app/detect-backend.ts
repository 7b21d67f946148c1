// What a FastAPI backend declares about how it is built and started: its Python version, dependency manager,
// ASGI app and port. Each finding carries the file:line that decided it; null (or an empty list) means "not declared".
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { declaredIn, sectionBody } from './python-deps.ts'
import { evidence, matches, readText, sourceFiles, type Evidence, type Finding } from './source.ts'

export const PYTHON_MARKERS = ['pyproject.toml', 'requirements.txt', 'uv.lock', 'setup.py', 'Pipfile'] as const
export const isPythonApp = (dir: string): boolean => PYTHON_MARKERS.some((f) => existsSync(path.join(dir, f)))

/** X.Y, and whether it is the exact version to use or only a lower bound */
export type PythonVersion = { version: string; exact: boolean }

export function pythonVersion(dir: string): Finding<PythonVersion> | null {
  const pv = readText(dir, '.python-version')
  const m1 = pv && /^[ \t]*(?:cpython-|python-?)?(3\.\d+)/m.exec(pv)
  if (pv && m1) return { value: { version: m1[1]!, exact: true }, from: [evidence('.python-version', pv, m1.index + m1[0].indexOf('3'))] }
  const rt = readText(dir, 'runtime.txt')
  const m2 = rt && /python-(3\.\d+)/.exec(rt)
  if (rt && m2) return { value: { version: m2[1]!, exact: true }, from: [evidence('runtime.txt', rt, m2.index)] }
  for (const file of ['pyproject.toml', 'uv.lock']) {
    const text = readText(dir, file)
    const m = text && /^[ \t]*(?:requires-python|python)\s*=\s*"([^"]+)"/m.exec(text)
    if (!text || !m) continue
    const spec = m[1]!
    const from = [evidence(file, text, m.index)]
    // ==3.11.*, ~=3.11, ^3.11 (poetry) pin the minor; a range with an upper bound takes the newest below it
    const pin = /(?:==|~=|\^|~)\s*(3\.\d+)/.exec(spec)
    if (pin && !/,/.test(spec)) return { value: { version: pin[1]!, exact: true }, from }
    const upper = /<\s*(3)\.(\d+)/.exec(spec)
    if (upper) return { value: { version: `3.${Number(upper[2]) - (/<=/.test(spec) ? 0 : 1)}`, exact: true }, from }
    const lower = />=?\s*(3\.\d+)/.exec(spec)
    if (lower) return { value: { version: lower[1]!, exact: false }, from }
  }
  return null
}

/** X.Y named by an image's tag (python:3.13-slim, local/python:3.13, python:3.12.4-bookworm); null when it names none */
export function imagePython(image: string): string | null {
  const tag = /:([^/:]+)$/.exec(image.replace(/@.*$/, ''))?.[1] ?? ''
  return /(?:^|[^\d.])(3\.\d+)/.exec(tag)?.[1] ?? null
}

export type PythonMismatch = { want: string | null; have: string; from: Evidence; fix: string | null }

/**
 * The app's Python against the base image's (from its tag): .python-version and runtime.txt must name the same minor
 * version, a requires-python range (PEP 440, or Poetry's ^ and ~) must admit it. null when they agree or either side
 * names no version; want is the version to use instead (null when no 3.x fits the range).
 */
export function pythonMismatch(dir: string, image: string): PythonMismatch | null {
  const have = imagePython(image)
  const found = pythonVersion(dir)
  if (!have || !found) return null
  const from = found.from[0]!
  const haveMinor = Number(have.split('.')[1])
  let want: string | null
  if (from.file === '.python-version' || from.file === 'runtime.txt') {
    if (found.value.version === have) return null
    want = found.value.version
  } else {
    const spec = /=\s*"([^"]+)"/.exec(from.text)?.[1]
    if (!spec || minorAdmitted(spec, haveMinor)) return null
    const fits = Array.from({ length: 12 }, (_, i) => i + 8).filter((m) => minorAdmitted(spec, m))
    want = fits.length ? `3.${fits[0]! > haveMinor ? fits[0] : fits.at(-1)}` : null
  }
  const fix = want === null ? null : image.replace(/(:(?:[^/:]*?[^\d./:])?)3\.\d+(?!\d)/, `$1${want}`)
  return { want, have, from, fix }
}

/** whether some 3.M.x release meets a requires-python spec: PEP 440 clauses joined by commas, or Poetry's ^/~/|| */
export function minorAdmitted(spec: string, minor: number): boolean {
  const anyOf = spec.split(/\s*\|\|?\s*/)
  return anyOf.some((alt) => [0, 99].some((patch) => alt.split(',').every((c) => clauseMeets(c.trim(), [3, minor, patch]))))
}

function clauseMeets(clause: string, v: number[]): boolean {
  if (clause === '' || clause === '*') return true
  const m = /^(===|~=|==|!=|>=|<=|>|<|\^|~)?\s*v?(\d+(?:\.\d+)*)(\.\*)?$/.exec(clause)
  if (!m) return true // not understood: the image's own check decides
  const op = m[1] ?? '=='
  const parts = m[2]!.split('.').map(Number)
  const cmp = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0)
    return 0
  }
  const prefix = (n: number): boolean => parts.slice(0, n).every((p, i) => v[i] === p)
  const upTo = (n: number): number[] => [...parts.slice(0, n - 1), (parts[n - 1] ?? 0) + 1]
  switch (op) {
    case '==': case '===': return m[3] ? prefix(parts.length) : cmp(v, parts) === 0
    case '!=': return m[3] ? !prefix(parts.length) : cmp(v, parts) !== 0
    case '>=': return cmp(v, parts) >= 0
    case '<=': return cmp(v, parts) <= 0
    case '>': return cmp(v, parts) > 0
    case '<': return cmp(v, parts) < 0
    // ~=3.12 → >=3.12,<4; ~=3.12.1 → >=3.12.1,<3.13
    case '~=': return cmp(v, parts) >= 0 && cmp(v, upTo(Math.max(1, parts.length - 1))) < 0
    // Poetry: ^3.12 → >=3.12,<4; ~3.12 → >=3.12,<3.13
    case '^': return cmp(v, parts) >= 0 && cmp(v, upTo(1)) < 0
    case '~': return cmp(v, parts) >= 0 && cmp(v, upTo(Math.min(2, parts.length))) < 0
  }
  return true
}

/** what the backend image installs from: uv.lock, requirements.txt, or the pyproject's [project] (pip) */
export type DepManager = 'uv' | 'requirements' | 'pip' | 'poetry-only' | 'pipfile-only'

/** `both`: dependencySource's answer, when the caller has it already (it reads the lists and Dockerfiles) */
export function dependencyManager(dir: string, both: DepsSource | null = dependencySource(dir)): Finding<DepManager> | null {
  const first = (file: string): Finding<DepManager>['from'] => {
    const t = readText(dir, file) ?? ''
    return [evidence(file, t, 0)]
  }
  // dependencySource answers for a uv.lock only when it is out of date (then pyproject.toml's list)
  if (both) return { value: both.use === 'pyproject' ? 'pip' : 'requirements', from: both.from }
  if (existsSync(path.join(dir, 'uv.lock'))) return { value: 'uv', from: first('uv.lock') }
  const py = readText(dir, 'pyproject.toml')
  const hasProject = py !== null && sectionBody(py, 'project') !== null
  if (existsSync(path.join(dir, 'requirements.txt'))) return { value: 'requirements', from: first('requirements.txt') }
  if (hasProject) return { value: 'pip', from: first('pyproject.toml') }
  if (py !== null && sectionBody(py, 'tool.poetry') !== null) return { value: 'poetry-only', from: first('pyproject.toml') }
  if (existsSync(path.join(dir, 'Pipfile'))) return { value: 'pipfile-only', from: first('Pipfile') }
  return null
}

/**
 * A uv.lock out of date with pyproject.toml: pyproject.toml's list, since uv sync --locked stops on it.
 * requirements.txt and pyproject.toml's [project] both list dependencies (and no uv.lock pins them): which list the
 * image installs (BACKEND_DEPS_FROM), and why. One of them is often left behind as the app grows (a requirements.txt
 * without the packages added later makes a backend that dies on its first import), so the kit does not just take the
 * first: the list the app's own Dockerfile installs, else the one that declares every package of the other; when
 * neither does (or both declare the same), requirements.txt, pip's convention; `decided: false` when they differ, so init names the key. null: not both.
 */
export type DepsSource = {
  use: 'requirements' | 'pyproject'
  /** the file left aside */
  instead: 'requirements.txt' | 'pyproject.toml' | 'uv.lock'
  why: string
  decided: boolean
  from: Evidence[]
}

const INSTALLS_REQUIREMENTS = /^[^\n#]*\b(?:pip3?|uv pip) install\b[^\n]*?-r\s*\S*requirements[\w.-]*\.txt/m
const INSTALLS_PYPROJECT = /^[^\n#]*\b(?:uv sync|poetry install|pdm install|(?:pip3?|uv pip) install\b[^\n]*?(?:\s-e)?\s+\.(?:\[[\w,-]+\])?(?=\s|$)|uv pip install\b[^\n]*?-r\s*pyproject\.toml)/m
const list = (names: string[]): string => names.slice(0, 6).join(', ') + (names.length > 6 ? `, and ${names.length - 6} more` : '')
const fileStart = (dir: string, file: string): Evidence => evidence(file, readText(dir, file) ?? '', 0)

export function dependencySource(dir: string): DepsSource | null {
  if (existsSync(path.join(dir, 'uv.lock'))) {
    // a uv.lock that lacks a package pyproject.toml declares (nida1khurram's lacks mcp): uv sync --locked stops on it,
    // and relocking is the app's change to make, so pyproject.toml's own list is installed
    const locked = declaredIn(dir, 'uv.lock')
    const unlocked = locked.length ? declaredIn(dir, 'pyproject.toml').filter((n) => !locked.includes(n)) : []
    if (!unlocked.length) return null
    return { use: 'pyproject', instead: 'uv.lock', why: `uv.lock is out of date with pyproject.toml (${list(unlocked)} not in it), so uv sync --locked would stop; to use the lock again: uv lock, and commit it`, decided: true, from: [fileStart(dir, 'uv.lock'), fileStart(dir, 'pyproject.toml')] }
  }
  const reqs = declaredIn(dir, 'requirements.txt')
  const proj = declaredIn(dir, 'pyproject.toml')
  if (!reqs.length || !proj.length) return null
  const dockerfiles = readdirSync(dir).filter((f) => /^(?:Dockerfile|Containerfile)(?:\.[\w-]+)?$|\.Dockerfile$/.test(f))
  const byReqs = matches(dir, dockerfiles, INSTALLS_REQUIREMENTS)
  const byProj = matches(dir, dockerfiles, INSTALLS_PYPROJECT)
  if (byProj.length && !byReqs.length)
    return { use: 'pyproject', instead: 'requirements.txt', why: `the app's own ${byProj[0]!.file} installs from pyproject.toml`, decided: true, from: [byProj[0]!] }
  if (byReqs.length && !byProj.length)
    return { use: 'requirements', instead: 'pyproject.toml', why: `the app's own ${byReqs[0]!.file} installs requirements.txt`, decided: true, from: [byReqs[0]!] }
  const onlyProj = proj.filter((n) => !reqs.includes(n))
  const onlyReqs = reqs.filter((n) => !proj.includes(n))
  const fromFiles = [fileStart(dir, 'requirements.txt'), fileStart(dir, 'pyproject.toml')]
  if (!onlyProj.length)
    return { use: 'requirements', instead: 'pyproject.toml', why: onlyReqs.length ? `requirements.txt declares every package pyproject.toml does, and ${list(onlyReqs)} besides` : 'both declare the same packages', decided: true, from: fromFiles }
  if (!onlyReqs.length)
    return { use: 'pyproject', instead: 'requirements.txt', why: `pyproject.toml declares every package requirements.txt does, and ${list(onlyProj)} besides`, decided: true, from: fromFiles }
  return { use: 'requirements', instead: 'pyproject.toml', why: `each declares packages the other lacks (pyproject.toml only: ${list(onlyProj)}; requirements.txt only: ${list(onlyReqs)})`, decided: false, from: fromFiles }
}

/**
 * A src/ package whose setuptools packaging lists it without its subpackages (`[tool.setuptools] packages = ["app"]`
 * with src/app/api/__init__.py): installed, it lacks them.
 */
export function incompletePackage(dir: string): Finding<string> | null {
  const py = readText(dir, 'pyproject.toml') ?? ''
  const m = /^\[tool\.setuptools\][^[]*?^packages\s*=\s*\[([^\]]*)\]/m.exec(py)
  if (!m) return null
  const listed = [...m[1]!.matchAll(/["']([\w.]+)["']/g)].map((x) => x[1]!)
  const inits = sourceFiles(dir, ['__init__.py']).filter((f) => f.startsWith('src/'))
  for (const pkg of listed) {
    const base = `src/${pkg.replace(/\./g, '/')}/`
    const missing = inits
      .filter((f) => f.startsWith(base) && f !== `${base}__init__.py`)
      .map((f) => f.slice(4, -'/__init__.py'.length).replace(/\//g, '.'))
      .find((sub) => !listed.includes(sub))
    if (missing) return { value: pkg, from: [evidence('pyproject.toml', py, m.index + m[0].search(/^packages/m))] }
  }
  return null
}

// src/ layouts: an installed package (a [build-system]) is imported without the src. prefix
export function asgiApps(dir: string): Finding<string>[] {
  const py = readText(dir, 'pyproject.toml') ?? ''
  const installed = /^\[build-system\]/m.test(py)
  const out: Finding<string>[] = []
  for (const file of sourceFiles(dir, ['.py'])) {
    const text = readText(dir, file)
    if (text === null || !/FastAPI\(/.test(text)) continue
    let mod = file.replace(/\.py$/, '').replace(/\/__init__$/, '').split('/')
    if (mod[0] === 'src' && installed) mod = mod.slice(1)
    const hits: { name: string; index: number }[] = []
    // app = FastAPI(...) at module level
    for (const m of text.matchAll(/^([A-Za-z_]\w*)\s*(?::\s*FastAPI\s*)?=\s*(?:fastapi\.)?FastAPI\(/gm)) hits.push({ name: m[1]!, index: m.index })
    // a factory: def create_app(): ... FastAPI(...) ...; then app = create_app() at module level
    const factories = new Set<string>()
    for (const f of text.matchAll(/^def\s+([A-Za-z_]\w*)\s*\(/gm)) {
      const next = /^\S/m.exec(text.slice(f.index + f[0].length).replace(/^[^\n]*\n/, ''))
      const end = next ? f.index + f[0].length + text.slice(f.index + f[0].length).indexOf('\n') + 1 + next.index : text.length
      if (/FastAPI\(/.test(text.slice(f.index, end))) factories.add(f[1]!)
    }
    for (const m of text.matchAll(/^([A-Za-z_]\w*)\s*(?::\s*FastAPI\s*)?=\s*([A-Za-z_]\w*)\(/gm)) if (factories.has(m[2]!)) hits.push({ name: m[1]!, index: m.index })
    for (const h of hits) out.push({ value: `${mod.join('.')}:${h.name}`, from: [evidence(file, text, h.index)] })
  }
  return out
}

const START_SCRIPTS = ['start.sh', 'entrypoint.sh', 'docker-start.sh', 'run.sh']

/**
 * Where an app says how it starts itself where its author deploys it: its Dockerfile's CMD first, a Procfile, then the
 * shell scripts at its top named for starting it (start.sh …, and others such as abdulhadi453's start_server.sh).
 */
export function startFiles(dir: string): string[] {
  const named = readdirSync(dir)
    .filter((f) => /^(?:start|run|entrypoint|docker-start|serve)[\w.-]*\.sh$/i.test(f) && !START_SCRIPTS.includes(f))
    .sort()
  return ['Dockerfile', 'Procfile', ...START_SCRIPTS, ...named]
}

/**
 * Of several FastAPI apps, the one the app's own start command serves: `uvicorn main:app` in its Dockerfile's CMD, a
 * Procfile or a start script (muhammad-azan-1 has main:app and a unified_server:main_app for another host).
 */
export function startedApp(dir: string, apps: readonly Finding<string>[]): Finding<string> | null {
  const re = /\b(?:uvicorn|gunicorn|hypercorn)\b[^\n]*?["'\s,[]([A-Za-z_][\w.]*:[A-Za-z_]\w*)\b/
  for (const h of matches(dir, startFiles(dir), re)) {
    const named = h.groups[0]!
    const app = apps.find((a) => a.value === named || a.value.endsWith(`.${named}`))
    if (app) return { value: app.value, from: [h, ...app.from] }
  }
  return null
}

/**
 * The directory the app's own start command puts on Python's import path: `PYTHONPATH=src uvicorn main:app` in a
 * Procfile or start script, or `uvicorn main:app --app-dir src`. Its modules then import each other as top-level
 * modules (`from db import ...`), which works in the image only with that directory on the path too.
 */
export function importRoot(dir: string): Finding<string> | null {
  const re = /(?:\bPYTHONPATH=["']?([\w./-]+)["']?[^\n]*\buvicorn\b|\buvicorn\b[^\n]*--app-dir[ =]["']?([\w./-]+))/
  for (const h of matches(dir, startFiles(dir), re)) {
    const v = (h.groups[0] || h.groups[1] || '').replace(/^\.\//, '').replace(/\/+$/, '')
    // a path inside the app dir only (an absolute one is another image's layout)
    if (v && v !== '.' && !v.startsWith('/') && !v.split('/').includes('..')) return { value: v, from: [h] }
  }
  return null
}

export function backendPort(dir: string): Finding<number> | null {
  // a literal port, or the default of an environment read: port=int(os.getenv("PORT", "9000")), os.environ.get(..., 9000)
  const code = matches(dir, sourceFiles(dir, ['.py']),
    /uvicorn\.run\((?:[^()]|\([^()]*\))*?\bport\s*=\s*(?:int\(\s*)?(?:os\.(?:getenv|environ\.get)\(\s*["'][A-Z0-9_]+["']\s*,\s*)?["']?(\d{2,5})\b/)
  const cli = matches(dir, startFiles(dir), /(?:uvicorn|fastapi run|gunicorn)[^\n]*?(?:--port[ =]|--bind[ =]\S*:)(\d{2,5})/)
  const expose = matches(dir, ['Dockerfile'], /^[ \t]*EXPOSE\s+(\d{2,5})/m)
  const hit = code[0] ?? cli[0] ?? expose[0]
  return hit ? { value: Number(hit.groups[0]), from: [hit] } : null
}
