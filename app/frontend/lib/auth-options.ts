// The one Better Auth configuration, shared by the running app and the migration (scripts/migrate.ts), so the tables
// the migration creates always match what the app expects. Everything comes from the environment at runtime: the same
// build runs on a laptop, in CI and in any cluster.
import type { BetterAuthOptions } from 'better-auth'
import { jwt } from 'better-auth/plugins/jwt'
import { Pool } from 'pg'

export class ConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string, fix: string): string {
  const value = env[name]?.trim()
  if (!value) throw new ConfigError(`${name} is not set; fix: ${fix}`)
  return value
}

export function trustedOrigins(baseURL: string, list: string | undefined): string[] {
  const extra = (list ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean)
  return [...new Set([new URL(baseURL).origin, ...extra])]
}

export function authOptions(env: NodeJS.ProcessEnv = process.env) {
  const databaseUrl = required(env, 'DATABASE_URL', 'export DATABASE_URL=postgresql://user:pass@host:5432/db')
  const secret = required(env, 'BETTER_AUTH_SECRET', 'export BETTER_AUTH_SECRET=$(openssl rand -base64 32)')
  if (secret.length < 32) throw new ConfigError('BETTER_AUTH_SECRET is shorter than 32 characters; fix: export BETTER_AUTH_SECRET=$(openssl rand -base64 32)')
  const baseURL = required(env, 'BETTER_AUTH_URL', 'export BETTER_AUTH_URL=http://localhost:3000 (the URL people open)').replace(/\/+$/, '')

  return {
    appName: 'Todo AI Chatbot',
    baseURL,
    secret,
    trustedOrigins: trustedOrigins(baseURL, env.BETTER_AUTH_TRUSTED_ORIGINS),
    database: new Pool({ connectionString: databaseUrl, max: 10 }),
    emailAndPassword: { enabled: true, autoSignIn: true, minPasswordLength: 8 },
    telemetry: { enabled: false },
    plugins: [
      // The backend verifies these tokens against /api/auth/jwks: iss and aud are the public URL, sub the user id.
      jwt({ jwt: { issuer: baseURL, audience: baseURL, expirationTime: '15m' } }),
    ],
  } satisfies BetterAuthOptions
}
