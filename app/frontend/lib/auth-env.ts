// Reads and checks the auth settings from the environment. No imports: shared by the app, the migration and tests.

export class ConfigError extends Error {}

export interface AuthEnv {
  databaseUrl: string
  secret: string
  baseURL: string
  trustedOrigins: string[]
}

const FIX_SECRET = 'export BETTER_AUTH_SECRET=$(openssl rand -base64 32)'

function required(env: Record<string, string | undefined>, name: string, fix: string): string {
  const value = env[name]?.trim()
  if (!value) throw new ConfigError(`${name} is not set; fix: ${fix}`)
  return value
}

/** The public origin first, then BETTER_AUTH_TRUSTED_ORIGINS (comma list), without duplicates or trailing slashes. */
export function trustedOrigins(baseURL: string, list: string | undefined): string[] {
  const extra = (list ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean)
  return [...new Set([new URL(baseURL).origin, ...extra])]
}

export function readAuthEnv(env: Record<string, string | undefined>): AuthEnv {
  const databaseUrl = required(env, 'DATABASE_URL', 'export DATABASE_URL=postgresql://user:pass@host:5432/db')
  const secret = required(env, 'BETTER_AUTH_SECRET', FIX_SECRET)
  if (secret.length < 32) throw new ConfigError(`BETTER_AUTH_SECRET is shorter than 32 characters; fix: ${FIX_SECRET}`)
  const rawUrl = required(env, 'BETTER_AUTH_URL', 'export BETTER_AUTH_URL=http://localhost:3000 (the URL people open)')
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw new ConfigError(`BETTER_AUTH_URL is not a URL (${rawUrl}); fix: set it to the public URL, e.g. http://todo.local`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`BETTER_AUTH_URL must be http(s) (${rawUrl}); fix: set it to the public URL, e.g. http://todo.local`)
  }
  const baseURL = rawUrl.replace(/\/+$/, '')
  return { databaseUrl, secret, baseURL, trustedOrigins: trustedOrigins(baseURL, env.BETTER_AUTH_TRUSTED_ORIGINS) }
}
