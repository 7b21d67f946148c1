// What the backend needs from its surroundings at run time: the database URL scheme its driver wants, where it
// fetches Better Auth's JWKS from, how its tables are made, and which files it writes next to its code.
import path from 'node:path'
import { startFiles } from './detect-backend.ts'
import { majorOf, pythonDeps } from './python-deps.ts'
import { evidence, matches, readText, sourceFiles, where, type Evidence, type Finding, type Hit } from './source.ts'

/** A match as evidence: its file, line and text, without the regex groups. */
const asEvidence = (h: Hit): Evidence => ({ file: h.file, line: h.line, text: h.text })

export type DatabaseFinding = {
  driver: 'psycopg2' | 'psycopg' | 'asyncpg'
  /** the scheme the app's engine needs (SQLAlchemy picks the driver from it) */
  scheme: string
  /** the chart's `postgresql://` works as is: the default driver, no SQLAlchemy, or the app rewrites the scheme */
  plainUrlWorks: boolean
  why: string
  from: Evidence[]
}

export function databaseDriver(dir: string): DatabaseFinding | null {
  const deps = pythonDeps(dir)
  const sa = deps.get('sqlalchemy') ?? deps.get('sqlmodel')
  const files = sourceFiles(dir, ['.py'])
  // the app rewrites a plain URL itself: postgresql:// replaced by, or a prefix cut and put after, the driver's scheme.
  // Not any mention of it: a settings validator listing the schemes it accepts, or a script converting the other way,
  // means the URL must arrive with the driver in it.
  const rewrite = matches(
    dir,
    files,
    /\.replace\(\s*f?["']postgres(?:ql)?:\/\/["']\s*,\s*f?["']postgres(?:ql)?\+(psycopg2|psycopg|asyncpg):\/\/|["']postgres(?:ql)?\+(psycopg2|psycopg|asyncpg):\/\/["']\s*\+|f["']postgres(?:ql)?\+(psycopg2|psycopg|asyncpg):\/\/\{/,
  )[0]
  const rewritten = rewrite?.groups.find(Boolean)
  const asyncEngine = matches(dir, files, /create_async_engine\(/)[0]
  const pick = (['asyncpg', 'psycopg', 'psycopg2'] as const).find((d) => {
    if (d === 'asyncpg') return deps.has('asyncpg') && (asyncEngine || !deps.has('psycopg2') && !deps.has('psycopg2-binary') && !deps.has('psycopg'))
    if (d === 'psycopg') return deps.has('psycopg') && !deps.has('psycopg2') && !deps.has('psycopg2-binary')
    return deps.has('psycopg2') || deps.has('psycopg2-binary')
  })
  if (!pick) return null
  const dep = deps.get(pick) ?? deps.get(`${pick}-binary`)!
  const from = [dep.from, ...(sa ? [sa.from] : []), ...(rewrite ? [rewrite] : [])]
  const scheme = `postgresql+${pick}://`
  if (rewrite) return { driver: pick, scheme, plainUrlWorks: true, why: `the app turns the URL into postgresql+${rewritten}:// itself`, from }
  if (!sa) return { driver: pick, scheme: 'postgresql://', plainUrlWorks: true, why: `${pick} connects with a plain postgresql:// URL (no SQLAlchemy)`, from }
  // SQLAlchemy 2.1 made psycopg (3) the driver of a plain postgresql://, which before meant psycopg2: naming the
  // driver works with every version, pinned or not, unless the code also hands the URL to psycopg2 itself, whose
  // libpq parser refuses a +driver scheme (billy-pk's migration scripts: psycopg2.connect(settings.DATABASE_URL)).
  // A SQLAlchemy pinned below 2.1 then takes the plain URL as well.
  if (pick === 'psycopg2') {
    const major = majorOf(sa)
    const saName = sa.name === 'sqlmodel' ? 'SQLModel' : `SQLAlchemy ${major ? `${major}.x` : 'unpinned'}`
    const raw = matches(dir, files, /\bpsycopg2\.connect\(\s*[^)]{0,80}?database_url/i)[0]
    const exact = deps.get('sqlalchemy')?.version
    if (raw && exact && /^(0|1|2\.0)\./.test(exact))
      return { driver: pick, scheme: 'postgresql://', plainUrlWorks: true, why: `SQLAlchemy ${exact} (pinned) loads psycopg2 for postgresql://, and ${where(raw)} hands the URL to psycopg2.connect, which takes no +psycopg2 scheme`, from: [...from, raw] }
    return { driver: pick, scheme, plainUrlWorks: false, why: `psycopg2 with ${saName}: since SQLAlchemy 2.1 postgresql:// loads psycopg (3), which is not installed`, from }
  }
  return { driver: pick, scheme, plainUrlWorks: false, why: `SQLAlchemy with ${pick} needs ${scheme}; before SQLAlchemy 2.1 postgresql:// loads psycopg2`, from }
}

export type JwksFinding = {
  path: '/api/auth/jwks' | '/.well-known/jwks.json' | string
  /** the variable it is read from whole (JWKS_URL), or the base URL variable the path is appended to */
  variable: string | null
  whole: boolean
  from: Evidence[]
  /** the base URL's other uses (baseUrlUses): as the issuer/audience it checks, and any the kit cannot read */
  baseUses?: { issuer: Evidence[]; other: Evidence[] }
}

export function jwksFetch(dir: string): JwksFinding | null {
  const files = sourceFiles(dir, ['.py'])
  const lit = matches(dir, files, /["'`}]?(\/api\/auth\/jwks|\/\.well-known\/jwks\.json)["']/)[0]
  const wholeVar = matches(dir, files, /["']((?:[A-Z][A-Z0-9]*_)*JWKS_(?:URL|URI|ENDPOINT))["']|^[ \t]*((?:[a-z][a-z0-9]*_)*jwks_(?:url|uri|endpoint))\s*:/m)[0]
  if (wholeVar) return { path: lit?.groups[0] ?? '/api/auth/jwks', variable: (wholeVar.groups[0] || wholeVar.groups[1]!).toUpperCase(), whole: true, from: [wholeVar, ...(lit ? [lit] : [])] }
  if (!lit) return null
  // f"{settings.better_auth_url}/api/auth/jwks" or BASE + "/api/auth/jwks": the URL-ish name on that line
  const base = /([A-Za-z_]*(?:url|URL|Url|origin|ORIGIN|host|HOST)[A-Za-z_]*)[^A-Za-z_]*["'`]?\/(?:api\/auth\/jwks|\.well-known)/.exec(lit.text)?.[1]
  if (!base) return { path: lit.groups[0]!, variable: null, whole: false, from: [lit] }
  const uses = baseUrlUses(dir, base, lit)
  return { path: lit.groups[0]!, variable: base.toUpperCase(), whole: false, from: [lit], baseUses: { issuer: uses.issuer.map(asEvidence), other: uses.other.map(asEvidence) } }
}

/**
 * Where else the backend uses the base URL it builds the JWKS URL from. Only to fetch keys: the in-cluster frontend
 * Service is the right value, since the browser-facing URL does not resolve inside the cluster. Also as the issuer or
 * audience it checks, or anywhere the kit cannot read: one value cannot serve both, so it stays for the user to decide.
 */
export function baseUrlUses(dir: string, variable: string, jwksLine: Evidence): { issuer: Hit[]; other: Hit[] } {
  const name = variable.toLowerCase().replace(/[^a-z0-9_]/g, '')
  const notAUse = [
    /^(#|["'])/, // a comment, a docstring
    /^(from|import)\s/, // where it is imported
    new RegExp(`^(self\\.)?${name}\\s*[:=]`, 'i'), // its settings field, its assignment, or a docstring naming it
    /\b(getenv|environ)\b/, // where it is read
    /^(print|logger\.|logging\.|log\.)/, // what only reports it
  ]
  const uses = matches(dir, sourceFiles(dir, ['.py']), new RegExp(`^.*\\b${name}\\b.*$`, 'gim')).filter(
    (h) => !(h.file === jwksLine.file && h.line === jwksLine.line) && !notAUse.some((re) => re.test(h.text.trim())),
  )
  const issuer = uses.filter((h) => /\b(issuer|audience|iss|aud)\b/i.test(h.text))
  return { issuer, other: uses.filter((h) => !issuer.includes(h)) }
}

export type Migration =
  | { kind: 'alembic'; command: string[] }
  | { kind: 'module'; command: string[] }
  | { kind: 'create_all' }
  | { kind: 'none' }

export function migrations(dir: string): Finding<Migration> {
  const ini = readText(dir, 'alembic.ini')
  if (ini !== null) return { value: { kind: 'alembic', command: ['alembic', 'upgrade', 'head'] }, from: [evidence('alembic.ini', ini, 0)] }
  for (const f of ['migrate.py', 'app/migrate.py', 'src/migrate.py']) {
    const main = mainBlock(dir, f)
    if (main) return { value: { kind: 'module', command: ['python', '-m', f.replace(/\.py$/, '').replace(/\//g, '.')] }, from: [main] }
  }
  const scripts = migrationScripts(dir)
  if (scripts.length) {
    const runs = scripts.map((s) => `python ${s.file}`)
    return { value: { kind: 'module', command: runs.length === 1 ? runs[0]!.split(' ') : ['sh', '-c', runs.join(' && ')] }, from: scripts }
  }
  const createAll = matches(dir, sourceFiles(dir, ['.py']), /\.create_all\(/)
  if (createAll.length) return { value: { kind: 'create_all' }, from: createAll }
  return { value: { kind: 'none' }, from: [] }
}

/** A file's `if __name__ == "__main__":` line: it is written to be run, not only imported. */
function mainBlock(dir: string, file: string): Evidence | null {
  const text = readText(dir, file)
  const main = text && /^if __name__ == ["']__main__["']/m.exec(text)
  return text && main ? evidence(file, text, main.index) : null
}

/**
 * Migration scripts the app's author runs by hand (scripts/migrate.py, scripts/migrate_better_auth.py…), each run by
 * its path as they are written to be (they put their parent directory on sys.path themselves). The plain migrate.py
 * first, since the others add to what it makes; the rest by name.
 */
function migrationScripts(dir: string): Evidence[] {
  const found = sourceFiles(dir, ['.py'])
    .filter((f) => /^scripts\/migrate[\w-]*\.py$/.test(f))
    .map((f) => mainBlock(dir, f))
    .filter((e): e is Evidence => e !== null)
  const rank = (f: string): number => (f === 'scripts/migrate.py' ? 0 : 1)
  return found.sort((a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file))
}

// Better Auth's tables under their default names (the JWT plugin's jwks included)
const AUTH_TABLES = 'user|session|account|verification|jwks'
// a Python comment may sit between arguments (`'user',  # target table`)
const GAP = String.raw`(?:\s|#[^\n]*)*`
const Q = String.raw`\\?["']`
const AUTH_REFERENCES = [
  // ForeignKey("user.id"), Field(foreign_key="user.id"), ForeignKeyConstraint([...], ["user.id"])
  new RegExp(String.raw`\bForeignKey\(${GAP}["'](${AUTH_TABLES})\.`),
  new RegExp(String.raw`\bforeign_key${GAP}=${GAP}["'](${AUTH_TABLES})\.`),
  new RegExp(String.raw`\bForeignKeyConstraint\(${GAP}\[[^\]]*\]${GAP},${GAP}\[${GAP}["'](${AUTH_TABLES})\.`),
  // op.create_foreign_key(name, source, "user", ...)
  new RegExp(String.raw`\bcreate_foreign_key\(${GAP}[^,]+,${GAP}["'][^"']+["']${GAP},${GAP}["'](${AUTH_TABLES})["']`),
  // SQL: REFERENCES "user"(id)
  new RegExp(String.raw`\bREFERENCES\s+${Q}?(${AUTH_TABLES})${Q}?\s*\(`, 'i'),
]
const AUTH_CREATES = new RegExp(String.raw`\b(?:create_table\(|__tablename__${GAP}=)${GAP}["'](${AUTH_TABLES})["']|\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${Q}?(${AUTH_TABLES})${Q}?\s*\(`, 'gi')

/**
 * Where the backend's migrations make foreign keys to Better Auth's tables that they do not create themselves: those
 * tables come from the frontend's auth migration, which must then run first. Alembic's revisions (any `versions`
 * directory) are read for an alembic backend, every Python file for a migrate module (it creates the models' tables).
 */
export function authTableReferences(dir: string, m: Migration): (Evidence & { table: string })[] {
  if (m.kind !== 'alembic' && m.kind !== 'module') return []
  const files = sourceFiles(dir, ['.py', '.sql']).filter((f) => m.kind === 'module' || f.split('/').includes('versions'))
  const created = new Set(matches(dir, files, AUTH_CREATES).map((h) => (h.groups[0] || h.groups[1])!.toLowerCase()))
  const refs = AUTH_REFERENCES.flatMap((re) => matches(dir, files, re)).filter((h) => !created.has(h.groups[0]!.toLowerCase()))
  // one row per line: two patterns can match the same one
  const byLine = new Map<string, Evidence & { table: string }>()
  for (const { file, line, text, groups } of refs.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line))
    if (!byLine.has(`${file}:${line}`)) byLine.set(`${file}:${line}`, { file, line, text, table: groups[0]!.toLowerCase() })
  return [...byLine.values()]
}

/**
 * create_all calls in an Alembic app's own code (not its migration scripts): an app that makes its tables as it starts
 * races the migration Job on a fresh database, since the Job runs as the pods start on a first install, and the Job
 * then stops with `relation "users" already exists`.
 */
export function createAllBesideAlembic(dir: string, m: Migration): Evidence[] {
  if (m.kind !== 'alembic') return []
  const files = sourceFiles(dir, ['.py']).filter((f) => !f.split('/').some((p) => p === 'versions' || p === 'alembic') && !f.endsWith('/env.py'))
  // called, or handed over (`conn.run_sync(SQLModel.metadata.create_all)`)
  return matches(dir, files, /\.create_all\b/).map(asEvidence)
}

/**
 * drop_all beside create_all in the app's own code (abdulhadi453's startup "drops and recreates to ensure schema
 * matches"): every start of the backend, a deploy's new pod or a restart, empties its tables.
 */
export function tablesDroppedAtStart(dir: string): Evidence[] {
  const files = sourceFiles(dir, ['.py']).filter((f) => /\.create_all\b/.test(readText(dir, f) ?? ''))
  return matches(dir, files, /\.drop_all\b/).map(asEvidence)
}

// what an Alembic revision changes in a table it does not make: op.alter_column("t", …), op.add_column("t", …),
// op.drop_column("t", …), op.batch_alter_table("t"), op.create_index(name, "t", …), ALTER TABLE t in SQL
const TABLE_CHANGES = [
  new RegExp(String.raw`\bop\.(?:alter_column|add_column|drop_column|batch_alter_table)\(${GAP}["'](\w+)["']`),
  new RegExp(String.raw`\bop\.create_index\(${GAP}[^,]+,${GAP}["'](\w+)["']`),
  new RegExp(String.raw`\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${Q}?(\w+)${Q}?\s`, 'i'),
]
const TABLE_CREATES = new RegExp(String.raw`\bcreate_table\(${GAP}["'](\w+)["']|\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${Q}?(\w+)${Q}?`, 'gi')

/**
 * Tables an Alembic chain changes but no revision of it creates: on an empty database `alembic upgrade head` stops
 * there (`relation "tasks" does not exist`), whatever the app does once it runs. Such a chain was written on top of a
 * schema made some other way (an earlier phase, a hand-run script). Better Auth's tables are left out: the frontend's
 * auth migration makes those, and the migration order handles them.
 */
export function tablesChangedNotCreated(dir: string, m: Migration): (Evidence & { table: string })[] {
  if (m.kind !== 'alembic') return []
  const files = sourceFiles(dir, ['.py']).filter((f) => f.split('/').includes('versions'))
  const created = new Set(matches(dir, files, TABLE_CREATES).map((h) => (h.groups[0] || h.groups[1])!.toLowerCase()))
  const auth = new Set(AUTH_TABLES.split('|'))
  // the first change of each table, in file and line order
  const hits = TABLE_CHANGES.flatMap((re) => matches(dir, files, re)).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
  const byTable = new Map<string, Evidence & { table: string }>()
  for (const { file, line, text, groups } of hits) {
    const table = groups[0]!.toLowerCase()
    if (!created.has(table) && !auth.has(table) && !byTable.has(table)) byTable.set(table, { file, line, text, table })
  }
  return [...byTable.values()]
}

export type FileWrite = {
  /** the path as written in the code (relative ones land in the working directory, /app) */
  target: string
  /** the variable the path comes from, when it does */
  variable: string | null
  from: Evidence
}

export function fileWrites(dir: string): FileWrite[] {
  const files = sourceFiles(dir, ['.py'])
  const out: FileWrite[] = []
  const add = (arg: string, from: Evidence): void => {
    const lit = /^\s*[rfb]?["']([^"']+)["']/.exec(arg)?.[1]
    const env = /(?:getenv|environ\.get)\(\s*["']([A-Z_][A-Z0-9_]*)["']\s*(?:,\s*["']([^"']*)["'])?/.exec(arg)
    const attr = /^\s*(?:settings|config|cfg|conf)\.([a-z_][a-z0-9_]*)/i.exec(arg)?.[1]
    if (env) out.push({ target: env[2] ?? `$${env[1]}`, variable: env[1]!, from })
    else if (attr) out.push({ target: `$${attr.toUpperCase()}`, variable: attr.toUpperCase(), from })
    else if (lit && !/^\/(tmp|dev|proc)\b/.test(lit)) out.push({ target: lit, variable: null, from })
  }
  for (const h of matches(dir, files, /\b(?:logging\.)?(?:handlers\.)?(?:Rotating|TimedRotating|Watched)?FileHandler\(([^)\n]*)/)) add(h.groups[0]!, h)
  for (const h of matches(dir, files, /\bopen\(\s*([^,\n]+),\s*(?:mode\s*=\s*)?["'][wax]b?\+?["']/)) add(h.groups[0]!, h)
  for (const h of matches(dir, files, /\blogging\.basicConfig\([^)]*filename\s*=\s*([^,)\n]+)/)) add(h.groups[0]!, h)
  return out
}

/** writable directories the chart can mount for the writes (a file in a subdirectory of /app) */
export function writableDirFor(w: FileWrite): string | null {
  if (w.variable && w.target.startsWith('$')) return null
  const abs = path.posix.isAbsolute(w.target) ? w.target : path.posix.join('/app', w.target)
  const d = path.posix.dirname(abs)
  return d === '/app' || d === '/' ? null : d
}

export type LocalServer = { url: string; port: number; from: Evidence[]; servers: Evidence[] }

/**
 * Servers the backend's code expects beside it on localhost at a port of their own (billy-pk's chat connects to
 * http://localhost:8001, its MCP server, a second process it runs on its host): one container runs one process, so
 * in the cluster nothing answers there. `servers` are the backend's scripts that serve that port, when it has any.
 */
export function localServers(dir: string, ownPort: number): LocalServer[] {
  const files = sourceFiles(dir, ['.py']).filter((f) => !/(^|\/)(tests?|test_[^/]*|[^/]*_test)(\/|\.py$)/.test(f))
  const out = new Map<number, LocalServer>()
  for (const h of matches(dir, files, /["'](https?:\/\/(?:localhost|127\.0\.0\.1):(\d{2,5})[^"']*)["']/)) {
    const port = Number(h.groups[1])
    // its own port, PostgreSQL's, and the frontend's (its origin in CORS lists and auth URLs, which the chart sets)
    if (port === ownPort || port === 5432 || port === 3000) continue
    const hit = asEvidence(h)
    const known = out.get(port)
    if (known) known.from.push(hit)
    else out.set(port, { url: h.groups[0]!, port, from: [hit], servers: [] })
  }
  for (const s of out.values()) {
    const serve = new RegExp(`uvicorn\\.run\\((?:[^()]|\\([^()]*\\))*?\\bport\\s*=\\s*${s.port}\\b|["']PORT["']\\s*,\\s*["']?${s.port}\\b`)
    s.servers = matches(dir, files, serve).map(asEvidence)
    // started in a thread of the backend itself (muhammad-azan-1 starts its MCP server so): it answers there
    if (s.servers.some((v) => /threading|Thread\(/.test(readText(dir, v.file) ?? '') && !/__main__/.test(readText(dir, v.file) ?? ''))) out.delete(s.port)
  }
  return [...out.values()]
}

/**
 * How the app starts itself where its author deploys it: the server command of its Dockerfile, Procfile or start
 * script, and whether that runs Alembic first. An app that creates its tables at startup and whose own start never
 * runs Alembic (sammar-13's Dockerfile: uvicorn only) gets its tables from create_all there.
 */
export function ownStart(dir: string): { server: Evidence | null; alembic: Evidence | null } {
  const files = startFiles(dir)
  const first = (re: RegExp): Evidence | null => {
    const h = matches(dir, files, re)[0]
    return h ? asEvidence(h) : null
  }
  return {
    server: first(/\b(?:uvicorn|gunicorn|hypercorn|fastapi\s+run)\b/),
    alembic: first(/\balembic\b["',\s]+upgrade\b/),
  }
}
