// What the backend's migration step depends on: its image minus the Python files its command can never import. A
// change to a route or a prompt leaves the database exactly as the last migration left it, so deploy need not run
// the step (and wait for its Job) again; a change to a model, a revision or a dependency runs it.
//
// Entry points: `python -m pkg.mod` (python3, `uv run`, `poetry run`… in front), `python path/file.py`, `alembic …`
// (the ini's script_location: env.py and every revision), and `sh -c` with such commands joined by `&&`. From there,
// every `import x` / `from x import y` anywhere in a file (inside functions and `if TYPE_CHECKING:` too) that names a
// module of the context, found from the context root (the image's working directory), src/ or the entry script's
// directory, with each package's __init__.py on the way. A name that is no file of the context is a dependency: the
// lockfile stands for it. Files other than .py (SQL, JSON, the lockfile, the Dockerfile) always count, so the scope can
// only leave out what the command cannot run.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Config, ImageSpec } from './config.ts'
import { chartValue } from './chart-values.ts'
import { buildInputs, inputsDigest } from './images.ts'

export type MigrationScope = { kind: 'files'; files: Set<string> } | { kind: 'image'; why: string }

/** The chart's <component>.migrateCommand after the values files (a list is replaced whole, as helm does). */
export function migrateCommand(cfg: Config, component: 'frontend' | 'backend'): string[] {
  const cmd = chartValue(cfg, [component, 'migrateCommand'])
  return Array.isArray(cmd) ? cmd.map(String) : []
}

// runners that start the rest of the argv in the project's environment
const RUNNERS: Record<string, string> = {
  uv: 'run',
  poetry: 'run',
  pipenv: 'run',
  pdm: 'run',
  hatch: 'run',
  rye: 'run',
}
// options of `uv run` and the like that take a value
const VALUE_OPTS = new Set([
  '--with',
  '--python',
  '-p',
  '--env-file',
  '--group',
  '--extra',
  '--package',
  '--project',
  '--directory',
  '-e',
  '--env',
])

type Entries = { modules: string[]; files: string[]; roots: string[] }

export function migrationScope(spec: ImageSpec, command: string[]): MigrationScope {
  const { files } = buildInputs(spec)
  const py = new Set(files.filter((f) => f.endsWith('.py')))
  const entries = entryPoints(spec, command, py)
  if ('why' in entries) return { kind: 'image', why: entries.why }
  const dirs = new Set<string>()
  for (const f of py) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) dirs.add(d)
  const roots = ['', ...['src/', ...entries.roots].filter((r) => r && dirs.has(r.replace(/\/$/, '')))]

  // the files `import mod` runs: every package __init__.py on the way, then the module (a namespace package has none)
  const moduleFiles = (mod: string): string[] | null => {
    const parts = mod.split('.')
    for (const root of roots) {
      const found: string[] = []
      let ok = true
      for (let i = 1; i <= parts.length && ok; i++) {
        const p = root + parts.slice(0, i).join('/')
        if (py.has(`${p}/__init__.py`)) found.push(`${p}/__init__.py`)
        else if (i === parts.length && py.has(`${p}.py`)) found.push(`${p}.py`)
        else if (!dirs.has(p)) ok = false
      }
      if (ok && found.length) return found
    }
    return null
  }
  const moduleOf = (file: string): string[] => {
    const root = roots.filter((r) => file.startsWith(r)).sort((a, b) => b.length - a.length)[0] ?? ''
    return file.slice(root.length).replace(/\.py$/, '').split('/')
  }

  const seen = new Set<string>()
  const queue: string[] = []
  const add = (fs: string[] | null): void => {
    for (const f of fs ?? []) if (!seen.has(f)) (seen.add(f), queue.push(f))
  }
  for (const m of entries.modules) {
    const fs = moduleFiles(m)
    if (!fs) return { kind: 'image', why: `its module ${m} is no file of ${spec.contextDir}` }
    add(fs)
    // `python -m pkg` runs pkg/__main__.py
    add(moduleFiles(`${m}.__main__`))
  }
  for (const f of entries.files) add([f])
  while (queue.length) {
    const file = queue.shift()!
    let text: string
    try {
      text = readFileSync(path.join(spec.contextDir, file), 'utf8')
    } catch {
      return { kind: 'image', why: `${file} could not be read` }
    }
    const found = importsOf(text)
    if (found.dynamic) return { kind: 'image', why: `${file} imports by name at run time (${found.dynamic})` }
    const self = moduleOf(file)
    // a module's package, and a package's own __init__.py: its package itself
    const pkg = self.slice(0, -1)
    for (const imp of found.imports) {
      let base = imp.module
      if (imp.level > 0) {
        const up = pkg.slice(0, pkg.length - (imp.level - 1))
        base = [...up, ...(imp.module ? [imp.module] : [])].join('.')
      }
      if (base) add(moduleFiles(base))
      for (const name of imp.names) {
        if (name === '*') {
          // a star import of a package can pull in any of its modules (its __all__): count them all
          const dir = moduleFiles(base)?.at(-1)
          if (dir?.endsWith('/__init__.py'))
            for (const f of py) if (path.posix.dirname(f) === path.posix.dirname(dir)) add([f])
        } else add(moduleFiles(base ? `${base}.${name}` : name))
      }
    }
  }
  return { kind: 'files', files: seen }
}

export function migrationDigest(spec: ImageSpec, command: string[]): { digest: string; scope: MigrationScope } {
  const scope = migrationScope(spec, command)
  const keep =
    scope.kind === 'files' ? (rel: string): boolean => !rel.endsWith('.py') || scope.files.has(rel) : undefined
  return { digest: inputsDigest(spec, keep), scope }
}

function entryPoints(spec: ImageSpec, command: string[], py: Set<string>): Entries | { why: string } {
  let argv = [...command]
  const shown = `migrateCommand ${JSON.stringify(command)}`
  // no command, no step: nothing of the image can change what it does
  if (!argv.length) return { modules: [], files: [], roots: [] }
  // `sh -c "python scripts/a.py && python scripts/b.py"` (init's form for several migration scripts): the entry
  // points of every command
  if (/^(ba)?sh$/.test(path.posix.basename(argv[0]!)) && argv[1] === '-c' && argv.length === 3) {
    const commands = argv[2]!.split('&&').map((c) => c.trim().split(/\s+/))
    if (!commands.every((c) => c.every((word) => /^[\w./=:-]+$/.test(word))))
      return { why: `${shown} is a shell line, not commands joined by &&` }
    const all: Entries = { modules: [], files: [], roots: [] }
    for (const c of commands) {
      const one = entryPoints(spec, c, py)
      if ('why' in one) return one
      ;(all.modules.push(...one.modules), all.files.push(...one.files), all.roots.push(...one.roots))
    }
    return all
  }
  while (argv.length && RUNNERS[path.posix.basename(argv[0]!)] === argv[1]) {
    argv = argv.slice(2)
    while (argv[0]?.startsWith('-')) argv = argv.slice(VALUE_OPTS.has(argv[0]!) && !argv[0]!.includes('=') ? 2 : 1)
  }
  const exe = path.posix.basename(argv[0] ?? '')
  if (/^python(\d+(\.\d+)?)?$/.test(exe)) {
    const m = argv.indexOf('-m')
    if (m > 0 && argv[m + 1]) {
      if (argv[m + 1] === 'alembic') return alembicEntries(spec, argv.slice(m + 2), py)
      return { modules: [argv[m + 1]!], files: [], roots: [] }
    }
    const script = argv.slice(1).find((a) => !a.startsWith('-'))
    const rel = script?.replace(/^\/app\//, '').replace(/^\.\//, '')
    if (rel && py.has(rel)) return { modules: [], files: [rel], roots: [path.posix.dirname(rel) + '/'] }
    return { why: `${shown} runs no module or .py file of the build context` }
  }
  if (exe === 'alembic') return alembicEntries(spec, argv.slice(1), py)
  return { why: `${shown} is not python -m, a .py file or alembic` }
}

function alembicEntries(spec: ImageSpec, args: string[], py: Set<string>): Entries | { why: string } {
  const c = args.findIndex((a) => a === '-c' || a === '--config')
  const ini = (c >= 0 ? args[c + 1] : args.find((a) => a.startsWith('--config='))?.slice(9)) ?? 'alembic.ini'
  const iniRel = ini.replace(/^\/app\//, '').replace(/^\.\//, '')
  let text: string
  try {
    text = readFileSync(path.join(spec.contextDir, iniRel), 'utf8')
  } catch {
    return { why: `alembic's ${iniRel} is not in the build context` }
  }
  const here = path.posix.dirname(iniRel)
  const setting = (key: string): string | null =>
    new RegExp(`^[ \\t]*${key}[ \\t]*[=:][ \\t]*(.+)$`, 'm').exec(text)?.[1]?.trim() ?? null
  const dirOf = (v: string): string => {
    const s = v.replace(/%\(here\)s/g, here).replace(/^\.\//, '')
    // `package:dir` names a directory inside a package
    const pkg = /^([\w.]+):(.+)$/.exec(s)
    return path.posix.normalize(pkg ? `${pkg[1]!.replace(/\./g, '/')}/${pkg[2]}` : s).replace(/^\.\/?$/, '')
  }
  const location = setting('script_location')
  if (!location) return { why: `${iniRel} sets no script_location` }
  const scriptDirs = [dirOf(location)]
  const versions = setting('version_locations')
  if (versions)
    scriptDirs.push(
      ...versions
        .split(/[\s,;]+/)
        .filter(Boolean)
        .map(dirOf),
    )
  const under = (d: string, f: string): boolean => d === '' || f.startsWith(`${d}/`)
  const files = [...py].filter((f) => scriptDirs.some((d) => under(d, f)))
  if (!files.length) return { why: `alembic's script_location ${location} holds no .py file of the build context` }
  const prepend = (setting('prepend_sys_path') ?? '.')
    .split(/[\s:;]+/)
    .filter(Boolean)
    .map((p) => dirOf(p))
    .filter(Boolean)
    .map((p) => `${p}/`)
  return { modules: [], files, roots: prepend }
}

type Import = { level: number; module: string; names: string[] }

// statements can follow `;` or a `:` on the same line (`try: import x`); a false match only widens the scope
const FROM = /(?:^|[;:])[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|(?:[^\n\\;]|\\\n)*)/gm
const IMPORT = /(?:^|[;:])[ \t]*import[ \t]+((?:[^\n\\;#]|\\\n)*)/gm
// a module named at run time (importlib.import_module(name), __import__, pkgutil's walks, runpy)
const DYNAMIC =
  /\b(import_module|__import__)\s*\(\s*([^,)]*)|\b(iter_modules|walk_packages|run_module|run_path|spec_from_file_location|load_source)\s*\(/g

export function importsOf(text: string): { imports: Import[]; dynamic: string | null } {
  const imports: Import[] = []
  const names = (list: string): string[] =>
    list
      .replace(/#[^\n]*/g, '')
      .replace(/[()\\]/g, ' ')
      .split(',')
      .map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)[0]!
          .trim(),
      )
      .filter((n) => /^[\w.*]+$/.test(n))
  for (const m of text.matchAll(FROM)) imports.push({ level: m[1]!.length, module: m[2]!, names: names(m[3]!) })
  for (const m of text.matchAll(IMPORT))
    for (const mod of names(m[1]!)) imports.push({ level: 0, module: mod, names: [] })
  let dynamic: string | null = null
  for (const m of text.matchAll(DYNAMIC)) {
    const lit = m[2] !== undefined ? /^\s*[rbu]?["']([\w.]+)["']\s*$/.exec(m[2])?.[1] : undefined
    if (lit) imports.push({ level: /^\.+/.exec(lit)?.[0].length ?? 0, module: lit.replace(/^\.+/, ''), names: [] })
    else {
      dynamic = `${m[1] ?? m[3]}(${(m[2] ?? '').trim()}`.slice(0, 60)
      break
    }
  }
  return { imports, dynamic }
}
