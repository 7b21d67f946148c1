import { cache } from 'react'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { getSession } from './auth'

export const currentSession = cache(async () => getSession(await headers()))

/** The signed-in user, or a redirect to the sign-in page that comes back to `path` afterwards. */
export async function requireUser(path: string) {
  const session = await currentSession()
  if (!session) redirect(`/sign-in?next=${encodeURIComponent(path)}`)
  return session.user
}
