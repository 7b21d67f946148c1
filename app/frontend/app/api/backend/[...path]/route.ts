import { getBackendToken } from '@/lib/auth'
import { proxyToBackend } from '@/lib/backend-proxy'

export const dynamic = 'force-dynamic'

type Context = { params: Promise<{ path: string[] }> }

async function handle(request: Request, { params }: Context): Promise<Response> {
  const { path } = await params
  return proxyToBackend(request, path, { backendUrl: process.env.BACKEND_URL, getToken: getBackendToken })
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE }
