#!/usr/bin/env zx
// build: the frontend and backend images, tagged with the content hash of their inputs. An unchanged tree builds
// nothing; any change to the sources, the Dockerfile, its ignore file or a base image gives a new tag.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main, report } from './lib/cli.ts'
import type { Config, ImageSpec } from './lib/config.ts'
import {
  imageRef,
  buildInputs,
  FILE_BUILD_ARGS,
  frontendMigrateSpec,
  neonProxySpec,
  skippedInputs,
} from './lib/images.ts'
import { requireTools } from './lib/tools.ts'
import { imagePython, pythonMismatch, pythonVersion } from './lib/app/detect-backend.ts'
import {
  appPins,
  blockersFor,
  choosePython,
  hostPlatform,
  imageWithMinor,
  loadWheelData,
  pinLabel,
  pythonCandidates,
  wheelSource,
} from './lib/app/python-wheels.ts'
import { imageDaemon } from './lib/docker-env.ts'
import { fail, KitError } from './lib/errors.ts'
import { buildTimeSettings, diagnoseBuild } from './lib/build-diagnosis.ts'
import { constructorEnvArgs } from './lib/app/env-reads.ts'

export const build = defineStage({
  name: 'build',
  summary: 'build the frontend and backend images (tag = content hash of the build inputs)',
  flags: {
    force: { type: 'boolean', description: 'build even when an image with this tag exists' },
    verbose: { type: 'boolean', description: 'stream docker build output' },
  },
  description: `
Builds FRONTEND_DOCKERFILE with FRONTEND_DIR (or the workspace root with its lock file) as context (build args NODE_IMAGE, PACKAGE_MANAGER, INSTALL_MODE, APP_DIR: see docs/stages.md; and NEXT_PUBLIC_ENV with every
NEXT_PUBLIC_* key of .env and the environment, one NAME=value line each) and BACKEND_DOCKERFILE with BACKEND_DIR
(build arg PYTHON_IMAGE). An app that pins a Python version (.python-version, runtime.txt, requires-python) other
than the one PYTHON_IMAGE's tag names stops the backend's build before docker runs, with the PYTHON_IMAGE to set;
so does a pinned dependency (requirements.txt, pyproject.toml, uv.lock, poetry.lock, and the exact versions their
releases require) that has no wheel for that Python on Linux: PyPI's file lists are cached in
$XDG_CACHE_HOME/todo-k8s-kit/pypi (~/.cache), fetched when missing; offline with nothing cached, the check is skipped
with a warning.
The tag is h-<12 hex>: a hash of every file docker would send (the ignore file applied), the
Dockerfile, its ignore file and the build args. When docker already has that tag, nothing is built.
Each build's whole output (BuildKit's plain progress) is saved in .cache/build-logs/<image name>.log; a failed one
is read for its cause (a stale lock file, a font download, a type error, a wheel that does not build, ...), printed
with its fix. Both images are attempted even when the first fails; the exit code is 1 when either failed.
With LOAD_METHOD=docker-env the images are built by the minikube profile's Docker (the DOCKER_* variables of
minikube -p MINIKUBE_PROFILE docker-env --shell none, given to the docker commands only).`,
  run,
})

/** Where a build's whole log is kept (the kit's cache dir, git-ignored); one file per image name, the last build's. */
/** whether the Dockerfile names a stage `FROM <image> AS <name>` */
function hasStage(dockerfile: string, name: string): boolean {
  const text = readFileSync(dockerfile, 'utf8')
  return new RegExp(`^\\s*FROM\\s+(--\\S+\\s+)*\\S+\\s+AS\\s+${name}\\s*$`, 'im').test(text)
}

/** the image in messages: `frontend`, `frontend auth-migrate` */
const label = (spec: ImageSpec): string =>
  spec.role ?? (spec.target ? `${spec.component} ${spec.target}` : spec.component)

export const buildLogPath = (cfg: Config, spec: ImageSpec): string =>
  path.join(cfg.root, '.cache', 'build-logs', `${spec.name}.log`)

// the log does not say which lock file the image used: a stale package-lock.json shadows a pnpm-lock.yaml
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'uv.lock', 'poetry.lock']
/** per build context: the settings its `next build` needed placeholders for in this run (buildTimeSettings) */
const placeholdersFor = new Map<string, string[]>()

