// From what an app declares (inspect.ts) to what init writes: .env keys, a Helm values file that uses only knobs the
// chart has, and a report of every decision, every fallback with the key that overrides it, and what needs support
// the chart or the kit lacks today. Pure: no file system, no environment.
import path from 'node:path'
import { underPrefix } from '../routing.ts'
import { isSecretName, type EnvRead } from './env-reads.ts'
import { writableDirFor } from './backend-runtime.ts'
import type { AppFindings } from './inspect.ts'
import { where, type Evidence } from './source.ts'
import { imageWithMinor, pinLabel, skippedText, type PythonChoice } from './python-wheels.ts'
import type { LastChange } from './last-change.ts'

export type Component = 'frontend' | 'backend'
export type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }
type Probes = { startup: { path: string }; liveness: { path: string }; readiness: { path: string } }
/** a key of the app Secret as an environment variable (the chart's <component>.secretEnv; key defaults to name) */
export type SecretEnv = { name: string; key?: string }
export type AppValues = {
  frontend: { extraEnv: EnvVar[]; secretEnv?: SecretEnv[]; probes: Probes; migrateCommand?: string[] }
  backend: {
    extraEnv: EnvVar[]
    secretEnv?: SecretEnv[]
    probes: Probes
    migrateCommand?: string[]
    writableDirs?: string[]
    writableFiles?: string[]
    containerPort?: number
    databaseUrlScheme?: string
    waitForDatabase?: boolean
    companions?: { name: string; command: string[]; port: number }[]
  }
  ingress?: { backendPaths: string[]; frontendPaths?: string[] }
  networkPolicy?: { frontendToDatabase: boolean }
  migrations?: { order?: Component[]; beforeBackendStarts?: boolean }
  postgresql?: { tls?: { enabled: boolean }; urlQuery?: string }
}
/** a decision and the file:line lines it rests on; `to` says where init puts it (a .env key, a values path, nowhere) */
export type Setting = { component: Component; what: string; value: string; to: string; from: Evidence[] }
/** something init could not decide: what it uses meanwhile, and the exact key to set */
export type Open = { component: Component; what: string; used: string | null; key: string; from: Evidence[] }
/** something the app needs that the chart, the kit or the images cannot give yet */
export type Support = { component: Component; needs: 'chart' | 'kit' | 'image'; what: string; from: Evidence[] }
export type Note = { component: Component; text: string; from: Evidence[] }
export type Plan = { settings: Setting[]; open: Open[]; support: Support[]; notes: Note[]; env: Record<string, string>; values: AppValues }

export type PlanContext = {
  /** PUBLIC_URL as the config resolves it (the values that depend on it are rewritten by the next init) */
  publicUrl: string
  secretName: string
  release: string
  pythonImage: string
  nodeImage: string
  /** what PyPI says about the pins' wheels (python-wheels.ts); only asked when the app pins no exact Python */
  wheels?: { choice: PythonChoice; platform: string }
  /** the backend directory's newest commit (last-change.ts); null outside git */
  backendChanged?: LastChange | null
}

