// A fresh, uniquely named database on the throwaway test server (test/support/postgres.sh), so suites and
// parallel runs never see each other's rows. drop() removes it, even with connections still open.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

const script = path.resolve(import.meta.dirname, 'postgres.sh')

export type TestDatabase = { name: string; url: string; drop(): void }

function psql(url: string, sql: string): void {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'] })
}

export function createTestDatabase(prefix: string): TestDatabase {
  let serverUrl: string
  try {
    serverUrl = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (e) {
    throw new Error(
      `could not start the test PostgreSQL (${(e as Error).message.trim()}); fix: bash test/support/postgres.sh`,
    )
  }
  const name = `${prefix}_${process.pid}_${Date.now()}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase()
  psql(serverUrl, `CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.href,
    drop: () => {
      try {
        psql(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } catch {
        // the server may already be gone at teardown; the data dir is throwaway anyway
      }
    },
  }
}