async function run(local: Ctx, flags: Flags): Promise<void> {
  // LOAD_METHOD=docker-env: every docker command below goes to the minikube profile's daemon
  const ctx = await imageDaemon(local)
  const { cfg, dryRun, log } = ctx
  if (!dryRun) {
    const s = log.step('preflight')
    const found = await requireTools(ctx, ['docker'])
    s.done(`docker engine ${found.docker}${ctx.daemon ? ` (${ctx.daemon})` : ''}`)
  }

  // One image failing never stops the other: a user fixing the frontend learns about the backend in the same run.
  // One after the other: building both at once was not measured to help on 2 cores, and --verbose output of two
  // interleaved builds would be unreadable.
  const failed: KitError[] = []
  // FRONTEND_AUTH_MIGRATE: the frontend's auth-migrate stage right after the frontend (its cache is all there)
  const migrate = frontendMigrateSpec(cfg)
  // FRONTEND_DB_DRIVER=neon: the proxy the in-cluster PostgreSQL runs beside it, independent of the app's sources
  const neonProxy = neonProxySpec(cfg)
  const specs = [cfg.frontend, ...(migrate ? [migrate] : []), ...(neonProxy ? [neonProxy] : []), cfg.backend]
  for (const [i, spec] of specs.entries()) {
    try {
      await buildImage(ctx, spec, flags)
    } catch (e) {
      if (!(e instanceof KitError)) throw e
      failed.push(e)
      // the migration stage builds on the frontend's: one that failed leaves nothing for it to add
      if (spec === cfg.frontend && migrate) specs.splice(i + 1, 1)
      const next = specs[i + 1]
      if (next)
        log.warn(
          `the ${label(spec)} image did not build (the cause follows at the end); building the ` +
            `${label(next)} image anyway`,
        )
    }
  }
  // the last failure is the stage's error (the CLI prints it and exits 1); the ones before it are printed here
  for (const e of failed.slice(0, -1)) report(log, e, 'build')
  if (failed.length) throw failed.at(-1)!
}

async function buildImage(ctx: Ctx, spec: ImageSpec, flags: Flags): Promise<void> {
  const { cfg, dryRun, log, exec, query } = ctx
  // The image's own check would say the same after a minute of docker; a tag without a version is left to it.
  const pyImage = spec.component === 'backend' ? spec.buildArgs.PYTHON_IMAGE : undefined
  const py = pyImage ? pythonMismatch(spec.contextDir, pyImage) : null
  if (py) {
    const where = `${shownPath(cfg, spec.contextDir)}/${py.from.file}:${py.from.line} ${py.from.text}`
    fail(
      `the app pins Python ${py.want ?? 'a version no 3.x meets'} (${where}) but PYTHON_IMAGE=${pyImage} has ` +
        py.have,
      py.fix
        ? `set PYTHON_IMAGE=${py.fix} in .env`
        : `set PYTHON_IMAGE in .env to an image with a Python that ${py.from.file} allows`,
    )
  }

  // an app's own Dockerfile has no auth-migrate stage: say so before docker does, with the way out
  if (spec.target && !hasStage(spec.dockerfile, spec.target))
    fail(
      `FRONTEND_AUTH_MIGRATE is set, but ${shownPath(cfg, spec.dockerfile)} has no stage ${spec.target} (the kit's frontend-docker/Dockerfile has it)`,
      `unset FRONTEND_DOCKERFILE to build with frontend-docker/Dockerfile, or remove FRONTEND_AUTH_MIGRATE from .env and set frontend.migrateCommand to a command of your image that creates the tables`,
    )

  // the auth config the CLI loads: named in .env, looked for in the app dir the image builds
  const authConfig = spec.target ? cfg.frontendMigrate?.config : undefined
  const appDir = path.join(spec.contextDir, spec.buildArgs.APP_DIR ?? '.')
  if (authConfig && !existsSync(path.join(appDir, authConfig)))
    fail(
      `FRONTEND_AUTH_MIGRATE=better-auth:${authConfig}, but ${shownPath(cfg, path.join(appDir, authConfig))} does not exist`,
      `set FRONTEND_AUTH_MIGRATE=better-auth:<the file that calls betterAuth(), relative to the app dir> in .env (npx zx scripts/init.ts finds it)`,
    )

  const img = imageRef(cfg, spec)
  // pipes and sockets in a context are never read (one would hang the hash); docker leaves them out as well
  const skipped = skippedInputs(spec)
  if (skipped.length) {
    const more = skipped.length > 5 ? ` and ${skipped.length - 5} more` : ''
    log.warn(
      `${shownPath(cfg, spec.contextDir)}: not part of the ${label(spec)} image (not regular files): ` +
        `${skipped.slice(0, 5).join(', ')}${more}`,
    )
  }
  if (!flags.force && (await query`docker image inspect ${img.local}`).ok) {
    log.ok(`${img.local} is up to date (${buildInputs(spec).files.length} input files unchanged) — nothing to build`)
    return
  }
  if (pyImage) await checkWheels(ctx, spec, pyImage)
  // what the install will do differently from a frozen one (a lockfile out of sync, none at all), with its fix
  for (const n of spec.notes ?? []) (log.warn(n.cause), log.detail(`fix: ${n.fix}`))
  // a kit file's source goes through docker's environment, so the command line stays a line
  const fileArgs = Object.fromEntries(Object.entries(spec.buildArgs).filter(([k]) => FILE_BUILD_ARGS.has(k)))
  const args = Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', k in fileArgs ? k : `${k}=${v}`])
  const target = spec.target ? ['--target', spec.target] : []
  const dir = shownPath(cfg, spec.contextDir)
  const r = await log.task(`build ${img.local}`, async () => {
    // settings the app's code demands while `next build` collects page data: placeholders, then one more build (the
    // migration image builds the same stage, so it starts with what the frontend needed)
    let placeholders = placeholdersFor.get(spec.contextDir) ?? []
    for (let tries = 0; ; tries++) {
      const more = placeholders.length ? ['--build-arg', `BUILD_PLACEHOLDERS=${placeholders.join(' ')}`] : []
      // plain progress: one line per output line, each with its step number, so the log can be read for the cause
      const res = await exec({
        // BuildKit: per-Dockerfile ignore files and cache mounts (the default builder from Docker 23 on)
        env: { ...fileArgs, DOCKER_BUILDKIT: '1' },
        stream: Boolean(flags.verbose),
        nothrow: true,
      })`docker build --progress=plain -f ${shownPath(cfg, spec.dockerfile)} ${target} ${args} ${more} -t ${img.local} ${dir}`
      if (dryRun) return res
      // BuildKit writes its progress to stderr; stdout has at most the image id
      const text = res.stderr + res.stdout
      const file = saveLog(ctx, spec, text)
      if (res.ok) return res
      if (res.notFound) fail(`the ${label(spec)} image did not build: docker is not on PATH`, 'install Docker')
      const needed =
        spec.component === 'frontend' && !spec.role
          ? buildTimeSettings(text, (c) =>
              constructorEnvArgs(path.join(spec.contextDir, spec.buildArgs.APP_DIR ?? '.'), c),
            ).filter((n) => !placeholders.includes(n))
          : []
      if (needed.length && tries === 0) {
        log.warn(
          `next build needs ${needed.join(', ')} while it collects page data (the app reads ${needed.length > 1 ? 'them' : 'it'} ` +
            'at import): building again with a placeholder for that step only; the real value comes from the Secret at runtime',
        )
        placeholders = [...placeholders, ...needed]
        placeholdersFor.set(spec.contextDir, placeholders)
        continue
      }
      const d = diagnoseBuild(text, spec.component, {
        dir,
        baseImage: spec.buildArgs.NODE_IMAGE ?? spec.buildArgs.PYTHON_IMAGE,
        lockfiles: LOCKFILES.filter((f) => existsSync(path.join(spec.contextDir, f))),
      })
      fail(`the ${label(spec)} image did not build: ${d.cause}`, d.fix, [...(d.detail ?? []), `whole log: ${file}`])
    }
  })
  if (!dryRun && r.ok) log.detail(`log: ${shownPath(cfg, buildLogPath(cfg, spec))}`)
}

