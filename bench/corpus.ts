// npm run bench:corpus — init and build on every real app of ../shared/corpus, as a new user would run them: each app
// copied unchanged to a temp dir, `init --app <copy> --env-path <tmp>/.env` (when init stops on two candidate
// directories, the init command its fix line prints), then `build --env-path <tmp>/.env`.
// Prints one row per app: init's open items, each image's result (ok, or the cause line build printed), the bytes
// each built image adds over its base image, and the build's wall time. Asserts nothing.
//   node bench/corpus.ts [--only <app>] [--json] [--corpus <dir>] [--fonts-standin]
// --fonts-standin: next/font/google's downloads during `next build` are answered by a stand-in base image
// (test/support/google-fonts-standin.ts: next/font's own test hook; webpack builds only) instead of failing where
// fonts.googleapis.com is unreachable, so the rest of each build is measured; without it, those builds stop at the
// font with the kit's one-line cause.
// Base images: $NODE_IMAGE / $PYTHON_IMAGE, else the local stand-ins when present (../shared/rig/base-images.sh),
// else the public defaults. LOAD_METHOD=none CLUSTER=existing: no cluster is involved.
// Images are named kit-corpus-<app>-frontend/-backend and removed at the end, with the temp dirs (Ctrl-C finishes the
// app in progress, then cleans up); each build's whole log stays in .cache/build-logs/kit-corpus-<app>-<component>.log
// (git-ignored) to read afterwards. BuildKit's cache stays: `docker builder prune` frees it.
import { execFile } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fontsStandinImage } from '../test/support/google-fonts-standin.ts'

const root = path.resolve(import.meta.dirname, '..')
const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    json: { type: 'boolean' },
    corpus: { type: 'string' },
    'fonts-standin': { type: 'boolean' },
  },
  strict: true,
})
const corpus = path.resolve(flags.corpus ?? path.join(root, '..', 'shared', 'corpus'))
const say = (s: string): void => void process.stderr.write(`[bench:corpus] ${s}\n`)

type Run = { code: number; stdout: string; stderr: string; ms: number }
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, env, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 })
    })
  })
}
const docker = (...args: string[]): Promise<Run> => run('docker', args)
const exists = async (image: string): Promise<boolean> => (await docker('image', 'inspect', image)).code === 0
const size = async (image: string): Promise<number> =>
  Number((await docker('image', 'inspect', '-f', '{{.Size}}', image)).stdout.trim())

if ((await docker('info', '--format', '{{.ServerVersion}}')).code !== 0) {
  say('the docker engine is not answering; fix: bash ../shared/rig/docker-engine.sh')
  process.exit(1)
}
if (!existsSync(corpus)) {
  say(`no corpus at ${corpus}; fix: --corpus <dir holding one folder per app>`)
  process.exit(1)
}
const pick = async (given: string | undefined, local: string, official: string): Promise<string> =>
  given ?? ((await exists(local)) ? local : official)
const baseNodeImage = await pick(process.env.NODE_IMAGE, 'local/node:24', 'node:24-slim')
const fonts = Boolean(flags['fonts-standin'])
const nodeImage = fonts ? fontsStandinImage(baseNodeImage) : baseNodeImage
if (fonts) say(`Google Fonts answered by the stand-in base image ${nodeImage}`)
const pythonImage = await pick(process.env.PYTHON_IMAGE, 'local/python:3.13', 'python:3.13-slim')
const apps = readdirSync(corpus)
  .filter((d) => statSync(path.join(corpus, d)).isDirectory())
  .sort()
if (flags.only && !apps.includes(flags.only)) {
  say(`no app ${flags.only} in ${corpus}; the apps: ${apps.join(', ')}`)
  process.exit(1)
}

type Component = 'frontend' | 'backend'
type Result = { ok: boolean; cause: string | null; fix: string | null; overBaseMb: number | null }
type Row = {
  app: string
  open: number | null
  support: number | null
  initError: string | null
  /** init first stopped with this cause, and the init command its fix line printed was run instead */
  initStopped: { cause: string; followed: string } | null
  frontend: Result
  backend: Result
  buildSeconds: number
}

// What build printed for each image: `✔ build <name>:<tag> (1m02s)`, or `✖ the <component> image did not build:
// <cause>` (the Python pin check's `✖ the app pins Python ...` and the wheel check's `✖ <package> <version> has no
// wheel for Python 3.X (…), the Python of PYTHON_IMAGE=…` are the backend's) and, a few lines on, `  fix: <fix>`.
function results(stderr: string, names: Record<Component, string>): Record<Component, Result> {
  const lines = stderr.split('\n')
  const fixAfter = (i: number): string | null =>
    lines
      .slice(i + 1)
      .find((l) => /^\s+fix: /.test(l))
      ?.replace(/^\s+fix: /, '') ?? null
  const out = {} as Record<Component, Result>
  for (const c of ['frontend', 'backend'] as const) {
    const ok = stderr.includes(`✔ build ${names[c]}:`) || new RegExp(`${names[c]}:h-\\w+ is up to date`).test(stderr)
    const i = lines.findIndex(
      (l) =>
        l.startsWith('✖ ') &&
        (l.includes(`the ${c} image`) ||
          (c === 'backend' && (l.includes('pins Python') || l.includes('the Python of PYTHON_IMAGE=')))),
    )
    const cause = i < 0 ? null : lines[i]!.slice(2).replace(`the ${c} image did not build: `, '')
    out[c] = { ok, cause: ok ? null : cause, fix: ok || i < 0 ? null : fixAfter(i), overBaseMb: null }
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

// Ctrl-C: the build in progress stops (docker gets the signal too); the temp dirs and images are still removed
let interrupted = false
process.once('SIGINT', () => {
  interrupted = true
  say('interrupted: cleaning up')
})

const made: string[] = []
const rows: Row[] = []
try {
  for (const app of flags.only ? [flags.only] : apps) {
    if (interrupted) break
    const tmp = mkdtempSync(path.join(os.tmpdir(), `kit-corpus-${app}-`))
    try {
      const copy = path.join(tmp, 'app')
      cpSync(path.join(corpus, app), copy, { recursive: true, verbatimSymlinks: true })
      // paths in what the kit prints, as the table shows them
      const shown = (s: string | null): string | null => (s === null ? null : s.replaceAll(copy, '<app>'))
      const envFile = path.join(tmp, '.env')
      // an explicit --env-path must exist (init never creates one); init adds its keys to it
      writeFileSync(envFile, '')
      const names = { frontend: `kit-corpus-${app}-frontend`, backend: `kit-corpus-${app}-backend` }
      const env = {
        ...process.env,
        NODE_IMAGE: nodeImage,
        PYTHON_IMAGE: pythonImage,
        LOAD_METHOD: 'none',
        CLUSTER: 'existing',
        FRONTEND_IMAGE: names.frontend,
        BACKEND_IMAGE: names.backend,
        FORCE_COLOR: '0',
        NO_COLOR: '1',
      }
      say(`${app}: init`)
      let init = await run(process.execPath, ['scripts/init.ts', '--app', copy, '--env-path', envFile], env)
      const failure = (r: Run): string | null =>
        r.code === 0
          ? null
          : (r.stderr
              .split('\n')
              .find((l) => l.startsWith('✖ '))
              ?.slice(2) ?? `exit ${r.code}`)
      // two candidate directories: init names the flag to pass in its fix line; a new user runs that
      const stopped = failure(init)
      const retry = /fix: npx zx scripts\/init\.ts (.*--(?:frontend|backend) .*)$/m.exec(init.stderr)?.[1]
      let initStopped: Row['initStopped'] = null
      if (stopped && retry) {
        initStopped = { cause: shown(stopped)!, followed: shown(retry)! }
        say(`${app}: init stopped (${initStopped.cause}); running its fix: init ${initStopped.followed}`)
        init = await run(process.execPath, ['scripts/init.ts', ...retry.split(' '), '--env-path', envFile], env)
      }
      const counts = /(\d+) open item\(s\) and (\d+) needing support/.exec(init.stdout)
      const decided = init.stdout.includes('Everything was decided.')
      const notBuilt: Result = { ok: false, cause: 'not built: init failed', fix: null, overBaseMb: null }
      const row: Row = {
        app,
        open: counts ? Number(counts[1]) : decided ? 0 : null,
        support: counts ? Number(counts[2]) : decided ? 0 : null,
        initError: shown(failure(init)),
        initStopped,
        frontend: notBuilt,
        backend: notBuilt,
        buildSeconds: 0,
      }
      if (init.code === 0 && !interrupted) {
        say(`${app}: build (${nodeImage}, ${pythonImage})`)
        const b = await run(process.execPath, ['scripts/build.ts', '--env-path', envFile, '--force'], env)
        row.buildSeconds = Math.round(b.ms / 100) / 10
        const r = results(b.stderr, names)
        for (const c of ['frontend', 'backend'] as const) {
          row[c] = { ...r[c], cause: shown(r[c].cause), fix: shown(r[c].fix) }
          const tags = (await docker('image', 'ls', names[c], '--format', '{{.Repository}}:{{.Tag}}')).stdout
            .split('\n')
            .filter(Boolean)
          made.push(...tags)
          const base = c === 'frontend' ? baseNodeImage : pythonImage
          if (row[c].ok && tags[0])
            row[c].overBaseMb = Math.round(((await size(tags[0])) - (await size(base))) / 1e5) / 10
        }
      }
      rows.push(row)
      const said = (r: Result): string => (r.ok ? 'ok' : (r.cause ?? ''))
      say(`${app}: frontend ${said(row.frontend)}; backend ${said(row.backend)}`)
    } finally {
      // corpus folders keep their read-only modes in the copy: make them writable to delete them
      const writable = (p: string): void => {
        const st = statSync(p, { throwIfNoEntry: false })
        if (!st || !st.isDirectory()) return
        chmodSync(p, st.mode | 0o700)
        for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) writable(path.join(p, e.name))
      }
      writable(tmp)
      rmSync(tmp, { recursive: true, force: true })
    }
  }
} finally {
  const left: string[] = []
  for (const image of made)
    if ((await docker('image', 'rm', image)).code !== 0 && (await exists(image))) left.push(image)
  if (left.length) say(`images left (docker image rm failed; a container may use them): ${left.join(', ')}`)
  else if (made.length)
    say(`removed the ${made.length} image(s) it built; BuildKit's cache stays (docker builder prune)`)
}

if (flags.json) {
  process.stdout.write(JSON.stringify({ nodeImage, pythonImage, rows }, null, 2) + '\n')
} else {
  const cell = (r: Result): string => (r.ok ? 'ok' : (r.cause ?? '').replace(/\|/g, '\\|'))
  const mb = (r: Result): string => (r.overBaseMb === null ? '–' : `${r.overBaseMb} MB`)
  const out = [
    `NODE_IMAGE=${nodeImage} PYTHON_IMAGE=${pythonImage}${fonts ? ' (Google Fonts: the local stand-in)' : ''}`,
    '',
    '| app | init open items | frontend | backend | frontend over base | backend over base | build time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const counts = `${r.open ?? '?'}${r.support ? ` (+${r.support} support)` : ''}`
      const after = r.initStopped ? ` after \`init ${r.initStopped.followed}\` (${r.initStopped.cause})` : ''
      const open = r.initError ? `init failed: ${r.initError}` : `${counts}${after}`
      const time = `${r.buildSeconds} s`
      return `| ${[r.app, open, cell(r.frontend), cell(r.backend), mb(r.frontend), mb(r.backend), time].join(' | ')} |`
    }),
  ]
  process.stdout.write(out.join('\n') + '\n')
}
