// Code that asks the database for TLS. Apps written for a hosted PostgreSQL often say so in code rather than in
// DATABASE_URL: a pg Pool built with `ssl: { rejectUnauthorized: false }`, SQLAlchemy's connect_args with
// `"sslmode": "require"` or asyncpg's `"ssl": "require"` / `True`. A server without a certificate refuses them all
// ("The server does not support SSL connections"), so init turns on the in-cluster PostgreSQL's TLS
// (postgresql.tls.enabled); plain connections keep working beside it.
import { matches, sourceFiles, type Evidence } from './source.ts'

// a JS client option: `ssl: { ... }`, `ssl: true`, `ssl: "require"` (not a conditional expression)
const JS_SSL = /\bssl\s*:\s*(?:\{|true\b|["'](?:require|prefer|verify-ca|verify-full)["'])/
// Python: {"sslmode": "require"}, connect_args["ssl"] = "require", {"ssl": True}, ssl=True in a connect call
const PY_SSL =
  /["'](?:ssl|sslmode)["']\s*\]?\s*[:=]\s*(?:True\b|["'](?:require|prefer|verify-ca|verify-full)["'])|\b(?:create_engine|create_async_engine|connect|create_pool)\([^)]*\bssl\s*=\s*(?:True\b|["']require["'])/

/** The lines of the app's JS/TS and Python sources that match each language's pattern (file:line). */
function codeLines(dir: string, js: RegExp, py: RegExp): Evidence[] {
  const hits = [
    ...matches(dir, sourceFiles(dir, ['.ts', '.tsx', '.js', '.mjs', '.cjs']), js),
    ...matches(dir, sourceFiles(dir, ['.py']), py),
  ]
  return hits.map(({ file, line, text }) => ({ file, line, text }))
}

/** Where the app's own code asks its database connection for TLS (file:line), in JS/TS and Python sources. */
export function databaseTls(dir: string): Evidence[] {
  return codeLines(dir, JS_SSL, PY_SSL)
}

// DATABASE_URL + "&connect_timeout=10": code written for a hosted database's URL, which always carries a query string
const JS_APPEND = /process\.env\.DATABASE_URL\s*\+\s*[`'"]&|\$\{\s*process\.env\.DATABASE_URL\s*\}&/
const PY_APPEND =
  /(?:os\.environ\[\s*["']DATABASE_URL["']\s*\]|os\.(?:environ\.get|getenv)\(\s*["']DATABASE_URL["'][^)]*\))\s*\+\s*f?["']&/

/** Where the apps' code appends `&name=value` to DATABASE_URL (so the URL it is given must have a query string). */
export function databaseUrlAppends(dir: string): Evidence[] {
  return codeLines(dir, JS_APPEND, PY_APPEND)
}
