#!/usr/bin/env zx
// build: the frontend and backend images, tagged with the content hash of their inputs. An unchanged tree builds
// nothing; any change to the sources, the Dockerfile, its ignore file or a base image gives a new tag.
import { defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { imageRef, buildInputs, skippedInputs } from './lib/images.ts'
import { requireTools } from './lib/tools.ts'
import { pythonMismatch } from './lib/app/detect-backend.ts'
import { imageDaemon } from './lib/docker-env.ts'
import { fail } from './lib/errors.ts'

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
than the one PYTHON_IMAGE's tag names stops the build before docker runs, with the PYTHON_IMAGE to set.
The tag is h-<12 hex>: a hash of every file docker would send (the ignore file applied), the
Dockerfile, its ignore file and the build args. When docker already has that tag, nothing is built.
With LOAD_METHOD=docker-env the images are built by the minikube profile's Docker (the DOCKER_* variables of
minikube -p MINIKUBE_PROFILE docker-env --shell none, given to the docker commands only).`,
  run,
})

async function run(local: Ctx, flags: Flags): Promise<void> {
  // LOAD_METHOD=docker-env: every docker command below goes to the minikube profile's daemon
  const ctx = await imageDaemon(local)
  const { cfg, dryRun, log, exec, query } = ctx
  if (!dryRun) {
    const s = log.step('preflight')
    const found = await requireTools(ctx, ['docker'])
    s.done(`docker engine ${found.docker}${ctx.daemon ? ` (${ctx.daemon})` : ''}`)
  }

  // The image's own check would say the same after a minute of docker; a tag without a version is left to it.
  const pyImage = cfg.backend.buildArgs.PYTHON_IMAGE
  const py = pyImage ? pythonMismatch(cfg.backend.contextDir, pyImage) : null
  if (py) {
    fail(
      `the app pins Python ${py.want ?? 'a version no 3.x meets'} (${shownPath(cfg, cfg.backend.contextDir)}/${py.from.file}:${py.from.line} ${py.from.text}) but PYTHON_IMAGE=${pyImage} has ${py.have}`,
      py.fix
        ? `set PYTHON_IMAGE=${py.fix} in .env`
        : `set PYTHON_IMAGE in .env to an image with a Python that ${py.from.file} allows`,
    )
  }

  for (const spec of [cfg.frontend, cfg.backend]) {
    const img = imageRef(cfg, spec)
    // pipes and sockets in a context are never read (one would hang the hash); docker leaves them out as well
    const skipped = skippedInputs(spec)
    if (skipped.length)
      log.warn(
        `${shownPath(cfg, spec.contextDir)}: not part of the ${spec.component} image (not regular files): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ` and ${skipped.length - 5} more` : ''}`,
      )
    if (!flags.force && (await query`docker image inspect ${img.local}`).ok) {
      log.ok(`${img.local} is up to date (${buildInputs(spec).files.length} input files unchanged) — nothing to build`)
      continue
    }
    for (const n of spec.notes ?? []) (log.warn(n.cause), log.detail(`fix: ${n.fix}`))
    const args = Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`])
    await log.task(
      `build ${img.local}`,
      () =>
        exec({
          // BuildKit: per-Dockerfile ignore files and cache mounts (the default builder from Docker 23 on)
          env: { DOCKER_BUILDKIT: '1' },
          stream: Boolean(flags.verbose),
          cause: `the ${spec.component} image did not build`,
          fix: `fix the error above, then: npx zx scripts/build.ts --verbose`,
        })`docker build -f ${shownPath(cfg, spec.dockerfile)} ${args} -t ${img.local} ${shownPath(cfg, spec.contextDir)}`,
    )
  }
}

if (isMain(import.meta.url)) await main(build)
