// One real app of ../shared/corpus through init and build as a new user runs them: the app copied unchanged to a temp
// dir, `init --app <copy> --env-path <tmp>/.env` (when init stops on two candidate directories, the init command its
// fix line prints), then `build --env-path <tmp>/.env --force` with LOAD_METHOD=none CLUSTER=existing (no cluster).
// Shared by `npm run bench:corpus` (a table of every app) and the images suite (a few apps, asserted).
import { execFile } from 'node:child_process'
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const root = path.resolve(import.meta.dirname, '../..')
export const defaultCorpus = path.join(root, '..', 'shared', 'corpus')

export type Component = 'frontend' | 'backend'
export type ImageResult = { ok: boolean; cause: string | null; fix: string | null }
export type CorpusRun = {
  app: string
  /** init's counts: open items and items needing support (null: not printed) */
  open: number | null
  support: number | null
  initError: string | null
  /** init first stopped with this cause, and the init command its fix line printed was run instead */
  initStopped: { cause: string; followed: string } | null
  initOut: string
  buildOut: string
  frontend: ImageResult
  backend: ImageResult
  buildSeconds: number
  /** the images build made (`<name>:<tag>`), for the caller to inspect and remove; neonProxy with FRONTEND_DB_DRIVER=neon */
  images: Record<Component, string | null> & { neonProxy?: string | null; migrate?: string | null }
}

/** the image names build gives an app's two images (FRONTEND_IMAGE / BACKEND_IMAGE) */
export const imageNames = (app: string): Record<Component, string> => ({
  frontend: `kit-corpus-${app}-frontend`,
  backend: `kit-corpus-${app}-backend`,
})

type Run = { code: number; stdout: string; stderr: string; ms: number }
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, env, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 })
    })
  })
}

// What build printed for each image: `✔ build <name>:<tag> (1m02s)`, or `✖ the <component> image did not build:
// <cause>` (the Python pin check's `✖ the app pins Python ...` and the wheel check's `✖ <package> <version> has no
// wheel for Python 3.X (…), the Python of PYTHON_IMAGE=…` are the backend's) and, a few lines on, `  fix: <fix>`.
export function buildResults(stderr: string, names: Record<Component, string>): Record<Component, ImageResult> {
  const lines = stderr.split('\n')
  const fixAfter = (i: number): string | null =>
    lines
      .slice(i + 1)
      .find((l) => /^\s+fix: /.test(l))
      ?.replace(/^\s+fix: /, '') ?? null
  const out = {} as Record<Component, ImageResult>
  for (const c of ['frontend', 'backend'] as const) {
    const ok = stderr.includes(`✔ build ${names[c]}:`) || new RegExp(`${names[c]}:h-\\w+ is up to date`).test(stderr)
    const i = lines.findIndex(
      (l) =>
        l.startsWith('✖ ') &&
        (l.includes(`the ${c} image`) ||
          (c === 'backend' && (l.includes('pins Python') || l.includes('the Python of PYTHON_IMAGE=')))),
    )
    const cause = i < 0 ? null : lines[i]!.slice(2).replace(`the ${c} image did not build: `, '')
    out[c] = { ok, cause: ok ? null : cause, fix: ok || i < 0 ? null : fixAfter(i) }
  }
  // a failure before either image (no docker, a bad .env) names neither: it is both images' cause
  const other = lines.findIndex((l) => l.startsWith('✖ '))
  for (const c of ['frontend', 'backend'] as const)
    if (!out[c].ok && !out[c].cause) {
      const cause = other < 0 ? 'not built (see the build output)' : lines[other]!.slice(2)
      out[c] = { ...out[c], cause, fix: other < 0 ? null : fixAfter(other) }
    }
  return out
}

const failure = (r: Run): string | null =>
  r.code === 0
    ? null
    : (r.stderr
        .split('\n')
        .find((l) => l.startsWith('✖ '))
        ?.slice(2) ?? `exit ${r.code}`)