/**
 * A pinned release with no wheel for PYTHON_IMAGE's Python makes pip compile it, which fails for Rust and C
 * extensions minutes into the build: PyPI's file lists (cached; fetched when missing) name it before docker runs.
 */
async function checkWheels(ctx: Ctx, spec: ImageSpec, image: string): Promise<void> {
  const have = imagePython(image)
  const app = appPins(spec.contextDir)
  if (!have || !app.pins.length) return
  const minor = Number(have.split('.')[1])
  const platform = hostPlatform()
  const data = await loadWheelData(app, wheelSource())
  if (data.unreachable && data.missing.length) {
    ctx.log.warn(
      `could not check the wheels of the backend's pinned dependencies for Python ${have} ` +
        `(${data.missing.length} of ${app.pins.length} not in the cache): ${data.unreachable}; building without the check`,
    )
    return
  }
  const blocked = blockersFor(data, minor, platform)
  if (!blocked.length) return
  const b = blocked[0]!
  const dir = shownPath(ctx.cfg, spec.contextDir)
  const at = `${dir}/${b.pin.from.file}:${b.pin.from.line} ${b.pin.from.text}`
  const others =
    blocked.length > 1
      ? `; also ${blocked
          .slice(1, 4)
          .map((x) => `${x.pin.name} ${x.pin.version}`)
          .join(', ')}`
      : ''
  // the newest Python the image supports that every pin installs on, within what the app allows
  const candidates = pythonCandidates(minor > 13 ? image : 'python:3.13-slim', pythonVersion(spec.contextDir))
  const fits = choosePython(data, candidates, platform)
  const other = fits.kind === 'chosen' && fits.minor !== minor ? imageWithMinor(image, fits.minor) : null
  fail(
    `${pinLabel(b.pin)} ${b.why}, the Python of PYTHON_IMAGE=${image} (${at})${others}` +
      (other ? `; ${other} has wheels for every pin` : ''),
    other
      ? `set PYTHON_IMAGE=${other} in .env`
      : `raise ${b.pin.via?.replace('==', ' ') ?? b.pin.name} in ${dir}/${b.pin.from.file} to a release with wheels ` +
          `for Python ${have} (no Python both the app and the image allow has wheels for every pin)`,
  )
}

/** The build's whole output, redacted like everything the kit prints; written whole or not at all. */
function saveLog(ctx: Ctx, spec: ImageSpec, text: string): string {
  const file = buildLogPath(ctx.cfg, spec)
  mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, ctx.redact(text))
  renameSync(tmp, file)
  return shownPath(ctx.cfg, file)
}

if (isMain(import.meta.url)) await main(build)
