#!/usr/bin/env zx
// setup: the tools are there, the cluster runs, kubectl points at it, the namespace exists.
import { defineStage, shownPath, type Ctx } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { fail } from './lib/errors.ts'
import { chartMinimum, olderThan } from './lib/kube-version.ts'
import { requireTools, type Tool } from './lib/tools.ts'

export const setup = defineStage({
  name: 'setup',
  summary: 'check the tools, start minikube, enable addons, create the namespace',
  checkPaths: false,
  description: `
1. preflight: docker engine answering; kubectl, helm (and minikube, kind or ctr as configured) present and new enough
2. CLUSTER=minikube: start the MINIKUBE_PROFILE cluster if it is not running (driver, cpus, memory, k8s version,
   container runtime: docker for LOAD_METHOD=docker-env, else MINIKUBE_CONTAINER_RUNTIME; MINIKUBE_NODES), enable MINIKUBE_ADDONS (ingress; metrics-server when HPA_ENABLED=true), point kubectl at the profile
   CLUSTER=existing: check the current kubectl context answers
   either way: the cluster's Kubernetes is at least the chart's kubeVersion (Chart.yaml), checked before anything is created
3. create the NAMESPACE if it does not exist`,
  run,
})

async function run(ctx: Ctx): Promise<void> {
  const { cfg, dryRun, log, exec, query } = ctx
  const mk = cfg.minikube
  if (!dryRun) await preflight(ctx)

  if (cfg.cluster === 'minikube') {
    if (cfg.loadMethodWhy)
      log.info(`images: LOAD_METHOD=${cfg.loadMethod} (${cfg.loadMethodWhy}; set LOAD_METHOD to choose)`)
    // docker-env builds with the node's Docker: ask for that runtime even when a user-wide minikube config (or
    // minikube 1.39's containerd default) says otherwise
    const runtime = mk.containerRuntime ? [`--container-runtime=${mk.containerRuntime}`] : []
    const nodes = mk.nodes > 1 ? [`--nodes=${mk.nodes}`] : []
    const cni = mk.cni ? [`--cni=${mk.cni}`] : []
    const start = {
      timeoutMs: cfg.timeouts.minikubeStartMs,
      cause: `minikube could not start profile ${mk.profile}`,
      fix: `minikube logs -p ${mk.profile}   (or start over: minikube delete -p ${mk.profile})`,
    }
    if (await minikubeRunning(ctx)) log.ok(`minikube profile ${mk.profile} is running`)
    else {
      const minimum = tooOldFor(cfg, mk.kubernetesVersion)
      if (minimum)
        fail(
          `MINIKUBE_K8S_VERSION=${mk.kubernetesVersion} is older than the chart supports (Kubernetes ${minimum} or newer: its Chart.yaml kubeVersion)`,
          process.env.MINIKUBE_K8S_VERSION !== undefined
            ? 'unset MINIKUBE_K8S_VERSION (it comes from the environment, which overrides .env; the default is stable)'
            : `set MINIKUBE_K8S_VERSION=stable in ${cfg.envFile ? shownPath(cfg, cfg.envFile) : '.env'} (or remove the line)`,
        )
      log.info(runtimeChoice(cfg))
      await log.task(
        `start minikube profile ${mk.profile}`,
        () =>
          exec(
            start,
          )`minikube start -p ${mk.profile} --driver=${mk.driver} --cpus=${mk.cpus} --memory=${mk.memory} --kubernetes-version=${mk.kubernetesVersion} ${runtime} ${nodes} ${cni}`,
      )
    }

    const current = await query`kubectl config current-context`
    if (current.ok && current.stdout.trim() === mk.profile) log.ok(`kubectl context is ${mk.profile}`)
    else await exec({ fix: `minikube update-context -p ${mk.profile}` })`kubectl config use-context ${mk.profile}`
    // a profile started before (by hand, or with an older MINIKUBE_K8S_VERSION) keeps its version
    if (!dryRun) refuseOldCluster(cfg, await serverVersion(ctx), `profile ${mk.profile}`)

    const enabled = await enabledAddons(ctx)
    for (const addon of mk.addons) {
      const enable = {
        timeoutMs: 600_000,
        cause: `minikube could not enable the ${addon} addon`,
        fix: `minikube addons enable ${addon} -p ${mk.profile}`,
      }
      if (enabled.has(addon)) log.ok(`addon ${addon} is enabled`)
      else await log.task(`enable addon ${addon}`, () => exec(enable)`minikube addons enable ${addon} -p ${mk.profile}`)
    }
  } else if (!dryRun) await checkCurrentCluster(ctx)

  if ((await query`kubectl get namespace ${cfg.namespace}`).ok) log.ok(`namespace ${cfg.namespace} exists`)
  else await exec({ fix: 'kubectl cluster-info' })`kubectl create namespace ${cfg.namespace}`

  if (cfg.cluster === 'minikube' && mk.driver === 'docker' && process.platform !== 'linux' && cfg.ingress.enabled)
    log.warn(
      `on ${process.platform === 'darwin' ? 'macOS' : 'Windows'} with the docker driver, reach the ingress through: minikube tunnel -p ${mk.profile}`,
    )
}

