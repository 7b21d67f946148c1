// Real docker build/run helpers for the image tests and the image benchmark.
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { $ } from 'zx'

export const root = resolve(import.meta.dirname, '../../..')
export const frontendDockerfile = join(root, 'frontend-docker/Dockerfile')
export const backendDockerfile = join(root, 'backend-docker/Dockerfile')

// No registry is reachable in CI: the stand-ins made by ../shared/rig/base-images.sh replace the public bases.
export const nodeImage = process.env.IMAGES_NODE_IMAGE ?? 'local/node:24'
export const pythonImage = process.env.IMAGES_PYTHON_IMAGE ?? 'local/python:3.13'

export const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`
export const tagFor = (name: string) => `todo-images-test/${name}:${runId}`

const made = { images: new Set<string>(), containers: new Set<string>(), dirs: new Set<string>() }

export async function assertDockerReady(images = [nodeImage, pythonImage]): Promise<void> {
  const info = await $({ nothrow: true, quiet: true })`docker info --format {{.ServerVersion}}`
  if (info.exitCode !== 0) {
    throw new Error('docker engine not answering; fix: bash ../shared/rig/docker-engine.sh')
  }
  for (const image of images) {
    const r = await $({ nothrow: true, quiet: true })`docker image inspect ${image}`
    if (r.exitCode !== 0) throw new Error(`base image ${image} missing; fix: bash ../shared/rig/base-images.sh`)
  }
}

/** A throwaway copy of an app dir without installed/built output, so tests can add files and edit sources. */
export function copyApp(dir: string): string {
  const dest = mkdtempSync(join(tmpdir(), `images-${basename(dir)}-`))
  made.dirs.add(dest)
  const skip = new Set(['node_modules', '.next', '.venv', '__pycache__', '.pytest_cache', '.git'])
  cpSync(dir, dest, { recursive: true, filter: (src) => !skip.has(basename(src)) })
  return dest
}

export interface Build {
  tag: string
  seconds: number
  output: string
  steps: Step[]
}
export interface Step {
  name: string
  cached: boolean
  seconds?: number
}

export interface BuildOptions {
  dockerfile: string
  context: string
  tag: string
  args?: Record<string, string>
  noCache?: boolean
  /** stop at this stage (`deps`: only the install) */
  target?: string
}

export function baseArgs(dockerfile: string): Record<string, string> {
  return dockerfile === frontendDockerfile ? { NODE_IMAGE: nodeImage } : { PYTHON_IMAGE: pythonImage }
}

export async function build(o: BuildOptions): Promise<Build> {
  const args = Object.entries({ ...baseArgs(o.dockerfile), ...o.args }).flatMap(([k, v]) => [
    '--build-arg',
    `${k}=${v}`,
  ])
  const flags = [
    ...args,
    ...(o.noCache ? ['--no-cache'] : []),
    ...(o.target ? ['--target', o.target] : []),
    '--progress=plain',
    '-f',
    o.dockerfile,
    '-t',
    o.tag,
    o.context,
  ]
  const started = performance.now()
  const r = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
  })`docker build ${flags}`
  const seconds = (performance.now() - started) / 1000
  made.images.add(o.tag)
  const output = r.stdout + r.stderr
  if (r.exitCode !== 0) {
    throw new Error(
      `docker build failed for ${o.context}:\n${output.split('\n').slice(-40).join('\n')}\n` +
        `reproduce: docker build ${flags.map((f) => (/\s/.test(f) ? `'${f}'` : f)).join(' ')}`,
    )
  }
  return { tag: o.tag, seconds, output, steps: parseSteps(output) }
}

/** BuildKit's plain progress: `#9 [deps 4/4] RUN ...` then `#9 CACHED` or `#9 DONE 23.1s`. */
export function parseSteps(output: string): Step[] {
  const byId = new Map<string, Step>()
  for (const line of output.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line)
    if (!m) continue
    const id = m[1]!
    const rest = m[2]!
    if (!byId.has(id)) {
      byId.set(id, { name: rest, cached: false })
      continue
    }
    const step = byId.get(id)!
    if (rest === 'CACHED') step.cached = true
    const done = /^DONE ([\d.]+)s$/.exec(rest)
    if (done) step.seconds = Number(done[1])
  }
  return [...byId.values()].filter((s) => s.name.startsWith('['))
}

export function step(b: Build, pattern: RegExp): Step {
  const found = b.steps.filter((s) => pattern.test(s.name))
  if (found.length !== 1) {
    throw new Error(
      `expected one build step matching ${pattern}, found ${found.length}:\n${b.steps.map((s) => s.name.slice(0, 120)).join('\n')}`,
    )
  }
  return found[0]!
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => ok(port))
    })
  })
}

export interface RunOptions {
  env?: Record<string, string>
  hostNetwork?: boolean
  readOnly?: boolean
  tmpfs?: string[]
  cmd?: string[]
}