const IMAGE_ENV = { frontend: ['NODE_ENV', 'NEXT_TELEMETRY_DISABLED', 'NEXT_RUNTIME', 'NEXT_PHASE', 'HOSTNAME', 'PORT'], backend: ['APP_MODULE', 'HOST', 'PORT', 'WEB_CONCURRENCY', 'PYTHONUNBUFFERED', 'VIRTUAL_ENV'] }
/** what helm/todo-chatbot/templates/_helpers.tpl puts in each component's environment */
export const CHART_ENV: Record<Component, string[]> = {
  frontend: ['PORT', 'HOSTNAME', 'BETTER_AUTH_URL', 'BETTER_AUTH_TRUSTED_ORIGINS', 'BACKEND_URL', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'DATABASE_URL', 'BETTER_AUTH_SECRET'],
  backend: ['PORT', 'JWKS_URL', 'FRONTEND_SERVICE_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'CORS_ORIGINS', 'LOG_LEVEL', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'DATABASE_URL', 'OPENAI_API_KEY'],
}
const SECRET_KEYS = 'BETTER_AUTH_SECRET, POSTGRES_PASSWORD, DATABASE_URL and OPENAI_API_KEY'
// other names apps give the same things; mapped onto what the chart already provides
const DB_ALIASES = /^(DB_URL|DATABASE_URI|POSTGRES_URL|POSTGRES_URI|POSTGRESQL_URL|SQLALCHEMY_DATABASE_URI|SQLALCHEMY_DATABASE_URL|DB_CONNECTION_STRING)$/
const AUTH_SECRET_ALIASES = /^(AUTH_SECRET|JWT_SECRET|JWT_SECRET_KEY|BETTER_AUTH_JWT_SECRET|NEXTAUTH_SECRET)$/
const PUBLIC_URL_ALIASES = /^(APP_URL|SITE_URL|FRONTEND_URL|PUBLIC_URL|AUTH_URL|NEXTAUTH_URL|BETTER_AUTH_BASE_URL|ORIGIN)$/
const ORIGIN_LIST_ALIASES = /^(ALLOWED_ORIGINS|CORS_ALLOW_ORIGINS|CORS_ALLOWED_ORIGINS|FRONTEND_ORIGINS|TRUSTED_ORIGINS)$/


const DEFAULT_PROBES = { frontend: '/api/health', backend: { health: '/health', ready: '/ready' } }

export function planInit(f: AppFindings, ctx: PlanContext): Plan {
  const settings: Setting[] = []
  const open: Open[] = []
  const support: Support[] = []
  const notes: Note[] = []
  const env: Record<string, string> = {}
  const values: AppValues = {
    frontend: { extraEnv: [], probes: probes(DEFAULT_PROBES.frontend, DEFAULT_PROBES.frontend) },
    backend: { extraEnv: [], probes: probes(DEFAULT_PROBES.backend.health, DEFAULT_PROBES.backend.ready) },
  }
  const set = (component: Component, what: string, value: string, to: string, from: Evidence[]): void => {
    settings.push({ component, what, value, to, from })
  }
  const extraEnv = (component: Component, e: EnvVar, what: string, from: Evidence[]): void => {
    const list = values[component].extraEnv
    if (list.some((x) => x.name === e.name)) return
    list.push(e)
    const shown = e.value ?? `Secret ${e.valueFrom!.secretKeyRef.name} key ${e.valueFrom!.secretKeyRef.key}`
    set(component, what, shown, `${component}.extraEnv ${e.name}`, from)
  }
  const fromSecret = (name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ctx.secretName, key } } })
  const handled = { frontend: new Set<string>(), backend: new Set<string>() }

  // ---------- backend: image ----------
  const be = f.backend
  const defaultPy = /:(3\.\d+)/.exec(ctx.pythonImage)?.[1] ?? '3.13'
  const wheels = be.python?.value.exact ? undefined : ctx.wheels
  if (wheels?.choice.kind === 'chosen') {
    const c = wheels.choice
    const image = imageWithMinor(ctx.pythonImage, c.minor)
    env.PYTHON_IMAGE = image
    const why = c.skipped.length
      ? skippedText(c.skipped)
      : `each of the ${c.checked} pinned dependencies installs on it (${wheels.platform})`
    const from = [...(be.python?.from ?? []), ...c.skipped.flat().map((b) => b.pin.from)]
    set('backend', 'Python version', `3.${c.minor}: ${why}`, '.env PYTHON_IMAGE', from)
    for (const pin of c.fromSource)
      notes.push({ component: 'backend', text: `${pinLabel(pin)} has no wheels: pip builds it from its sdist in the image`, from: [pin.from] })
    if (c.unknown.length)
      notes.push({ component: 'backend', text: `not on PyPI, so their wheels were not checked: ${c.unknown.map(pinLabel).join(', ')}`, from: [] })
  } else if (be.python?.value.exact) {
    env.PYTHON_IMAGE = `python:${be.python.value.version}-slim`
    set('backend', 'Python version', be.python.value.version, '.env PYTHON_IMAGE', be.python.from)
  } else if (be.python) {
    const ok = cmpVersion(defaultPy, be.python.value.version) >= 0
    if (ok) set('backend', 'Python version', `${ctx.pythonImage} (the default meets >= ${be.python.value.version})`, 'nothing to write', be.python.from)
    else {
      env.PYTHON_IMAGE = `python:${be.python.value.version}-slim`
      set('backend', 'Python version', be.python.value.version, '.env PYTHON_IMAGE', be.python.from)
    }
  } else if (wheels?.choice.kind !== 'none') open.push({ component: 'backend', what: 'Python version (no .python-version, runtime.txt or requires-python)', used: ctx.pythonImage, key: 'PYTHON_IMAGE in .env', from: [] })
  if (wheels?.choice.kind === 'unavailable')
    notes.push({ component: 'backend', text: `Python version: the pins' wheels were not checked (${wheels.choice.why}); the default ${ctx.pythonImage} stays`, from: [] })
  if (wheels?.choice.kind === 'none')
    open.push({ component: 'backend', what: `Python version: no supported Python has wheels for every pin (${skippedText(wheels.choice.skipped)})`, used: ctx.pythonImage, key: 'PYTHON_IMAGE in .env, or raise the pins named', from: wheels.choice.skipped.flat().map((b) => b.pin.from) })

  if (be.deps) {
    const how = { uv: 'uv (uv sync --locked)', requirements: 'pip install -r requirements.txt', pip: 'pip install . (pyproject [project])', 'poetry-only': 'poetry', 'pipfile-only': 'pipenv' }[be.deps.value]
    const both = be.depsSource
    if (!both) set('backend', 'dependencies', how, 'nothing to write (the backend image picks it from the files)', be.deps.from)
    else if (!both.decided)
      open.push({ component: 'backend', what: `dependencies: requirements.txt or pyproject.toml? ${both.why}`, used: 'requirements.txt', key: 'BACKEND_DEPS_FROM=pyproject in .env to install pyproject.toml\'s list', from: both.from })
    else if (both.use === 'pyproject') {
      env.BACKEND_DEPS_FROM = 'pyproject'
      set('backend', 'dependencies', `${how}, not ${both.instead}: ${both.why}`, '.env BACKEND_DEPS_FROM', both.from)
    } else set('backend', 'dependencies', `${how}, not pyproject.toml's list: ${both.why}`, 'nothing to write (the backend image installs requirements.txt first)', both.from)
    // without a lock file the ranges resolve to whatever is newest at build time: a release since the app was
    // written can break it (SQLAlchemy 2.1 stopped installing greenlet, which its asyncio extension needs)
    if (be.deps.value === 'requirements' || be.deps.value === 'pip') {
      const changed = ctx.backendChanged
      if (changed) {
        env.BACKEND_DEPS_AS_OF = changed.time
        set('backend', 'dependency versions', `the newest each range allowed at ${changed.time}, when the backend last changed (commit ${changed.commit}): no lock file pins them`, '.env BACKEND_DEPS_AS_OF', be.deps.from)
      } else
        notes.push({ component: 'backend', text: `${both?.instead === 'uv.lock' ? 'uv.lock left aside' : 'no lock file'} and no git history to date the app: the image installs today's newest versions its ranges allow, which can be newer than the app was written for; set BACKEND_DEPS_AS_OF=<the date it last worked, e.g. 2026-01-02> in .env to install those of that day`, from: be.deps.from })
    }
    if (be.deps.value === 'poetry-only' || be.deps.value === 'pipfile-only')
      support.push({ component: 'backend', needs: 'image', what: `${how} without uv.lock or requirements.txt: backend-docker installs from uv.lock, requirements.txt or a pyproject [project] table`, from: be.deps.from })
  }

  // the import root the app starts with (PYTHONPATH=src): on the path in the image too, the module named from it
  const root = be.importRoot
  if (root) extraEnv('backend', { name: 'PYTHONPATH', value: `/app/${root.value}` }, 'import path (its own start command puts it there)', root.from)
  // a src/ package the image installs whose packaging lists it without its subpackages (`packages = ["app"]` leaves out
  // app.api, and `import app.main` then fails in the installed copy): the source tree goes first on the path. Only
  // then: src/ on the path also puts every directory in it ahead of the installed packages (an app's own src/mcp
  // would hide the mcp package)
  else if (be.incompletePackage) extraEnv('backend', { name: 'PYTHONPATH', value: '/app/src' }, `import path (the sources of ${be.incompletePackage.value} in src/, whole: its packaging lists it without its subpackages)`, be.incompletePackage.from)
  const fromRoot = (m: string): string => (root && m.startsWith(`${root.value.replaceAll('/', '.')}.`) ? m.slice(root.value.length + 1) : m)
  if (be.asgi.length === 1) {
    extraEnv('backend', { name: 'APP_MODULE', value: fromRoot(be.asgi[0]!.value) }, 'ASGI app', be.asgi[0]!.from)
  } else if (be.startedAsgi) {
    extraEnv('backend', { name: 'APP_MODULE', value: fromRoot(be.startedAsgi.value) }, `ASGI app (of ${be.asgi.length} FastAPI apps, the one its own start command serves)`, be.startedAsgi.from)
  } else if (be.asgi.length === 0) {
    open.push({ component: 'backend', what: 'ASGI app (no `app = FastAPI(` found)', used: 'app.main:app (the image default)', key: 'backend.extraEnv APP_MODULE', from: [] })
  } else {
    open.push({ component: 'backend', what: `ASGI app: ${be.asgi.length} FastAPI apps (${be.asgi.map((a) => a.value).join(', ')})`, used: 'app.main:app (the image default)', key: 'backend.extraEnv APP_MODULE (one of the modules listed)', from: be.asgi.flatMap((a) => a.from) })
  }

  if (be.port) {
    set('backend', 'port', String(be.port.value), be.port.value === 8000 ? 'nothing to write (the chart default)' : 'backend.containerPort', be.port.from)
    if (be.port.value !== 8000) values.backend.containerPort = be.port.value
  } else notes.push({ component: 'backend', text: 'port: none declared; 8000 (the chart default; the image starts uvicorn on $PORT itself)', from: [] })

  // ---------- backend: probes ----------
  const p = be.probes
  const health = p.health[0]
  const ready = p.ready[0]
  const fallback = p.docs ?? p.openapi ?? ready?.value ?? '/'
  if (health) {
    values.backend.probes.startup.path = values.backend.probes.liveness.path = health.value
    set('backend', 'liveness/startup path', health.value, 'backend.probes.{startup,liveness}.path', health.from)
  } else {
    values.backend.probes.startup.path = values.backend.probes.liveness.path = fallback
    open.push({ component: 'backend', what: `health route (no GET /health, /healthz, /live…; ${p.docs ? '' : '/docs is turned off; '}a liveness probe must not depend on the database)`, used: fallback, key: 'backend.probes.liveness.path and backend.probes.startup.path', from: [] })
  }
  if (ready) {
    values.backend.probes.readiness.path = ready.value
    set('backend', 'readiness path', ready.value, 'backend.probes.readiness.path', ready.from)
  } else if (health) {
    values.backend.probes.readiness.path = health.value
    set('backend', 'readiness path', `${health.value} (no /ready route: readiness uses the health route)`, 'backend.probes.readiness.path', health.from)
  } else {
    values.backend.probes.readiness.path = fallback
    open.push({ component: 'backend', what: 'readiness route (no GET /ready, /readyz…)', used: fallback, key: 'backend.probes.readiness.path', from: [] })
  }

  // ---------- backend: database, migrations, files ----------
  const db = be.database
  if (!db) notes.push({ component: 'backend', text: 'database: no PostgreSQL driver (psycopg2, psycopg, asyncpg) in the dependencies; the chart gives DATABASE_URL=postgresql://…', from: [] })
  else if (db.plainUrlWorks) set('backend', 'database driver', `${db.driver}: ${db.why}`, 'nothing to write (the chart composes postgresql://)', db.from)
  else {
    values.backend.databaseUrlScheme = db.scheme.replace(/:\/\/$/, '')
    set('backend', 'database URL scheme', `${db.scheme} (${db.why}; an external database's DATABASE_URL must carry it itself)`, 'backend.databaseUrlScheme', db.from)
  }

  const m = be.migrations
  switch (m.value.kind) {
    case 'alembic':
    case 'module':
      values.backend.migrateCommand = m.value.command
      set('backend', 'migrations', m.value.command.join(' '), 'backend.migrateCommand', m.from)
      break
    case 'create_all':
      values.backend.migrateCommand = []
      set('backend', 'migrations', 'none: the app creates its tables itself (create_all); the migration Job skips the backend', 'backend.migrateCommand', m.from)
      // it connects while it starts: with nothing before it, it would race the in-cluster database (and restart)
      values.backend.waitForDatabase = true
      set('backend', 'start order', 'after the in-cluster PostgreSQL answers (it creates its tables while it starts)', 'backend.waitForDatabase', m.from)
      break
    default:
      values.backend.migrateCommand = []
      open.push({ component: 'backend', what: 'migrations (no alembic.ini, migrate module or create_all): the tables must exist before the app starts', used: 'none', key: 'backend.migrateCommand (a command in the backend image, e.g. ["python", "-m", "yourapp.migrate"])', from: [] })
  }

  // the app also creates its tables as it starts (create_all): on an empty database whichever of it and Alembic runs
  // second fails ("relation … already exists"). Its own start decides: one that never runs Alembic (sammar-13's
  // Dockerfile CMD is uvicorn only) deploys with create_all's tables; otherwise Alembic first, then the backend.
  if (be.createAllBesideAlembic.length && values.backend.migrateCommand?.length) {
    const { server, alembic } = be.ownStart
    if (server && !alembic) {
      const was = values.backend.migrateCommand.join(' ')
      values.backend.migrateCommand = []
      // this replaces the migrations line decided from alembic.ini
      const earlier = settings.findIndex((x) => x.component === 'backend' && x.what === 'migrations')
      if (earlier >= 0) settings.splice(earlier, 1)
      set('backend', 'migrations', `none by the kit: the app creates its tables as it starts (create_all), and its own start (${where(server)}) never runs ${was}; a later revision of the chain runs only by hand`, 'backend.migrateCommand: []', [server, ...be.createAllBesideAlembic.slice(0, 2)])
      // as for any create_all app: started before the database answers, it may give up on its tables (sammar-13 waits
      // 5 s for them, then serves without) and never make them
      values.backend.waitForDatabase = true
      set('backend', 'start order', 'after the in-cluster PostgreSQL answers (it creates its tables while it starts)', 'backend.waitForDatabase', be.createAllBesideAlembic.slice(0, 1))
    } else {
      values.migrations = { ...values.migrations, beforeBackendStarts: true }
      set('backend', 'migrations order', `${values.backend.migrateCommand.join(' ')} before the backend first starts: the app also creates its tables as it starts (create_all), which on an empty database would leave the chain nothing to create${alembic ? ` (its own start runs Alembic first too: ${where(alembic)})` : ''}`, 'migrations.beforeBackendStarts: true', [...(alembic ? [alembic] : []), ...be.createAllBesideAlembic.slice(0, 2)])
    }
  }
  if (be.tablesDropped.length)
    notes.push({ component: 'backend', text: 'the app drops its tables where it creates them (drop_all before create_all): each start of the backend (a deploy, a restart, a second replica) empties the database; that is its own code, not the kit', from: be.tablesDropped.slice(0, 2) })
  if (be.uncreatedTables.length && values.backend.migrateCommand?.length) {
    const tables = be.uncreatedTables.map((t) => t.table).join(', ')
    const from = be.uncreatedTables.slice(0, 3).map(({ file, line, text }) => ({ file, line, text }))
    open.push({ component: 'backend', what: `migrations: on an empty database ${values.backend.migrateCommand.join(' ')} stops where a revision changes ${tables}, which no revision creates (the chain was written on a schema made some other way)`, used: values.backend.migrateCommand.join(' '), key: 'backend.migrateCommand (a command that creates those tables first), or DATABASE_URL of a database that has them', from })
  }

  for (const l of be.localServers) {
    // the script to run beside the backend: the only one serving that port, or the only one taking it from PORT (made
    // to be deployed; the others are its author's local starters)
    const scripts = [...new Set(l.servers.map((v) => v.file))]
    const deployable = [...new Set(l.servers.filter((v) => /["']PORT["']/.test(v.text)).map((v) => v.file))]
    const pick = scripts.length === 1 ? scripts[0] : deployable.length === 1 ? deployable[0] : undefined
    if (pick) {
      const name = path.basename(pick, '.py').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'companion'
      const companion = { name, command: ['python', pick], port: l.port }
      values.backend.companions = [...(values.backend.companions ?? []), companion]
      const others = scripts.length > 1 ? ` (of ${scripts.join(', ')}: the one that takes its port from PORT)` : ''
      set('backend', 'server beside it', `${l.url}, which the code expects on its own host: python ${pick}${others}, run in the backend's pod on port ${l.port}`, 'backend.companions', [...l.from.slice(0, 2), ...l.servers.filter((v) => v.file === pick)])
      continue
    }
    const run = scripts.length ? `; ${scripts.join(' or ')} serves that port, as a process of its own` : ''
    open.push({ component: 'backend', what: `a server at ${l.url}, which the code expects beside it on its own host${run}: one container runs one process, so nothing answers there in the cluster and what needs it fails`, used: null, key: scripts.length ? `backend.companions [{name, command: [python, <one of them>], port: ${l.port}}] (runs it beside the backend), or the variable that overrides this URL (backend.extraEnv)` : 'the variable that overrides this URL (backend.extraEnv), pointed at where you run that server', from: [...l.from.slice(0, 2), ...l.servers.slice(0, 2)] })
  }

  const dirs = new Set<string>()
  const files = new Set<string>()
  for (const w of be.writes) {
    if (w.variable && w.target.startsWith('$')) {
      open.push({ component: 'backend', what: `a file written at the path in ${w.variable}`, used: null, key: `backend.extraEnv ${w.variable} (a path under /tmp)`, from: [w.from] })
    } else if (w.variable) {
      extraEnv('backend', { name: w.variable, value: `/tmp/${w.target.split('/').pop()}` }, `writable file (the default ${w.target} is on the read-only root filesystem)`, [w.from])
      handled.backend.add(w.variable)
    } else {
      const d = writableDirFor(w)
      if (d) {
        dirs.add(d)
        set('backend', 'writable directory', d, 'backend.writableDirs', [w.from])
      } else {
        // a file in the working directory (or /): only that file is made writable, the rest of /app stays read-only
        const file = path.posix.isAbsolute(w.target) ? path.posix.normalize(w.target) : path.posix.join('/app', w.target)
        if (!files.has(file)) set('backend', 'writable file', `${file} (the root filesystem is read-only; an empty file the app may write)`, 'backend.writableFiles', [w.from])
        files.add(file)
      }
    }
  }
  if (dirs.size) values.backend.writableDirs = ['/tmp', ...[...dirs].sort()]
  if (files.size) values.backend.writableFiles = [...files].sort()

  // ---------- backend: Better Auth JWKS ----------
  const feAuth = f.frontend.betterAuth
  const j = be.jwks
  if (j) {
    if (j.whole) {
      handled.backend.add(j.variable!)
      if (j.variable === 'JWKS_URL') set('backend', 'JWKS', 'JWKS_URL (the chart gives the frontend\'s /api/auth/jwks)', 'nothing to write', j.from)
      else extraEnv('backend', { name: j.variable!, value: '$(JWKS_URL)' }, 'JWKS URL (the chart\'s JWKS_URL: the frontend\'s /api/auth/jwks in the cluster)', j.from)
    } else if (j.variable && j.baseUses && !j.baseUses.issuer.length && !j.baseUses.other.length) {
      // only used to fetch keys: the frontend Service, since the browser-facing URL does not resolve inside the cluster
      handled.backend.add(j.variable)
      extraEnv('backend', { name: j.variable, value: '$(FRONTEND_SERVICE_URL)' }, `JWKS base URL: the frontend Service in the cluster (the chart's FRONTEND_SERVICE_URL; ${j.variable} is only used to fetch ${j.path})`, j.from)
    } else if (j.variable && j.baseUses?.issuer.length) {
      handled.backend.add(j.variable)
      open.push({
        component: 'backend',
        what: `JWKS: the backend fetches ${j.variable} + ${j.path} and also checks ${j.variable} as the token's issuer or audience (${j.baseUses.issuer.map(where).join(', ')}); tokens carry ${ctx.publicUrl}, which does not resolve inside the cluster, so one value cannot serve both`,
        used: null,
        key: `PUBLIC_URL in .env: a URL the pods can reach too (a real DNS name), then backend.extraEnv ${j.variable} = that URL`,
        from: [...j.from, ...j.baseUses.issuer],
      })
    } else {
      if (j.variable) handled.backend.add(j.variable)
      const other = j.baseUses?.other ?? []
      open.push({
        component: 'backend',
        what: `JWKS: the backend fetches ${j.variable ?? 'a base URL'} + ${j.path}${other.length ? ` and uses ${j.variable} elsewhere too (${other.map(where).join(', ')})` : ''}; in the cluster the frontend is http://${ctx.release}-frontend:3000, while the browser-facing URL is ${ctx.publicUrl}`,
        used: null,
        key: `backend.extraEnv ${j.variable ?? '<the base URL variable>'} ($(FRONTEND_SERVICE_URL) when it is only used to fetch keys)`,
        from: [...j.from, ...other],
      })
    }
    if (j.path === '/.well-known/jwks.json' && !f.frontend.wellKnownJwks)
      notes.push({ component: 'frontend', text: 'JWKS: the backend fetches /.well-known/jwks.json but the frontend serves no such route (Better Auth serves /api/auth/jwks)', from: j.from })
  }

  // ---------- environment variables ----------
  for (const r of be.env) planVar('backend', r)
  for (const r of f.frontend.env) planVar('frontend', r)

  function planVar(c: Component, r: EnvRead): void {
    if (handled[c].has(r.name) || IMAGE_ENV[c].includes(r.name)) return
    const chart = CHART_ENV[c].includes(r.name)
    if (chart) {
      // the chart gives it from .env's OPENAI_API_KEY, and leaves it out when that is empty
      if (r.name === 'OPENAI_API_KEY' && !r.optional)
        notes.push({ component: c, text: 'OPENAI_API_KEY: read with no default, so the app does not start without it: set OPENAI_API_KEY in .env (any placeholder starts it; the chat needs a real key)', from: r.from })
      if (r.name === 'CORS_ORIGINS' && r.format === 'json-list')
        extraEnv(c, { name: r.name, value: JSON.stringify([ctx.publicUrl]) }, 'CORS_ORIGINS as a JSON list (a pydantic list field; the chart gives a comma list); from PUBLIC_URL', r.from)
      return
    }
    if (DB_ALIASES.test(r.name)) return extraEnv(c, { name: r.name, value: '$(DATABASE_URL)' }, `database URL under another name (the chart's DATABASE_URL)`, r.from)
    if (AUTH_SECRET_ALIASES.test(r.name) && feAuth) return extraEnv(c, fromSecret(r.name, 'BETTER_AUTH_SECRET'), 'auth signing secret (the frontend signs with Better Auth\'s BETTER_AUTH_SECRET)', r.from)
    if (r.name === 'BETTER_AUTH_SECRET') return extraEnv(c, fromSecret(r.name, 'BETTER_AUTH_SECRET'), 'Better Auth secret', r.from)
    if (r.kind === 'runtime' && (PUBLIC_URL_ALIASES.test(r.name) || r.name === 'BETTER_AUTH_URL' || r.name === 'JWT_ISSUER'))
      return extraEnv(c, { name: r.name, value: ctx.publicUrl }, 'public URL (PUBLIC_URL)', r.from)
    if (r.kind === 'runtime' && ORIGIN_LIST_ALIASES.test(r.name))
      return extraEnv(c, { name: r.name, value: r.format === 'json-list' ? JSON.stringify([ctx.publicUrl]) : ctx.publicUrl }, `allowed origins (PUBLIC_URL${r.format === 'json-list' ? ', as a JSON list' : ''})`, r.from)
    if (c === 'frontend' && r.kind === 'runtime' && f.frontend.backendAccess.some((a) => a.how === 'proxy' && a.variable === r.name))
      return extraEnv(c, { name: r.name, value: '$(BACKEND_URL)' }, 'backend URL for the server-side proxy (the chart\'s BACKEND_URL)', r.from)
    if (r.kind === 'secret') {
      if (r.name === 'OPENAI_API_KEY') return
      // a secretEnv key must exist in the Secret or the pod does not start; an optional one stays out until the user names it
      if (r.optional) {
        notes.push({ component: c, text: `${r.name}: ${r.when ? `a secret read only with ${r.when}` : 'an optional secret (the code has a default)'}, left out; to give it one: APP_SECRETS=${r.name} and ${r.name}=<the value> in .env, then ${c}.secretEnv ${r.name}`, from: r.from })
        return
      }
      // the chart reads it from the app Secret by name; deploy puts the key there from .env
      const list = (values[c].secretEnv ??= [])
      if (!list.some((s) => s.name === r.name)) {
        list.push({ name: r.name })
        set(c, 'secret', `${r.name} from Secret ${ctx.secretName} key ${r.name} (deploy puts it in the Secret when APP_SECRETS names it; besides ${SECRET_KEYS})`, `${c}.secretEnv ${r.name}`, r.from)
      }
      return
    }
    if (r.kind === 'build') {
      if (f.frontend.backendAccess.some((a) => a.how === 'direct' && a.variable === r.name)) return // reported below
      // required ones go to .env (build passes every NEXT_PUBLIC_* key as the build arg NEXT_PUBLIC_ENV): init.ts decides them
      if (r.optional) notes.push({ component: c, text: `${r.name} is read at build time and has a default in the code`, from: r.from })
      return
    }
    if (r.optional) notes.push({ component: c, text: `${r.name}: ${r.when ? `read only with ${r.when}` : 'optional (the code has a default)'}, left unset`, from: r.from })
    else open.push({ component: c, what: `${r.name} (read with no default)`, used: null, key: `${c}.extraEnv ${r.name}`, from: r.from })
  }

  // ---------- frontend ----------
  const fe = f.frontend
  // build decides the same again from the same files (package-manager.ts) and passes it as build args: nothing to write
  const install = fe.install
  if (install) {
    const from = fe.installFrom
    const how = install.lockfile ? `${install.mode === 'frozen' ? 'frozen install from' : 'install updating'} ${install.lockfile}` : 'no lock file: install from package.json'
    set('frontend', 'package manager', `${install.manager}${install.version ? ` ${install.version}` : ''} (${install.versionFrom}); ${how}`, 'nothing to write (build passes PACKAGE_MANAGER and INSTALL_MODE)', from)
    if (install.appDir !== '.') set('frontend', 'build context', `the workspace root ${install.root} (${install.workspace}, ${install.lockfile ?? 'no lock file'}), the app as APP_DIR=${install.appDir}`, 'nothing to write (build passes APP_DIR)', [])
    for (const w of install.warnings) notes.push({ component: 'frontend', text: `${w.cause} — fix: ${w.fix}`, from })
  }

  const defaultNode = Number(/:(\d+)/.exec(ctx.nodeImage)?.[1] ?? 24)
  if (fe.node && (fe.node.value.exact || fe.node.value.major > defaultNode)) {
    env.NODE_IMAGE = `node:${fe.node.value.major}-slim`
    set('frontend', 'Node.js version', `${fe.node.value.major} (${fe.node.value.spec})`, '.env NODE_IMAGE', fe.node.from)
  } else if (fe.node) set('frontend', 'Node.js version', `${ctx.nodeImage} (the default meets ${fe.node.value.spec})`, 'nothing to write', fe.node.from)
  else open.push({ component: 'frontend', what: 'Node.js version (no .nvmrc, .node-version or engines.node)', used: ctx.nodeImage, key: 'NODE_IMAGE in .env', from: [] })

  set('frontend', 'output', fe.standalone.value ? 'standalone (node server.js)' : 'not standalone: the image runs `next start` with production dependencies', 'nothing to write', fe.standalone.from)

  if (fe.health) {
    values.frontend.probes = probes(fe.health.value, fe.health.value)
    set('frontend', 'health path', fe.health.value, 'frontend.probes.*.path', fe.health.from)
  } else {
    values.frontend.probes = probes('/', '/')
    open.push({ component: 'frontend', what: 'health route (no app/api/health/route.ts): the probes ask for the home page', used: '/', key: 'frontend.probes.startup.path, frontend.probes.liveness.path and frontend.probes.readiness.path', from: [] })
  }

  if (fe.migrateScript) set('frontend', 'auth migration', 'node migrate.mjs', 'nothing to write (the chart default)', fe.migrateScript.from)
  else {
    values.frontend.migrateCommand = []
    const cfgFile = fe.authConfig
    const orm = cfgFile?.value.ormAdapter
    if (feAuth && cfgFile && orm === 'prisma') {
      // Better Auth's migrate prints "only works with the built-in Kysely adapter" for it and exits 0: a Job
      // running it would pass without creating a table
      open.push({ component: 'frontend', what: `Better Auth tables: ${cfgFile.value.file} hands Better Auth the Prisma adapter, for which Better Auth's own migrate creates nothing (it defers to Prisma's tools), so the migration Job skips the frontend and the tables must exist`, used: 'none', key: "frontend.migrateCommand: the command in the frontend image that applies the app's Prisma schema to the tables Better Auth uses (prisma migrate deploy)", from: cfgFile.from })
    } else if (feAuth && cfgFile?.value.exported) {
      // Better Auth's own migration, run against the app's own auth config: the Dockerfile's auth-migrate target
      const file = cfgFile.value.file
      const names = orm === 'drizzle' ? ", with a pg Pool in place of the Drizzle adapter and the table and column names of the app's Drizzle schema" : ''
      env.FRONTEND_AUTH_MIGRATE = `better-auth:${file}`
      set('frontend', 'auth migration', `no migrate.mjs: Better Auth's CLI creates the tables its config needs (\`better-auth migrate\` on ${file}${names}), in the image <FRONTEND_IMAGE>-migrate (frontend-docker's auth-migrate target) run by the migration Job`, '.env FRONTEND_AUTH_MIGRATE', [...cfgFile.from, ...feAuth.from])
    } else if (feAuth && cfgFile)
      open.push({ component: 'frontend', what: `Better Auth tables: no migrate.mjs, and ${cfgFile.value.file} calls betterAuth() without exporting the instance as \`auth\` (or default), which Better Auth's CLI loads; the migration Job skips the frontend and the tables must exist`, used: 'none', key: `export const auth = betterAuth(...) in ${cfgFile.value.file}, then init again (FRONTEND_AUTH_MIGRATE=better-auth:${cfgFile.value.file}); or frontend.migrateCommand`, from: cfgFile.from })
    else if (feAuth)
      open.push({ component: 'frontend', what: 'Better Auth tables: no migrate.mjs and no file calling betterAuth() found, so the migration Job skips the frontend and the tables must exist', used: 'none', key: 'FRONTEND_AUTH_MIGRATE=better-auth:<the file that calls betterAuth()> in .env, or frontend.migrateCommand (a command in the frontend image that creates them)', from: feAuth.from })
    else set('frontend', 'auth migration', 'none (no migrate.mjs)', 'frontend.migrateCommand', [])
  }
  // a backend migration that adds a foreign key to Better Auth's `user` fails with `relation "user" does not exist`
  // unless the frontend's auth migration made the table first
  const authRefs = be.authTableRefs
  if (authRefs.length && values.backend.migrateCommand?.length) {
    const tables = [...new Set(authRefs.map((r) => `"${r.table}"`))].join(', ')
    const from = authRefs.slice(0, 3).map(({ file, line, text }) => ({ file, line, text }))
    if (fe.migrateScript || env.FRONTEND_AUTH_MIGRATE) {
      // and the auth step once more after: an autogenerated Alembic revision drops the tables its models lack
      // (shazilk-dev's drops account, session and verification); Better Auth's migrate makes only what is missing
      values.migrations = { ...values.migrations, order: ['frontend', 'backend', 'frontend'] }
      set('backend', 'migration order', `after the frontend's auth migration, which runs again after it: the backend's migrations reference Better Auth's ${tables}, which that step creates (and may drop the auth tables their models lack)`, 'migrations.order', from)
    } else open.push({ component: 'backend', what: `the backend's migrations reference Better Auth's ${tables}, and nothing in the migration Job creates them: they must exist before it runs`, used: 'none', key: 'frontend.migrateCommand (a command in the frontend image that creates the auth tables), with migrations.order: [frontend, backend, frontend]', from })
  }
  // code that asks for TLS: a PostgreSQL without a certificate refuses it, so the in-cluster one offers it
  for (const [component, asks] of [['frontend', fe.databaseTls], ['backend', be.databaseTls]] as const) {
    if (!asks.length) continue
    values.postgresql = { ...values.postgresql, tls: { enabled: true } }
    set(component, 'database TLS', `on: its code asks the database connection for TLS, which a PostgreSQL without a certificate refuses; the in-cluster one offers it with the chart's certificate (plain connections still work)`, 'postgresql.tls.enabled', asks.slice(0, 3))
  }
  // DATABASE_URL + "&…": written for a hosted database's URL, which always has a query string; the composed one gets one
  const appends = [...fe.databaseUrlAppends, ...be.databaseUrlAppends]
  if (appends.length) {
    values.postgresql = { ...values.postgresql, urlQuery: 'application_name=todo' }
    set(fe.databaseUrlAppends.length ? 'frontend' : 'backend', 'database URL query', `application_name=todo: the code appends "&…" to DATABASE_URL, so the URL the chart composes carries a query string for it to extend (else the appended text would end up in the database name)`, 'postgresql.urlQuery', appends.slice(0, 3))
  }
  // Neon's serverless driver speaks HTTPS and WebSocket to the database host, never PostgreSQL's port: the kit's
  // neon-proxy answers for the in-cluster database (its migration step trusts the same CA)
  if (fe.neonDriver) {
    const { file, modes } = fe.neonDriver.value
    const how = modes.length ? modes.map((m) => (m === 'http' ? 'neon(): HTTPS /sql' : 'Pool/Client: WebSocket /v2')).join(', ') : 'imported'
    env.FRONTEND_DB_DRIVER = 'neon'
    set('frontend', 'database driver', `neon: ${file} uses @neondatabase/serverless (${how}); the in-cluster PostgreSQL runs the kit's neon-proxy beside it (<FRONTEND_IMAGE>-neon-proxy) with a certificate the frontend trusts`, '.env FRONTEND_DB_DRIVER', fe.neonDriver.from)
  }
  if (feAuth) set('frontend', 'auth', 'Better Auth (the chart gives BETTER_AUTH_URL, BETTER_AUTH_SECRET and BETTER_AUTH_TRUSTED_ORIGINS)', 'nothing to write', feAuth.from)

  // the NetworkPolicies let the frontend reach the database only when its server code opens connections itself
  const dbReads = fe.env.filter((r) => r.name === 'DATABASE_URL' || DB_ALIASES.test(r.name) || /^(POSTGRES|PG)_?(HOST|USER|PASSWORD|DB|DATABASE)$/.test(r.name))
  if (dbReads.length) set('frontend', 'database access', `the frontend connects to the database (reads ${[...new Set(dbReads.map((r) => r.name))].join(', ')})`, 'nothing to write (the chart default)', dbReads.flatMap((r) => r.from))
  else {
    values.networkPolicy = { frontendToDatabase: false }
    set('frontend', 'database access', 'none: the frontend reads no database URL, so the NetworkPolicies shut it out of the database', 'networkPolicy.frontendToDatabase', [])
  }

  // the browser's calls go to the backend's own route prefixes (/v1, /api...); the frontend keeps its routes under them
  const routeOnIngress = (variable: string, from: Evidence[], how: string, within?: string): void => {
    // a rewrite's prefix: only the backend's prefixes it covers (the others may be the frontend's own pages)
    const found = be.routePrefixes.filter((p) => !within || underPrefix(p.value, within))
    const prefixes = found.length ? found.map((p) => p.value) : ['/api']
    const under = (r: string) => prefixes.some((p) => underPrefix(r, p))
    const own = [...(feAuth ? ['/api/auth'] : []), ...(fe.health && fe.health.value !== '/' ? [fe.health.value] : [])].filter(under)
    values.ingress = { backendPaths: prefixes, ...(own.length ? { frontendPaths: [...new Set(own)].sort() } : {}) }
    const used = `${prefixes.join(', ')} to the backend${own.length ? `, ${own.join(' and ')} still to the frontend` : ''}`
    const key = 'ingress.backendPaths (the prefixes of the backend routes the browser calls) and ingress.frontendPaths (the frontend\'s own routes under them)'
    if (found.length) {
      set('frontend', `${how} at ${variable} (baked in at build time): the ingress routes the backend's route prefixes to it`, used, key, from)
      set('backend', 'route prefixes the browser is sent to', prefixes.join(', '), 'ingress.backendPaths', found.flatMap((p) => p.from))
    } else open.push({
      component: 'frontend',
      what: `${how} at ${variable} (baked in at build time), and no backend route was found to take a prefix from: the ingress routes a path prefix to the backend Service on the public host`,
      used,
      key,
      from,
    })
  }
  for (const a of fe.backendAccess) {
    if (a.how === 'proxy') set('frontend', 'browser → backend', `through the frontend (server code reads ${a.variable})`, a.variable === 'BACKEND_URL' ? 'nothing to write (the chart gives BACKEND_URL)' : `frontend.extraEnv ${a.variable}`, a.from)
    else if (a.how === 'rewrites' && a.variable?.startsWith('NEXT_PUBLIC_')) {
      // next build fixes the destination to the public URL (the kit builds with NEXT_PUBLIC_* from PUBLIC_URL): inside
      // the frontend pod that host must lead to the ingress, which routes the backend's paths
      env.PUBLIC_HOST_IN_PODS = 'true'
      set('frontend', 'next.config rewrite', `to ${a.destination}, ${a.variable} fixed by next build to the public URL: the app pods resolve its host to the ingress controller`, '.env PUBLIC_HOST_IN_PODS', a.from)
      if (!fe.backendAccess.some((d) => d.how === 'direct')) routeOnIngress(a.variable, a.from, 'the frontend passes requests to the backend through its rewrite')
    } else if (a.how === 'rewrites' && !a.variable && be.routePrefixes.some((p) => underPrefix(a.prefix, p.value))) {
      // a fixed URL elsewhere (a hosted backend) for a prefix the backend serves: the ingress sends the browser's
      // requests under it to the in-cluster backend before they reach the rewrite
      routeOnIngress(a.prefix, a.from, 'browser → backend: the pages call the prefix of a next.config rewrite', a.prefix)
      notes.push({ component: 'frontend', text: `next.config rewrites ${a.prefix} to ${a.destination}: the browser's requests there reach the in-cluster backend through the ingress instead; requests the frontend's own server makes through the rewrite still go to that URL`, from: a.from })
    } else if (a.how === 'rewrites')
      support.push({ component: 'frontend', needs: 'kit', what: `next.config rewrites to ${a.destination}: rewrites are fixed by \`next build\`, so the destination must be the in-cluster backend at build time${a.variable ? ` (${a.variable} is read by next build; the kit passes only NEXT_PUBLIC_* values to the build)` : ''}`, from: a.from })
    else routeOnIngress(a.variable, a.from, 'browser → backend directly')
  }
  if (!fe.backendAccess.length) notes.push({ component: 'frontend', text: 'browser → backend: no backend URL variable found in the frontend', from: [] })

  // a values file is shared and printed: it may point at the Secret, never hold a secret
  for (const c of ['frontend', 'backend'] as const)
    for (const e of values[c].extraEnv)
      if (e.value !== undefined && isSecretName(e.name) && !/^\$\([A-Z_][A-Z0-9_]*\)$/.test(e.value) && !/^\/tmp\//.test(e.value)) throw new Error(`init would put a value for ${e.name} in the values file`)
  return { settings, open, support, notes, env, values }
}

function probes(live: string, ready: string): Probes {
  return { startup: { path: live }, liveness: { path: live }, readiness: { path: ready } }
}

function cmpVersion(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number) as [number, number]
  const [b1, b2] = b.split('.').map(Number) as [number, number]
  return a1 - b1 || a2 - b2
}
