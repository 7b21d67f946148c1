// Starts the real reference app for the browser test: PostgreSQL (test/support/postgres.sh) with a fresh database,
// the backend (uvicorn from app/backend/.venv) and the built frontend (node server.js from a copy of its standalone
// output, so nothing resolves from app/frontend/node_modules). Installs and builds what is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createTestDatabase } from '../../support/test-database.ts'

export const repo = resolve(import.meta.dirname, '../../..')
export const frontendDir = join(repo, 'app/frontend')
export const backendDir = join(repo, 'app/backend')
export const outputDir = join(repo, 'test-output/frontend')

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; what: string; fix: string },
): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n')
    throw new Error(
      `${opts.what} failed (${cmd} ${args.join(' ')} in ${opts.cwd}, exit ${r.status ?? r.error}):\n${out}\nfix: ${opts.fix}`,
    )
  }
  return r.stdout.trim()
}

function newestMtime(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** npm ci when node_modules is missing; npm run build when the standalone output is missing or older than the source. */
export function ensureFrontendBuild(): string {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }
  if (!existsSync(join(frontendDir, 'node_modules/next/package.json'))) {
    run('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: frontendDir,
      env,
      what: 'installing the frontend',
      fix: 'cd app/frontend && npm ci',
    })
  }
  const standalone = join(frontendDir, '.next/standalone')
  const built = join(standalone, 'migrate.mjs') // written last by the build
  const sources = [
    'app',
    'components',
    'lib',
    'scripts',
    'public',
    'next.config.ts',
    'package-lock.json',
    'tsconfig.json',
  ]
    .map((p) => join(frontendDir, p))
    .filter(existsSync)
  const stale =
    !existsSync(built) ||
    !existsSync(join(standalone, 'server.js')) ||
    Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs
  if (stale)
    run('npm', ['run', 'build'], {
      cwd: frontendDir,
      env,
      what: 'building the frontend',
      fix: 'cd app/frontend && npm run build',
    })
  return standalone
}

/** The backend's virtualenv, created with uv from its lock file when missing. */
export function ensureBackendVenv(): string {
  const venv = join(backendDir, '.venv')
  if (!existsSync(join(venv, 'bin/uvicorn'))) {
    const hasUv = spawnSync('uv', ['--version']).status === 0
    if (!hasUv)
      run('python3', ['-m', 'pip', 'install', '--quiet', 'uv'], {
        cwd: repo,
        what: 'installing uv',
        fix: 'python3 -m pip install uv',
      })
    const uv = hasUv ? ['uv'] : ['python3', '-m', 'uv']
    run(uv[0]!, [...uv.slice(1), 'sync', '--frozen'], {
      cwd: backendDir,
      what: 'creating the backend virtualenv',
      fix: 'cd app/backend && uv sync --frozen',
    })
  }
  return venv
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolvePort(port))
    })
  })
}

export async function waitForHttp(
  url: string,
  proc: ChildProcess,
  name: string,
  logFile: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`${name} exited with code ${proc.exitCode} before answering ${url}; see ${logFile}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return
      last = `HTTP ${res.status}`
    } catch (err) {
      last = String((err as Error).cause ?? err)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000}s (last: ${last}); see ${logFile}`)
}

export interface Stack {
  frontendUrl: string
  backendUrl: string
  backendPort: number
  /** Stops the backend only, to see how the frontend copes without it. */
  stopBackend: () => Promise<void>
  stop: () => Promise<void>
}

// Only what the apps need: no OPENAI_API_KEY from the developer's shell (the deterministic agent must answer).
function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE']
  return Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]))
}

export async function startStack(): Promise<Stack> {
  mkdirSync(outputDir, { recursive: true })
  const standalone = ensureFrontendBuild()
  const venv = ensureBackendVenv()

  const db = createTestDatabase('fe_browser')

  const [frontendPort, backendPort] = [await freePort(), await freePort()]
  const frontendUrl = `http://127.0.0.1:${frontendPort}`
  const backendUrl = `http://127.0.0.1:${backendPort}`

  // A copy proves the standalone output is self-contained (node would otherwise find app/frontend/node_modules).
  const appDir = mkdtempSync(join(tmpdir(), 'todo-frontend-'))
  cpSync(standalone, appDir, { recursive: true })

  const frontendEnv = {
    ...baseEnv(),
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(frontendPort),
    HOSTNAME: '127.0.0.1',
    DATABASE_URL: db.url,
    BETTER_AUTH_SECRET: `browser-test-secret-${process.pid}-${Date.now()}-padding-to-length`,
    BETTER_AUTH_URL: frontendUrl,
    BETTER_AUTH_TRUSTED_ORIGINS: `http://localhost:${frontendPort}`,
    BACKEND_URL: backendUrl,
  }
  const backendEnv = {
    ...baseEnv(),
    DATABASE_URL: db.url,
    JWKS_URL: `${frontendUrl}/api/auth/jwks`,
    JWT_ISSUER: frontendUrl,
    JWT_AUDIENCE: frontendUrl,
    PORT: String(backendPort),
    LOG_LEVEL: 'INFO',
  }

  // The same two migrations the chart's Job runs, each twice: they must be idempotent.
  for (let i = 0; i < 2; i++) {
    run('node', ['migrate.mjs'], {
      cwd: appDir,
      env: frontendEnv,
      what: 'the frontend auth migration',
      fix: 'cd app/frontend && npm run build',
    })
    run(join(venv, 'bin/python'), ['-m', 'app.migrate'], {
      cwd: backendDir,
      env: backendEnv,
      what: 'the backend migration',
      fix: 'bash app/backend/scripts/test.sh',
    })
  }

  const procs: ChildProcess[] = []
  const start = (name: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) => {
    const logFile = join(outputDir, `${name}.log`)
    const log = createWriteStream(logFile)
    const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    proc.stdout!.pipe(log)
    proc.stderr!.pipe(log)
    procs.push(proc)
    return { proc, logFile }
  }
  const backend = start(
    'backend',
    join(venv, 'bin/uvicorn'),
    ['app.main:app', '--host', '127.0.0.1', '--port', String(backendPort)],
    backendDir,
    backendEnv,
  )
  const frontend = start('frontend', 'node', ['server.js'], appDir, frontendEnv)

  const end = (p: ChildProcess) =>
    new Promise<void>((done) => {
      if (p.exitCode !== null || p.signalCode !== null) return done()
      p.once('exit', () => done())
      p.kill('SIGTERM')
      setTimeout(() => p.exitCode === null && p.kill('SIGKILL'), 5000).unref()
    })
  const stop = async () => {
    await Promise.all(procs.map(end))
    rmSync(appDir, { recursive: true, force: true })
    db.drop()
  }

  try {
    await waitForHttp(`${backendUrl}/health`, backend.proc, 'backend', backend.logFile)
    await waitForHttp(`${frontendUrl}/api/health`, frontend.proc, 'frontend', frontend.logFile)
  } catch (err) {
    await stop()
    throw err
  }
  return { frontendUrl, backendUrl, backendPort, stopBackend: () => end(backend.proc), stop }
}