/** corpus folders keep their read-only modes in the copy: make them writable to delete them */
function removeTree(dir: string): void {
  const writable = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false })
    if (!st || !st.isDirectory()) return
    chmodSync(p, st.mode | 0o700)
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) writable(path.join(p, e.name))
  }
  writable(dir)
  rmSync(dir, { recursive: true, force: true })
}

export async function initAndBuild(
  app: string,
  o: { corpus?: string; nodeImage: string; pythonImage: string; say?: (s: string) => void; build?: boolean },
): Promise<CorpusRun> {
  const say = o.say ?? (() => {})
  const tmp = mkdtempSync(path.join(os.tmpdir(), `kit-corpus-${app}-`))
  try {
    const copy = path.join(tmp, 'app')
    cpSync(path.join(o.corpus ?? defaultCorpus, app), copy, { recursive: true, verbatimSymlinks: true })
    // paths in what the kit prints, as a table shows them
    const shown = (s: string | null): string | null => (s === null ? null : s.replaceAll(copy, '<app>'))
    const envFile = path.join(tmp, '.env')
    // an explicit --env-path must exist (init never creates one); init adds its keys to it
    writeFileSync(envFile, '')
    const names = imageNames(app)
    const env = {
      ...process.env,
      NODE_IMAGE: o.nodeImage,
      PYTHON_IMAGE: o.pythonImage,
      LOAD_METHOD: 'none',
      CLUSTER: 'existing',
      FRONTEND_IMAGE: names.frontend,
      BACKEND_IMAGE: names.backend,
      FORCE_COLOR: '0',
      NO_COLOR: '1',
    }
    say(`${app}: init`)
    let init = await run(process.execPath, ['scripts/init.ts', '--app', copy, '--env-path', envFile], env)
    // two candidate directories: init names the flag to pass in its fix line; a new user runs that
    const stopped = failure(init)
    const retry = /fix: npx zx scripts\/init\.ts (.*--(?:frontend|backend) .*)$/m.exec(init.stderr)?.[1]
    let initStopped: CorpusRun['initStopped'] = null
    if (stopped && retry) {
      initStopped = { cause: shown(stopped)!, followed: shown(retry)! }
      say(`${app}: init stopped (${initStopped.cause}); running its fix: init ${initStopped.followed}`)
      init = await run(process.execPath, ['scripts/init.ts', ...retry.split(' '), '--env-path', envFile], env)
    }
    const counts = /(\d+) open item\(s\) and (\d+) needing support/.exec(init.stdout)
    const decided = init.stdout.includes('Everything was decided.')
    const notBuilt: ImageResult = { ok: false, cause: 'not built: init failed', fix: null }
    const result: CorpusRun = {
      app,
      open: counts ? Number(counts[1]) : decided ? 0 : null,
      support: counts ? Number(counts[2]) : decided ? 0 : null,
      initError: shown(failure(init)),
      initStopped,
      initOut: shown(init.stdout + init.stderr)!,
      buildOut: '',
      frontend: notBuilt,
      backend: notBuilt,
      buildSeconds: 0,
      images: { frontend: null, backend: null },
    }
    if (init.code !== 0 || o.build === false) return result
    say(`${app}: build (${o.nodeImage}, ${o.pythonImage})`)
    const b = await run(process.execPath, ['scripts/build.ts', '--env-path', envFile, '--force'], env)
    result.buildSeconds = Math.round(b.ms / 100) / 10
    result.buildOut = shown(b.stderr)!
    const r = buildResults(b.stderr, names)
    for (const c of ['frontend', 'backend'] as const) {
      result[c] = { ...r[c], cause: shown(r[c].cause), fix: shown(r[c].fix) }
      const tag = new RegExp(`✔ build (${names[c]}:h-\\w+)`).exec(b.stderr)?.[1]
      result.images[c] = tag ?? null
    }
    result.images.neonProxy = new RegExp(`✔ build (${names.frontend}-neon-proxy:h-\\w+)`).exec(b.stderr)?.[1] ?? null
    result.images.migrate = new RegExp(`✔ build (${names.frontend}-migrate:h-\\w+)`).exec(b.stderr)?.[1] ?? null
    return result
  } finally {
    removeTree(tmp)
  }
}
