// Creates or updates Better Auth's tables (user, session, account, verification, jwks) in DATABASE_URL.
// Idempotent: a second run finds nothing to do. Bundled by scripts/finish-standalone.mjs into
// .next/standalone/migrate.mjs, so the built image runs it as `node migrate.mjs` with no node_modules.
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { authOptions, ConfigError } from '../lib/auth-options.ts'

const WAIT_FOR_DATABASE_MS = Number(process.env.MIGRATE_WAIT_SECONDS ?? 60) * 1000

function redact(url: string | undefined): string {
  if (!url) return '(unset)'
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}

async function waitForDatabase(pool: { query: (sql: string) => Promise<unknown> }): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_DATABASE_MS
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query('select 1')
      return
    } catch (err) {
      const reason = (err as Error).message
      if (Date.now() >= deadline) {
        throw new Error(`database ${redact(process.env.DATABASE_URL)} did not answer within ${WAIT_FOR_DATABASE_MS / 1000}s: ${reason}; fix: check DATABASE_URL and that PostgreSQL is running`)
      }
      if (attempt === 1 || attempt % 5 === 0) console.log(`migrate: waiting for the database (${reason})`)
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
}

async function main(): Promise<void> {
  const options = authOptions()
  const pool = options.database
  try {
    await waitForDatabase(pool)
    const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options)
    if (toBeCreated.length === 0 && toBeAdded.length === 0) {
      console.log('migrate: auth tables are up to date')
    } else {
      const created = toBeCreated.map((t) => t.table)
      const altered = toBeAdded.map((t) => `${t.table}(${Object.keys(t.fields).join(', ')})`)
      console.log(`migrate: creating [${created.join(', ')}]${altered.length ? `, adding columns ${altered.join(', ')}` : ''}`)
      await runMigrations()
      console.log('migrate: tables done')
    }
    // Create the JWT signing key now, once. Left to the first requests, several replicas (or parallel requests)
    // each create one, and the backend sees tokens from a key its cached JWKS does not have yet.
    const { keys } = await betterAuth(options).api.getJwks()
    console.log(`migrate: JWT signing keys ready (${keys.length})`)
  } finally {
    await pool.end()
  }
}

try {
  await main()
} catch (err) {
  console.error(`migrate: failed: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? err)}`)
  process.exitCode = 1
}
