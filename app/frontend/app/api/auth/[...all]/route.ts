import { ConfigError } from '@/lib/auth-options'
import { getAuth } from '@/lib/auth'

export const dynamic = 'force-dynamic'

async function handle(request: Request): Promise<Response> {
  try {
    return await getAuth().handler(request)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`auth: ${err.message}`)
      return Response.json({ error: 'auth_not_configured', detail: err.message }, { status: 500 })
    }
    throw err
  }
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE }
