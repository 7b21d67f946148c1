// Image benchmark (not a test): for the reference frontend and backend, the image's total size, the bytes its own
// layers add over the base image, a cold build and a warm rebuild after a one-line source change.
// "Cold" is --no-cache: every layer is rebuilt, but BuildKit cache mounts (npm/pip/uv/apt downloads, the Next.js build
// cache) stay warm, as on any machine that has built once; a first build ever also pays the downloads.
//   node bench/images.ts            base images: $NODE_IMAGE / $PYTHON_IMAGE, else the local stand-ins when present,
//                                   else the public defaults (node:24-slim, python:3.13-slim)
// Targets: layers over base <= 60 MB frontend, <= 120 MB backend.
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { $ } from 'zx'
import {
  assertDockerReady,
  backendDockerfile,
  build,
  cleanup,
  copyApp,
  frontendDockerfile,
  root,
  tagFor,
} from '../test/images/lib/docker.ts'

const exists = async (image: string) =>
  (await $({ nothrow: true, quiet: true })`docker image inspect ${image}`).exitCode === 0
const pick = async (env: string | undefined, local: string, official: string) =>
  env ?? ((await exists(local)) ? local : official)

const nodeImage = await pick(process.env.NODE_IMAGE, 'local/node:24', 'node:24-slim')
const pythonImage = await pick(process.env.PYTHON_IMAGE, 'local/python:3.13', 'python:3.13-slim')
await assertDockerReady([nodeImage, pythonImage]).catch((e) => {
  console.error(`bench/images: ${(e as Error).message}`)
  process.exit(1)
})

const size = async (image: string) =>
  Number((await $({ quiet: true })`docker image inspect -f {{.Size}} ${image}`).stdout.trim())
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

interface Case {
  name: string
  dockerfile: string
  dir: string
  touch: string
  base: string
  args: Record<string, string>
  targetMB: number
}
const cases: Case[] = [
  {
    name: 'frontend',
    dockerfile: frontendDockerfile,
    dir: 'app/frontend',
    touch: 'app/api/health/route.ts',
    base: nodeImage,
    args: { NODE_IMAGE: nodeImage },
    targetMB: 60,
  },
  {
    name: 'backend',
    dockerfile: backendDockerfile,
    dir: 'app/backend',
    touch: 'app/main.py',
    base: pythonImage,
    args: { PYTHON_IMAGE: pythonImage },
    targetMB: 120,
  },
]

const rows: string[][] = []
let over = false
try {
  for (const c of cases) {
    const ctx = copyApp(join(root, c.dir))
    // a .env in the app dir, as users keep one: must not change anything (the ignore file keeps it out)
    writeFileSync(join(ctx, '.env'), 'BENCH_ONLY=1\n')
    console.error(`bench/images: ${c.name}: cold build (--no-cache) on ${c.base} ...`)
    const cold = await build({
      dockerfile: c.dockerfile,
      context: ctx,
      tag: tagFor(`bench-${c.name}`),
      args: c.args,
      noCache: true,
    })
    appendFileSync(join(ctx, c.touch), c.touch.endsWith('.py') ? '\n# bench\n' : '\n// bench\n')
    console.error(`bench/images: ${c.name}: warm rebuild after a one-line change ...`)
    const warm = await build({
      dockerfile: c.dockerfile,
      context: ctx,
      tag: tagFor(`bench-${c.name}-warm`),
      args: c.args,
    })
    const total = await size(cold.tag)
    const added = total - (await size(c.base))
    if (added > c.targetMB * 1e6) over = true
    rows.push([
      c.name,
      mb(total),
      mb(added),
      `<= ${c.targetMB} MB`,
      `${cold.seconds.toFixed(1)} s`,
      `${warm.seconds.toFixed(1)} s`,
    ])
  }
} finally {
  await cleanup()
}

const header = ['image', 'total', 'over base', 'target', 'cold build', 'warm rebuild']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
for (const r of [header, ...rows]) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join('  '))
if (over) console.log('over target: see `docker history <image>` for the layer that grew')
