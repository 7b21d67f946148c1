// npm run bench:corpus — init and build on every real app of ../shared/corpus, as a new user would run them: each app
// copied unchanged to a temp dir, `init --app <copy> --env-path <tmp>/.env` (when init stops on two candidate
// directories, the init command its fix line prints), then `build --env-path <tmp>/.env`.
// Prints one row per app: init's open items, each image's result (ok, or the cause line build printed), the bytes
// each built image adds over its base image, and the build's wall time. Asserts nothing.
//   node bench/corpus.ts [--only <app>] [--json] [--corpus <dir>] [--build-standin]
// --build-standin: the Node base image gets what a build on a connected machine has and this one lacks
// (test/support/node-build-standin.ts): Node's headers for native modules, and next/font/google's downloads answered
// by next/font's own test hook (webpack and Turbopack), so the rest of each build is measured; without it, those builds
// stop at the headers or the font with the kit's one-line cause.
// Base images: $NODE_IMAGE / $PYTHON_IMAGE, else the local stand-ins when present (../shared/rig/base-images.sh),
// else the public defaults. LOAD_METHOD=none CLUSTER=existing: no cluster is involved.
// Images are named kit-corpus-<app>-frontend/-backend and removed at the end, with the temp dirs (Ctrl-C finishes the
// app in progress, then cleans up); each build's whole log stays in .cache/build-logs/kit-corpus-<app>-<component>.log
// (git-ignored) to read afterwards. BuildKit's cache stays: `docker builder prune` frees it.
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { imageNames, initAndBuild, run, type CorpusRun, type ImageResult } from '../test/support/corpus-app.ts'
import { buildStandinNodeImage } from '../test/support/node-build-standin.ts'

const root = path.resolve(import.meta.dirname, '..')
const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    json: { type: 'boolean' },
    corpus: { type: 'string' },
    'build-standin': { type: 'boolean' },
  },
  strict: true,
})
const corpus = path.resolve(flags.corpus ?? path.join(root, '..', 'shared', 'corpus'))
const say = (s: string): void => void process.stderr.write(`[bench:corpus] ${s}\n`)

const docker = (...args: string[]) => run('docker', args)
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
const standin = Boolean(flags['build-standin'])
const nodeImage = standin ? buildStandinNodeImage(baseNodeImage) : baseNodeImage
if (standin) say(`base image ${nodeImage}: Node's headers, Google Fonts answered by next/font's test hook`)
const pythonImage = await pick(process.env.PYTHON_IMAGE, 'local/python:3.13', 'python:3.13-slim')
const apps = readdirSync(corpus)
  .filter((d) => statSync(path.join(corpus, d)).isDirectory())
  .sort()
if (flags.only && !apps.includes(flags.only)) {
  say(`no app ${flags.only} in ${corpus}; the apps: ${apps.join(', ')}`)
  process.exit(1)
}

type Result = ImageResult & { overBaseMb: number | null }
type Row = Omit<CorpusRun, 'frontend' | 'backend' | 'initOut' | 'buildOut' | 'images'> & {
  frontend: Result
  backend: Result
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
    const r = await initAndBuild(app, { corpus, nodeImage, pythonImage, say })
    const { initOut: _i, buildOut: _b, images: _m, ...rest } = r
    const row: Row = {
      ...rest,
      frontend: { ...r.frontend, overBaseMb: null },
      backend: { ...r.backend, overBaseMb: null },
    }
    const names = imageNames(app)
    for (const c of ['frontend', 'backend'] as const) {
      const tags = (await docker('image', 'ls', names[c], '--format', '{{.Repository}}:{{.Tag}}')).stdout
        .split('\n')
        .filter(Boolean)
      made.push(...tags)
      const base = c === 'frontend' ? baseNodeImage : pythonImage
      if (row[c].ok && tags[0]) row[c].overBaseMb = Math.round(((await size(tags[0])) - (await size(base))) / 1e5) / 10
    }
    // the images build made beside the frontend's: neon-proxy (FRONTEND_DB_DRIVER=neon), the auth migration's
    for (const extra of [r.images.neonProxy, r.images.migrate]) if (extra) made.push(extra)
    rows.push(row)
    const said = (x: Result): string => (x.ok ? 'ok' : (x.cause ?? ''))
    say(`${app}: frontend ${said(row.frontend)}; backend ${said(row.backend)}`)
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
    `NODE_IMAGE=${nodeImage} PYTHON_IMAGE=${pythonImage}${standin ? ' (the build stand-in: Node headers, Google Fonts hook)' : ''}`,
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
