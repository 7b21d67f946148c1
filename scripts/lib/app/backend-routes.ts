// The backend's GET routes, as the decorators declare them, and which of them a probe can use. Router prefixes are
// followed when they are plain string literals: APIRouter(prefix="/x") and include_router(module.router, prefix="/y").
import path from 'node:path'
import { matches, sourceFiles, type Finding, type Hit } from './source.ts'

const HEALTH = /(^|\/)(health|healthz|healthcheck|livez|live|liveness|alive|ping)$/i
const READY = /(^|\/)(ready|readyz|readiness)$/i

export function getRoutes(dir: string): Finding<string>[] {
  return routes(dir, 'get|head|api_route')
}

export function routePrefixes(dir: string): Finding<string>[] {
  const out = new Map<string, Finding<string>>()
  for (const r of routes(dir, 'get|head|post|put|patch|delete|options|api_route')) {
    const first = /^\/[^/]+/.exec(r.value)?.[0]
    // a browser calls the API, not the probes; /docs and /openapi.json are the backend's own pages
    if (!first || HEALTH.test(r.value) || READY.test(r.value) || /^\/(docs|redoc|openapi\.json)$/.test(first)) continue
    // a path parameter (`/{user_id}/chat` on a router without a prefix) matches any first segment: no prefix to route
    if (first.includes('{')) continue
    if (!out.has(first)) out.set(first, { value: first, from: r.from })
  }
  return [...out.values()].sort((a, b) => a.value.localeCompare(b.value))
}

function routes(dir: string, methods: string): Finding<string>[] {
  const files = sourceFiles(dir, ['.py'])
  // prefixes given where a router is made, and where a module's router is included
  const ownPrefix = new Map<string, string>() // "file#var" → prefix
  for (const h of matches(dir, files, /^([A-Za-z_]\w*)\s*=\s*(?:fastapi\.)?APIRouter\(([^)]*)\)/m))
    ownPrefix.set(`${h.file}#${h.groups[0]}`, /prefix\s*=\s*["']([^"']*)["']/.exec(h.groups[1]!)?.[1] ?? '')
  const includePrefix = new Map<string, string>() // "module.var" or "var" → prefix
  for (const h of matches(dir, files, /include_router\(\s*([\w.]+)\s*(?:,\s*prefix\s*=\s*["']([^"']*)["'])?/))
    includePrefix.set(h.groups[0]!, h.groups[1] ?? '')
  const prefixOf = (h: Hit, v: string): string => {
    const own = ownPrefix.get(`${h.file}#${v}`) ?? ''
    const mod = path.basename(h.file, '.py')
    const inc = includePrefix.get(`${mod}.${v}`) ?? includePrefix.get(v) ?? ''
    return inc + own
  }
  return matches(dir, files, new RegExp(`^[ \\t]*@([A-Za-z_]\\w*)\\.(?:${methods})\\(\\s*(?:path\\s*=\\s*)?["']([^"']*)["']`, 'm')).map((h) => {
    const [v, p] = h.groups as [string, string]
    const full = prefixOf(h, v) + p
    return { value: full.replace(/\/+$/, '') || '/', from: [h] }
  })
}

export type ProbeRoutes = {
  health: Finding<string>[]
  ready: Finding<string>[]
  /** /docs and /openapi.json, unless FastAPI(docs_url=None / openapi_url=None) turns them off */
  docs: string | null
  openapi: string | null
}

export function probeRoutes(dir: string): ProbeRoutes {
  const routes = getRoutes(dir)
  const app = matches(dir, sourceFiles(dir, ['.py']), /FastAPI\(([^)]*)\)/)
  const off = (kw: string): boolean => app.some((h) => new RegExp(`${kw}\\s*=\\s*None`).test(h.groups[0]!))
  return {
    health: routes.filter((r) => HEALTH.test(r.value)),
    ready: routes.filter((r) => READY.test(r.value)),
    docs: off('docs_url') || off('openapi_url') ? null : '/docs',
    openapi: off('openapi_url') ? null : '/openapi.json',
  }
}
