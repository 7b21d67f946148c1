import { betterAuth } from 'better-auth'
import { authOptions } from './auth-options'

function createAuth() {
  return betterAuth(authOptions())
}

let instance: ReturnType<typeof createAuth> | undefined

// Built on first use, not at import: `next build` imports route modules, and the environment (database, secret,
// public URL) only exists where the app runs.
export function getAuth() {
  instance ??= createAuth()
  return instance
}

export async function getSession(headers: Headers) {
  return getAuth().api.getSession({ headers })
}

/** A short-lived JWT for the signed-in user, or null when there is no session. */
export async function getBackendToken(headers: Headers): Promise<string | null> {
  try {
    const { token } = await getAuth().api.getToken({ headers })
    return token ?? null
  } catch (err) {
    const status = (err as { statusCode?: number; status?: unknown }).statusCode
    if (status === 401 || (err as { status?: unknown }).status === 'UNAUTHORIZED') return null
    throw err
  }
}
