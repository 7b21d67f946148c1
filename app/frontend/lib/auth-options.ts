// The one Better Auth configuration, shared by the running app and the migration (scripts/migrate.ts), so the tables
// the migration creates always match what the app expects. Everything comes from the environment at runtime: the same
// build runs on a laptop, in CI and in any cluster.
import type { BetterAuthOptions } from 'better-auth'
import { jwt } from 'better-auth/plugins/jwt'
import { Pool } from 'pg'
import { readAuthEnv } from './auth-env.ts'

export { ConfigError } from './auth-env.ts'

export function authOptions(env: Record<string, string | undefined> = process.env) {
  const { databaseUrl, secret, baseURL, trustedOrigins } = readAuthEnv(env)
  return {
    appName: 'Todo AI Chatbot',
    baseURL,
    secret,
    trustedOrigins,
    database: new Pool({ connectionString: databaseUrl, max: 10 }),
    emailAndPassword: { enabled: true, autoSignIn: true, minPasswordLength: 8 },
    telemetry: { enabled: false },
    plugins: [
      // The backend verifies these tokens against /api/auth/jwks: iss and aud are the public URL, sub the user id.
      jwt({ jwt: { issuer: baseURL, audience: baseURL, expirationTime: '15m' } }),
    ],
  } satisfies BetterAuthOptions
}
