// What a Next.js frontend declares: its package manager, Node version, output mode, health route, auth library and
// how the browser reaches the backend (through the frontend, or straight to a URL baked in at build time).
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { EnvRead } from './env-reads.ts'
import { evidence, matches, readText, sourceFiles, type Evidence, type Finding } from './source.ts'

type Pkg = { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; engines?: { node?: string }; packageManager?: string }

function pkg(dir: string): { json: Pkg; text: string } | null {
  const text = readText(dir, 'package.json')
  if (text === null) return null
  try {
    return { json: JSON.parse(text) as Pkg, text }
  } catch {
    return null
  }
}
const at = (text: string, needle: RegExp, file = 'package.json'): Evidence => evidence(file, text, Math.max(0, text.search(needle)))

export function isNextApp(dir: string): boolean {
  const p = pkg(dir)
  return Boolean(p && ('next' in (p.json.dependencies ?? {}) || 'next' in (p.json.devDependencies ?? {})))
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'yarn-berry' | 'bun' | 'none'

export function packageManager(dir: string): Finding<PackageManager> | null {
  const locks: [string, PackageManager][] = [['package-lock.json', 'npm'], ['npm-shrinkwrap.json', 'npm'], ['pnpm-lock.yaml', 'pnpm'], ['yarn.lock', 'yarn'], ['bun.lock', 'bun'], ['bun.lockb', 'bun']]
  for (const [file, pm] of locks) {
    if (!existsSync(path.join(dir, file))) continue
    const text = readText(dir, file) ?? ''
    // yarn berry's lock starts with __metadata; the image builds yarn classic and berry by packageManager
    const value = pm === 'yarn' && /__metadata:/.test(text) ? 'yarn-berry' : pm
    return { value, from: [evidence(file, text.slice(0, 2000), 0)] }
  }
  return null
}

/** the major version to build with, or only a lower bound the default image already meets */
export type NodeVersion = { major: number; exact: boolean; spec: string }

export function nodeVersion(dir: string): Finding<NodeVersion> | null {
  for (const file of ['.nvmrc', '.node-version']) {
    const text = readText(dir, file)
    const m = text && /^[ \t]*v?(\d+)/m.exec(text)
    if (text && m) return { value: { major: Number(m[1]), exact: true, spec: text.trim() }, from: [evidence(file, text, m.index)] }
  }
  const p = pkg(dir)
  const spec = p?.json.engines?.node
  if (p && spec) {
    const exact = /^\s*(?:\^|~|=)?\s*v?(\d+)(?:\.[\dx*]+)*\s*$/.exec(spec) ?? /^\s*v?(\d+)\.x\s*$/.exec(spec)
    const lower = />=?\s*v?(\d+)/.exec(spec)
    const m = exact ?? lower
    if (m) return { value: { major: Number(m[1]), exact: Boolean(exact), spec }, from: [at(p.text, /"node"\s*:/)] }
  }
  return null
}

const NEXT_CONFIGS = ['next.config.ts', 'next.config.mjs', 'next.config.js', 'next.config.cjs', 'next.config.mts']
const nextConfig = (dir: string): { file: string; text: string } | null => {
  for (const file of NEXT_CONFIGS) {
    const text = readText(dir, file)
    if (text !== null) return { file, text }
  }
  return null
}

export function standaloneOutput(dir: string): Finding<boolean> {
  const c = nextConfig(dir)
  // in code only: a comment that mentions `output: "standalone"` (e.g. to say the app does not use it) decides nothing
  const m = c && /output\s*:\s*["']standalone["']/.exec(blankComments(c.text))
  if (c && m) return { value: true, from: [evidence(c.file, c.text, m.index)] }
  return { value: false, from: c ? [evidence(c.file, c.text, 0)] : [] }
}

/** JS/TS comments replaced by spaces (newlines kept), so offsets and lines stay those of the file */
function blankComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|(^|[^:"'`\\])\/\/[^\n]*/g, (m, pre: string | undefined) =>
    (pre ?? '') + m.slice((pre ?? '').length).replace(/[^\n]/g, ' '))
}

export function frontendHealth(dir: string): Finding<string> | null {
  for (const base of ['app', 'src/app']) {
    for (const name of ['health', 'healthz']) {
      for (const ext of ['ts', 'js', 'tsx', 'jsx']) {
        const file = `${base}/api/${name}/route.${ext}`
        const text = readText(dir, file)
        const m = text && /export\s+(?:async\s+)?(?:function\s+GET|const\s+GET)/.exec(text)
        if (text && m) return { value: `/api/${name}`, from: [evidence(file, text, m.index)] }
      }
    }
  }
  for (const file of ['pages/api/health.ts', 'pages/api/health.js', 'src/pages/api/health.ts', 'src/pages/api/health.js']) {
    const text = readText(dir, file)
    if (text !== null) return { value: '/api/health', from: [evidence(file, text, 0)] }
  }
  return null
}

export function betterAuth(dir: string): Finding<true> | null {
  const p = pkg(dir)
  if (!p || !('better-auth' in { ...p.json.dependencies, ...p.json.devDependencies })) return null
  return { value: true, from: [at(p.text, /"better-auth"/)] }
}

export function migrateScript(dir: string): Finding<string> | null {
  const text = readText(dir, 'migrate.mjs')
  return text === null ? null : { value: 'migrate.mjs', from: [evidence('migrate.mjs', text, 0)] }
}

/** Better Auth's CLI looks for its config at these paths (then under src/, app/, server/...): the same order first */
const AUTH_CONFIG_PATHS = ['auth', 'utils/auth', 'lib/auth', 'src/auth', 'src/utils/auth', 'src/lib/auth', 'app/lib/auth', 'server/auth', 'server/utils/auth']
  .flatMap((base) => ['ts', 'tsx', 'js', 'jsx', 'mjs'].map((ext) => `${base}.${ext}`))

export type AuthConfig = {
  /** the file that calls betterAuth(), relative to the app dir */
  file: string
  /** it exports the instance as `auth` or default, which the CLI needs */
  exported: boolean
  /** the ORM adapter it hands Better Auth, when not a plain connection: Better Auth's migrate creates nothing for these */
  ormAdapter: 'drizzle' | 'prisma' | null
}

/** the app's Better Auth configuration: the file that calls betterAuth(), the CLI's default paths first */
export function authConfig(dir: string): Finding<AuthConfig> | null {
  const call = /\bbetterAuth\s*\(/
  const listed = sourceFiles(dir, ['.ts', '.tsx', '.js', '.jsx', '.mjs'])
  const ordered = [...AUTH_CONFIG_PATHS.filter((f) => listed.includes(f)), ...listed.filter((f) => !AUTH_CONFIG_PATHS.includes(f)).sort()]
  for (const file of ordered) {
    const hit = matches(dir, [file], call)[0]
    if (!hit) continue
    const text = readText(dir, file) ?? ''
    const exported = /export\s+(?:const|let|var)\s+auth\b|export\s+default\b|export\s*\{[^}]*\bauth\b[^}]*\}/.test(text)
    const orm = /\b(drizzle|prisma)Adapter\s*\(/.exec(text)?.[1] as 'drizzle' | 'prisma' | undefined
    return { value: { file, exported, ormAdapter: orm ?? null }, from: [hit] }
  }
  return null
}

export type NeonDriver = {
  /** the server file that imports the driver: the auth config when it does, else the first other one */
  file: string
  /** neon() sends each query over HTTPS (/sql); Pool and Client tunnel the wire protocol through a WebSocket (/v2) */
  modes: ('http' | 'websocket')[]
}

const NEON_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']@neondatabase\/serverless["']/m

/**
 * Neon's serverless driver in the server code: package.json depends on @neondatabase/serverless and a source file
 * imports it (a dependency nothing imports decides nothing). It never speaks PostgreSQL's protocol on a TCP port, so
 * the in-cluster database needs the kit's neon-proxy in front of it.
 */
export function neonDriver(dir: string, authFile?: string): Finding<NeonDriver> | null {
  const p = pkg(dir)
  if (!p || !('@neondatabase/serverless' in { ...p.json.dependencies, ...p.json.devDependencies })) return null
  const hits = matches(dir, sourceFiles(dir, ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs']), NEON_IMPORT)
  // the file that builds Better Auth's database first (the auth config, or a module it imports), then a shared module
  // (lib/db.ts) over a route that imports the driver itself, then anything in a folder over a loose script at the top
  const fromAuth = authFile ? importedBy(dir, authFile) : []
  const hit =
    hits.find((h) => h.file === authFile) ??
    hits.find((h) => fromAuth.includes(h.file)) ??
    hits.find((h) => h.file.includes('/') && !/^(src\/)?(app|pages)\//.test(h.file)) ??
    hits.find((h) => h.file.includes('/')) ??
    hits[0]
  if (!hit) return null
  const text = readText(dir, hit.file) ?? ''
  const modes: NeonDriver['modes'] = []
  if (/\bneon\s*[(<]/.test(text)) modes.push('http')
  if (/\bnew\s+(?:Pool|Client)\s*[(<]/.test(text)) modes.push('websocket')
  return { value: { file: hit.file, modes }, from: [hit, at(p.text, /"@neondatabase\/serverless"/)] }
}

/** the app's own modules a file imports (relative paths and the "@/" alias), as paths relative to the app dir */
function importedBy(dir: string, file: string): string[] {
  const text = readText(dir, file) ?? ''
  const out: string[] = []
  for (const m of text.matchAll(/\bfrom\s*["']((?:\.{1,2}|@)\/[^"']+)["']/g)) {
    const spec = m[1]!
    const bases = spec.startsWith('@/')
      ? [spec.slice(2), `src/${spec.slice(2)}`]
      : [path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))]
    for (const b of bases)
      for (const ext of ['', '.ts', '.tsx', '.js', '.mjs', '/index.ts', '/index.js']) out.push(`${b}${ext}`)
  }
  return out
}

/**
 * next.config rewrites the app's own code goes through to reach the backend: `<prefix>/:path*` on the frontend to
 * `<destination><strip>/:path*`, with the destination fixed by `next build` (a URL, or one read from a variable then).
 * Only a rewrite whose prefix the app's code names (`${window.location.origin}/backend`, `fetch("/api/tasks")`) counts:
 * that is the way its task list and chat travel, so init routes it and the journey goes that way too; one nothing
 * names changes nothing the app does.
 */
export type BackendRewrite = { prefix: string; strip: string; destination: string; variable: string | null; from: Evidence }

// a line comment may sit between the two (sammar-13: `// Using lowercase for HF Space URL as is standard`)
const REWRITE_PAIR =
  /source\s*:\s*(['"`])(\/[^'"`]*?)\/:path\*\1\s*,(?:\s*\/\/[^\n]*)*\s*destination\s*:\s*(['"`])([^'"`]*?)\/:path\*\3/

export function backendRewrites(dir: string): BackendRewrite[] {
  const c = nextConfig(dir)
  if (!c || !/\brewrites\s*[(:]/.test(c.text)) return []
  const files = sourceFiles(dir, ['.ts', '.tsx', '.js', '.jsx', '.mjs']).filter((f) => !NEXT_CONFIGS.includes(f))
  const out: BackendRewrite[] = []
  for (const h of matches(dir, [c.file], REWRITE_PAIR)) {
    const [, prefix = '', , dest = ''] = h.groups
    // to another server: an absolute URL, or one from a variable (`${backendUrl}/...`); a path is the app's own route
    const m = /^(https?:\/\/[^/]+|\$\{[^}]+\})(\/.*)?$/.exec(dest)
    if (!m || !prefix || prefix === '/') continue
    const quoted = new RegExp(`[\`'"/}]${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[\`'"/?])`)
    if (!matches(dir, files, quoted).length) continue
    // a destination built from a variable of the config (`${backendUrl}`): the variable read there; a literal has none
    const variable =
      /process\.env\.([A-Z_][A-Z0-9_]*)/.exec(dest)?.[1] ??
      (dest.startsWith('${') ? (/process\.env\.([A-Z_][A-Z0-9_]*)/.exec(c.text)?.[1] ?? null) : null)
    out.push({ prefix, strip: m[2] ?? '', destination: `${dest}/:path*`, variable, from: { file: h.file, line: h.line, text: h.text } })
  }
  return out
}

/** the rewrite the journey takes to the backend, as the app's pages do */
export const backendRewrite = (dir: string): BackendRewrite | null => backendRewrites(dir)[0] ?? null

export type BackendAccess =
  /** the server side fetches the backend at a URL from this runtime variable (route handler, server action) */
  | { how: 'proxy'; variable: string; from: Evidence[] }
  /** next.config rewrites: evaluated by `next build`, so the destination is fixed in the image */
  | { how: 'rewrites'; variable: string | null; destination: string; prefix: string; from: Evidence[] }
  /** the browser calls the backend at a URL baked into the bundle at build time */
  | { how: 'direct'; variable: string; from: Evidence[] }

const BACKEND_VAR = /(BACKEND|API|FASTAPI|SERVER)_?(BASE_)?(URL|URI|HOST|ORIGIN|BASE|ENDPOINT)|^NEXT_PUBLIC_API$/
const AUTH_VAR = /AUTH|APP_URL|SITE_URL/

export function backendAccess(dir: string, reads: EnvRead[]): BackendAccess[] {
  const out: BackendAccess[] = []
  for (const r of backendRewrites(dir)) out.push({ how: 'rewrites', variable: r.variable, destination: r.destination, prefix: r.prefix, from: [r.from] })
  for (const r of reads) {
    if (!BACKEND_VAR.test(r.name) || AUTH_VAR.test(r.name)) continue
    const from = r.from.filter((e) => !NEXT_CONFIGS.includes(e.file))
    if (!from.length) continue
    if (r.kind === 'build') out.push({ how: 'direct', variable: r.name, from })
    else out.push({ how: 'proxy', variable: r.name, from })
  }
  return out
}