/** Every tool this configuration needs, present and new enough: one message lists all that are not. */
async function preflight(ctx: Ctx): Promise<void> {
  const { cfg } = ctx
  const step = ctx.log.step('preflight')
  const tools: Tool[] = ['docker', 'kubectl', 'helm']
  if (cfg.cluster === 'minikube') tools.push('minikube')
  if (cfg.loadMethod === 'kind') tools.push('kind')
  if (cfg.loadMethod === 'containerd') tools.push('ctr')
  const found = await requireTools(ctx, tools)
  step.done(
    Object.entries(found)
      .map(([t, v]) => `${t} ${v}`)
      .join(', '),
  )
}

async function minikubeRunning(ctx: Ctx): Promise<boolean> {
  const status = await ctx.query({ timeoutMs: 60_000 })`minikube status -p ${ctx.cfg.minikube.profile} -o json`
  try {
    // one node: an object; several: one per node, where only the control plane runs an API server
    type NodeStatus = { Host?: string; Kubelet?: string; APIServer?: string }
    const parsed = JSON.parse(status.stdout) as NodeStatus | NodeStatus[]
    const nodes = Array.isArray(parsed) ? parsed : [parsed]
    return (
      nodes.length > 0 &&
      nodes.every((n) => n.Host === 'Running' && n.Kubelet === 'Running') &&
      nodes.some((n) => n.APIServer === 'Running')
    )
  } catch {
    return false
  }
}

/** The one line that says which container runtime a new profile gets, and what that means for the images. */
export function runtimeChoice(cfg: Ctx['cfg']): string {
  const mk = cfg.minikube
  const nodes = mk.nodes > 1 ? `, ${mk.nodes} nodes` : ''
  if (cfg.loadMethod === 'docker-env')
    return `new profile: the docker runtime${nodes} (LOAD_METHOD=docker-env builds in the node's own Docker; minikube 1.39 would otherwise pick containerd)`
  const runtime = mk.containerRuntime ?? "minikube's default runtime (docker before 1.39, containerd from 1.39)"
  return `new profile: ${runtime}${nodes}; images reach ${mk.nodes > 1 ? 'every node' : 'the node'} by LOAD_METHOD=${cfg.loadMethod}`
}

async function enabledAddons(ctx: Ctx): Promise<Set<string>> {
  const list = await ctx.query({ timeoutMs: 60_000 })`minikube addons list -p ${ctx.cfg.minikube.profile} -o json`
  try {
    const addons = JSON.parse(list.stdout) as Record<string, { Status?: string }>
    return new Set(
      Object.entries(addons)
        .filter(([, a]) => a.Status === 'enabled')
        .map(([n]) => n),
    )
  } catch {
    return new Set()
  }
}

/** The API server's version ("v1.35.1"), '' when it does not answer. */
async function serverVersion(ctx: Ctx): Promise<string> {
  const reach = await ctx.query({ timeoutMs: 30_000 })`kubectl version -o json`
  try {
    return (JSON.parse(reach.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? ''
  } catch {
    return ''
  }
}

/** The chart's minimum when `version` is older than it (Helm would refuse only at deploy, after the builds), else null. */
function tooOldFor(cfg: Ctx['cfg'], version: string): string | null {
  const minimum = chartMinimum(cfg.chartDir)
  return minimum && olderThan(version, minimum) ? minimum : null
}

/** A running cluster (`where`: the profile or the context) on an older Kubernetes than the chart supports. */
function refuseOldCluster(cfg: Ctx['cfg'], version: string, where: string): void {
  const minimum = tooOldFor(cfg, version)
  if (!minimum) return
  const fix =
    cfg.cluster === 'minikube'
      ? `minikube delete -p ${cfg.minikube.profile} && npx zx scripts/setup.ts   (a new profile gets MINIKUBE_K8S_VERSION=${cfg.minikube.kubernetesVersion}; the old one's data goes with it)`
      : `kubectl config use-context <a cluster on Kubernetes ${minimum} or newer>   (or upgrade this one)`
  fail(
    `${where} runs Kubernetes ${version}, older than the chart supports (${minimum} or newer: its Chart.yaml kubeVersion)`,
    fix,
  )
}

/** CLUSTER=existing: kubectl's current context answers. */
async function checkCurrentCluster(ctx: Ctx): Promise<void> {
  const { cfg, log, query } = ctx
  const current = await query`kubectl config current-context`
  if (!current.ok)
    fail('kubectl has no current context (CLUSTER=existing uses it)', 'kubectl config use-context <your-cluster>')
  const server = await serverVersion(ctx)
  if (!server) fail(`cluster unreachable: context ${current.stdout.trim()} does not answer`, 'kubectl cluster-info')
  refuseOldCluster(cfg, server, `context ${current.stdout.trim()}`)
  log.ok(`using context ${current.stdout.trim()} (Kubernetes ${server}), LOAD_METHOD=${cfg.loadMethod}`)
  if (cfg.hpa)
    log.info('HPA_ENABLED=true needs metrics-server in this cluster (kubectl top nodes tells you if it runs)')
}

if (isMain(import.meta.url)) await main(setup)
