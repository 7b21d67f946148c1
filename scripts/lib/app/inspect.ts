// Every detector run over one frontend and one backend directory: the facts init decides from. Read-only.
import { backendPort, asgiApps, dependencyManager, dependencySource, importRoot, incompletePackage, pythonVersion, startedApp } from './detect-backend.ts'
import { probeRoutes, routePrefixes } from './backend-routes.ts'
import { databaseTls, databaseUrlAppends } from './database-tls.ts'
import { authTableReferences, createAllBesideAlembic, databaseDriver, tablesDroppedAtStart, fileWrites, jwksFetch, localServers, migrations, ownStart, tablesChangedNotCreated } from './backend-runtime.ts'
import { authConfig, backendAccess, betterAuth, frontendHealth, migrateScript, neonDriver, nodeVersion, packageManager, standaloneOutput } from './detect-frontend.ts'
import { jsEnvReads, pythonEnvReads } from './env-reads.ts'
import { installPlan } from './package-manager.ts'
import { evidence, matches, readText, sourceFiles, type Evidence } from './source.ts'

/** the lines the install decision rests on: package.json's packageManager when it names the version, else the lock file */
function installEvidence(dir: string, install: ReturnType<typeof installPlan>): Evidence[] {
  if (!install || install.appDir !== '.') return []
  const pkg = readText(dir, 'package.json')
  const at = pkg?.search(/"packageManager"\s*:/) ?? -1
  if (pkg && at >= 0 && install.versionFrom.includes('packageManager')) return [evidence('package.json', pkg, at)]
  const lock = install.lockfile && install.lockfile !== 'bun.lockb' ? readText(dir, install.lockfile) : null
  return lock !== null && install.lockfile ? [evidence(install.lockfile, lock.slice(0, 2000), 0)] : []
}

export function inspectApp(dirs: { frontend: string; backend: string }) {
  const fe = dirs.frontend
  const be = dirs.backend
  const feReads = jsEnvReads(fe)
  const install = installPlan(fe)
  const depsSource = dependencySource(be)
  const asgi = asgiApps(be)
  const port = backendPort(be)
  const backendMigrations = migrations(be)
  return {
    frontend: {
      dir: fe,
      packageManager: packageManager(fe),
      /** how the frontend image installs it (the build args build passes) */
      install,
      installFrom: installEvidence(fe, install),
      node: nodeVersion(fe),
      standalone: standaloneOutput(fe),
      health: frontendHealth(fe),
      betterAuth: betterAuth(fe),
      migrateScript: migrateScript(fe),
      /** the file calling betterAuth(), for Better Auth's own migration when the app ships none */
      authConfig: betterAuth(fe) ? authConfig(fe) : null,
      /** Neon's serverless driver in server code: FRONTEND_DB_DRIVER=neon */
      neonDriver: neonDriver(fe, betterAuth(fe) ? authConfig(fe)?.value.file : undefined),
      env: feReads,
      backendAccess: backendAccess(fe, feReads),
      /** server code asking the database for TLS (a pg Pool's `ssl:`) */
      databaseTls: databaseTls(fe),
      databaseUrlAppends: databaseUrlAppends(fe),
      /** a route that serves /.well-known/jwks.json (Better Auth serves /api/auth/jwks by itself) */
      wellKnownJwks: matches(fe, sourceFiles(fe, ['.ts', '.tsx', '.js', '.mjs']), /well-known\/jwks/)[0] ?? null,
    },
    backend: {
      dir: be,
      python: pythonVersion(be),
      deps: dependencyManager(be, depsSource),
      /** requirements.txt and pyproject.toml both list dependencies: which the image installs, and why */
      depsSource,
      asgi,
      /** of several FastAPI apps, the one the app's own start command (Dockerfile CMD, Procfile) serves */
      startedAsgi: startedApp(be, asgi),
      importRoot: importRoot(be),
      /** a src/ package installed without its subpackages (its setuptools packages list) */
      incompletePackage: incompletePackage(be),
      port,
      probes: probeRoutes(be),
      /** where a browser calling the backend directly is sent: the first segments of its routes */
      routePrefixes: routePrefixes(be),
      database: databaseDriver(be),
      jwks: jwksFetch(be),
      migrations: backendMigrations,
      /** foreign keys the backend's migrations make to Better Auth's tables, which the frontend's step creates */
      authTableRefs: authTableReferences(be, backendMigrations.value),
      /** tables the backend's Alembic chain changes and never creates: it cannot run on an empty database */
      uncreatedTables: tablesChangedNotCreated(be, backendMigrations.value),
      /** servers the code expects on localhost at another port: a process of their own, which no container runs */
      localServers: localServers(be, port?.value ?? 8000),
      /** its own start command (Dockerfile CMD, Procfile), and whether that runs Alembic */
      ownStart: ownStart(be),
      /** create_all in the app's own code beside its Alembic chain: the two race on a fresh database */
      createAllBesideAlembic: createAllBesideAlembic(be, backendMigrations.value),
      /** drop_all where it creates its tables: each start empties the database */
      tablesDropped: tablesDroppedAtStart(be),
      writes: fileWrites(be),
      /** code asking the database for TLS (connect_args sslmode/ssl) */
      databaseTls: databaseTls(be),
      databaseUrlAppends: databaseUrlAppends(be),
      env: pythonEnvReads(be),
    },
  }
}

export type AppFindings = ReturnType<typeof inspectApp>
