#!/usr/bin/env zx
// load: get the built images into the cluster without a registry (or through one), skipping what is already there.
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { defineStage, shownPath, type Ctx } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { fail } from './lib/errors.ts'
import { releaseImages, type ImageRef } from './lib/images.ts'
import { inRegistry, sameImage } from './lib/cluster-images.ts'
import { requireTools, type Tool } from './lib/tools.ts'
import { imageDaemon, nodeDocker } from './lib/docker-env.ts'
import { profileRunsOneDocker } from './lib/load-method.ts'
import { imageRefText } from './lib/value-rules.ts'

export const load = defineStage({
  name: 'load',
  summary: 'put the images into the cluster (skipped when the cluster already has the tag)',
  description: `
LOAD_METHOD decides how:
  minikube    copy the locally built images into the minikube profile (CLUSTER=minikube): on a one-node docker
              profile one docker save of them all, loaded into the node's Docker (shared layers once, ~3x faster
              than minikube image load); otherwise minikube image load, which reaches every node and runtime
  docker-env  nothing to copy: build put the images into the minikube profile's Docker; checks they are there
  none        nothing: the cluster uses the local docker engine's images (docker-desktop)
  kind        kind load docker-image --name KIND_CLUSTER
  containerd  docker save to .cache/images/, then ctr --address CONTAINERD_ADDRESS -n CONTAINERD_NAMESPACE images import
  registry    docker tag + docker push to REGISTRY; deploy then points the chart at REGISTRY/<image>`,
  run,
})

async function run(local: Ctx): Promise<void> {
  // LOAD_METHOD=docker-env: the docker queries below ask the minikube profile's daemon; a dry run prints no docker
  // command here, so it does not ask
  const ctx = local.dryRun ? local : await imageDaemon(local)
  const { cfg, dryRun, log, exec, query } = ctx
  // FRONTEND_AUTH_MIGRATE's and FRONTEND_DB_DRIVER=neon's images go along: the migration Job and the database pod
  // run them
  const both: ImageRef[] = releaseImages(cfg)
  const known = (list: string, img: ImageRef): boolean => list.split(/\s+/).some((l) => sameImage(l, img))

  if (!dryRun && cfg.loadMethod !== 'none') {
    const s = log.step('preflight')
    const tools: Tool[] = ['docker']
    if (cfg.loadMethod === 'minikube') tools.push('minikube')
    if (cfg.loadMethod === 'kind') tools.push('kind')
    if (cfg.loadMethod === 'containerd') tools.push('ctr')
    await requireTools(ctx, tools)
    for (const img of both)
      if (!(await query`docker image inspect ${img.local}`).ok)
        fail(
          `image ${img.local} is not built${ctx.daemon ? ` in ${ctx.daemon}` : ''} (its sources changed since the last build, or build never ran)`,
          'npx zx scripts/build.ts',
        )
    s.done()
  }

  if (cfg.loadMethod === 'docker-env') {
    // built by the node's own daemon: the kubelet sees them as they are
    if (dryRun)
      log.info(
        `LOAD_METHOD=docker-env: build puts the images straight into minikube profile ${cfg.minikube.profile}'s Docker; nothing to copy (a real run checks they are there)`,
      )
    else for (const img of both) log.ok(`${img.local} is in ${ctx.daemon} (built there): nothing to copy`)
  } else if (cfg.loadMethod === 'none') {
    log.info(
      `LOAD_METHOD=none: the cluster uses the docker engine's images directly (${both.map((i) => i.local).join(', ')})`,
    )
  } else if (cfg.loadMethod === 'minikube') {
    const p = cfg.minikube.profile
    const list = await query({ timeoutMs: 120_000 })`minikube image ls -p ${p}`
    const missing: ImageRef[] = []
    for (const img of both) {
      if (known(list.stdout, img)) log.ok(`minikube ${p} already has ${img.local}`)
      else missing.push(img)
    }
    // a one-node docker profile takes them straight into its Docker; one whose Docker does not answer (stopped,
    // broken) gets minikube image load, whose failure says why
    const node =
      missing.length && profileRunsOneDocker(p, process.env)
        ? dryRun
          ? ctx
          : await nodeDocker(ctx).catch(() => null)
        : null
    if (node) await streamToNode(ctx, node, missing)
    else
      for (const img of missing)
        await log.task(
          `load ${img.local} into minikube ${p}`,
          () =>
            exec({
              timeoutMs: 900_000,
              cause: `minikube could not load ${img.local}`,
              fix: `minikube status -p ${p}   (not running? npx zx scripts/setup.ts)`,
            })`minikube image load ${img.local} -p ${p}`,
        )
  } else if (cfg.loadMethod === 'kind') {
    // kind compares image IDs on every node itself and skips nodes that have it
    for (const img of both)
      await log.task(
        `load ${img.local} into kind cluster ${cfg.kindCluster}`,
        () =>
          exec({
            timeoutMs: 900_000,
            cause: `kind could not load ${img.local}`,
            fix: `kind get clusters   (is KIND_CLUSTER=${cfg.kindCluster} right?)`,
          })`kind load docker-image ${img.local} --name ${cfg.kindCluster}`,
      )
  } else if (cfg.loadMethod === 'containerd') {
    const { address, namespace } = cfg.containerd
    const list = await query({ timeoutMs: 60_000 })`ctr --address ${address} -n ${namespace} images ls -q`
    if (!dryRun && !list.ok)
      fail(
        `ctr cannot reach containerd at ${address}: ${list.stderr.trim().split('\n').pop() ?? ''}`,
        `set CONTAINERD_ADDRESS to the node's containerd socket (and run as a user that may open it), e.g. sudo ctr --address ${address} version`,
      )
    const dir = path.join(cfg.root, '.cache', 'images')
    // a containerd node may reach no registry at all: the in-cluster PostgreSQL image goes along when docker has it
    // locally (otherwise the node pulls it as usual)
    const pg = imageRefText(cfg.postgresImage)
    const withDb: ImageRef[] = [...both]
    if (!cfg.externalDatabase && !dryRun && (await query`docker image inspect ${pg}`).ok)
      withDb.push({
        component: 'backend',
        local: pg,
        repository: cfg.postgresImage.repository,
        tag: cfg.postgresImage.tag,
        ref: pg,
      })
    for (const img of withDb) {
      if (known(list.stdout, img)) {
        log.ok(`containerd (${namespace}) already has ${img.local}`)
        continue
      }
      const tar = path.join(dir, `${img.local.replace(/[/:]/g, '_')}.tar`)
      if (!dryRun) mkdirSync(dir, { recursive: true })
      await log.task(`import ${img.local} into containerd (${namespace})`, async () => {
        await exec({
          timeoutMs: 900_000,
          cause: `docker could not save ${img.local}`,
          fix: 'df -h   (docker save needs free disk space in .cache/images)',
        })`docker save -o ${shownPath(cfg, tar)} ${img.local}`
        await exec({
          timeoutMs: 900_000,
          cause: `ctr could not import ${img.local}`,
          fix: `ctr --address ${address} -n ${namespace} images import ${shownPath(cfg, tar)}`,
        })`ctr --address ${address} -n ${namespace} images import ${shownPath(cfg, tar)}`
        if (!dryRun) rmSync(tar, { force: true })
      })
    }
  } else {
    const registry = cfg.registry as string
    for (const img of both) {
      if (await inRegistry(ctx, img)) {
        log.ok(`${registry} already has ${img.ref}`)
        continue
      }
      await exec`docker tag ${img.local} ${img.ref}`
      await log.task(
        `push ${img.ref}`,
        () =>
          exec({
            timeoutMs: 900_000,
            cause: `docker could not push ${img.ref}`,
            fix: `docker login ${registry.split('/')[0] ?? registry}`,
          })`docker push ${img.ref}`,
      )
    }
  }
}

/**
 * One `docker save` of the images (the layers they share, the base image and the dependencies, once), loaded into the
 * node's own Docker. `minikube image load` re-packs each image on its own and copies it over ssh: 76 s for a 1 GB
 * image here, against 23 s this way (bench/README.md).
 */
async function streamToNode(ctx: Ctx, nodeCtx: Ctx, images: ImageRef[]): Promise<void> {
  const { cfg, log, exec, dryRun } = ctx
  const p = cfg.minikube.profile
  const tar = path.join(cfg.root, '.cache', 'images', `minikube-${p}.tar`)
  const names = images.map((i) => i.local)
  if (!dryRun) mkdirSync(path.dirname(tar), { recursive: true })
  try {
    await log.task(`load ${names.join(', ')} into minikube ${p}'s Docker`, async () => {
      await exec({
        timeoutMs: 900_000,
        cause: `docker could not save ${names.join(', ')}`,
        fix: 'df -h   (docker save needs free disk space in .cache/images)',
      })`docker save -o ${shownPath(cfg, tar)} ${names}`
      // a dry run asks after the save: in a shell, the eval line it prints points every later docker command at the node
      const node = dryRun ? await nodeDocker(ctx) : nodeCtx
      await node.exec({
        timeoutMs: 900_000,
        cause: `the Docker of minikube profile ${p} could not load the images`,
        fix: `minikube status -p ${p}   (not running? npx zx scripts/setup.ts)`,
      })`docker load -i ${shownPath(cfg, tar)}`
    })
  } finally {
    if (!dryRun) rmSync(tar, { force: true })
  }
}

if (isMain(import.meta.url)) await main(load)