/** Starts a detached container; env goes in through --env-file so values never show up in argv. */
export async function start(image: string, o: RunOptions = {}): Promise<string> {
  const envFile = join(mkdtempSync(join(tmpdir(), 'images-env-')), 'env')
  made.dirs.add(resolve(envFile, '..'))
  const { writeFileSync } = await import('node:fs')
  writeFileSync(
    envFile,
    Object.entries(o.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  )
  const flags = [
    '-d',
    '--env-file',
    envFile,
    ...(o.hostNetwork ? ['--network', 'host'] : []),
    ...(o.readOnly ? ['--read-only'] : []),
    ...(o.tmpfs ?? []).flatMap((t) => ['--tmpfs', t]),
  ]
  const r = await $({ nothrow: true, quiet: true })`docker run ${flags} ${image} ${o.cmd ?? []}`
  if (r.exitCode !== 0) throw new Error(`docker run ${image} failed: ${r.stderr}`)
  const id = r.stdout.trim()
  made.containers.add(id)
  return id
}

export async function logs(id: string): Promise<string> {
  const r = await $({ nothrow: true, quiet: true })`docker logs --tail 60 ${id}`
  return r.stdout + r.stderr
}

/** Polls until the URL answers (any status); returns the last status and body. */
export async function waitForHttp(
  url: string,
  container: string,
  timeoutMs = 60_000,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
      return { status: res.status, body: await res.text() }
    } catch (e) {
      last = String(e)
    }
    const state = await $({ nothrow: true, quiet: true })`docker inspect -f {{.State.Running}} ${container}`
    if (state.stdout.trim() !== 'true') {
      throw new Error(`container exited before ${url} answered; its log:\n${await logs(container)}`)
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(
    `${url} did not answer within ${timeoutMs / 1000}s (${last}); container log:\n${await logs(container)}`,
  )
}

/** Runs a one-off command in the image and returns its exit code and output. */
export async function exec(image: string, cmd: string[], o: RunOptions = {}): Promise<{ code: number; out: string }> {
  const envFlags = Object.keys(o.env ?? {}).flatMap((k) => ['-e', k])
  const flags = [
    '--rm',
    ...envFlags,
    ...(o.hostNetwork ? ['--network', 'host'] : []),
    ...(o.readOnly ? ['--read-only'] : []),
    ...(o.tmpfs ?? []).flatMap((t) => ['--tmpfs', t]),
  ]
  // `-e NAME` without a value passes it from this process's environment: values stay out of argv.
  const r = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, ...o.env },
  })`docker run ${flags} ${image} ${cmd}`
  return { code: r.exitCode ?? -1, out: r.stdout + r.stderr }
}

/** Seconds `docker stop` takes: a process that ignores SIGTERM as PID 1 runs into the 10 s kill timeout. */
export async function stopSeconds(id: string): Promise<number> {
  const started = performance.now()
  await $({ quiet: true })`docker stop -t 10 ${id}`
  return (performance.now() - started) / 1000
}

/** Every file of the image's filesystem streamed through `docker export`, searched for each needle. */
export async function exportContains(
  image: string,
  needles: string[],
): Promise<{ found: string[]; envFiles: string[] }> {
  const id = (await $({ quiet: true })`docker create ${image}`).stdout.trim()
  made.containers.add(id)
  const found = new Set<string>()
  const envFiles: string[] = []
  const keep = Math.max(512, ...needles.map((n) => n.length))
  await new Promise<void>((ok, fail) => {
    const p = spawn('docker', ['export', id], { stdio: ['ignore', 'pipe', 'inherit'] })
    let tail = ''
    // Tar keeps each file's bytes contiguous, so a raw scan of the stream sees every file's content.
    p.stdout.setEncoding('latin1')
    p.stdout.on('data', (chunk: string) => {
      const text = tail + chunk
      for (const n of needles) if (text.includes(n)) found.add(n)
      // tar header names: an app file called .env or .env.* anywhere under /app
      for (const m of text.matchAll(/(?:^|\0)(app\/(?:[^\0]*\/)?\.env(?:\.[\w.-]+)?)\0/g)) envFiles.push(m[1]!)
      tail = text.slice(-keep)
    })
    p.on('error', fail)
    p.on('close', (code) => (code === 0 ? ok() : fail(new Error(`docker export ${id} exited ${code}`))))
  })
  return { found: [...found], envFiles }
}

export async function cleanup(): Promise<void> {
  for (const c of made.containers) await $({ nothrow: true, quiet: true })`docker rm -f ${c}`
  for (const i of made.images) await $({ nothrow: true, quiet: true })`docker rmi -f ${i}`
  for (const d of made.dirs) rmSync(d, { recursive: true, force: true })
  made.containers.clear()
  made.images.clear()
  made.dirs.clear()
}

/** Image size in MB (10^6 bytes, as docker prints it): what validate's budget check measures, minus the base's. */
export async function imageSizeMb(image: string): Promise<number> {
  const r = await $({ quiet: true })`docker image inspect -f {{.Size}} ${image}`
  return Number(r.stdout.trim()) / 1e6
}

/**
 * The Node stand-in plus Node's C headers where the official node images keep them (/usr/local/include/node), so a
 * native module compiles offline as it would on node:24-slim. Built once and kept, like the stand-ins themselves.
 */
export async function nodeImageWithHeaders(): Promise<string> {
  const tag = `todo-images-test/node-headers:${nodeImage.replace(/[^\w.-]/g, '-')}`
  if ((await $({ nothrow: true, quiet: true })`docker image inspect ${tag}`).exitCode === 0) return tag
  const ctx = mkdtempSync(join(tmpdir(), 'images-node-headers-'))
  made.dirs.add(ctx)
  const r = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
  })`docker build --build-arg NODE_IMAGE=${nodeImage} -f ${join(root, 'test/images/lib/node-headers.Dockerfile')} -t ${tag} ${ctx}`
  if (r.exitCode !== 0)
    throw new Error(`could not add Node's headers to ${nodeImage}:\n${r.stderr.split('\n').slice(-15).join('\n')}`)
  return tag
}
