// How images reach the cluster (LOAD_METHOD): what each cluster allows, and the default a minikube profile implies.
import { existsSync } from 'node:fs'
import { readTextFile } from './safe-read.ts'
import os from 'node:os'
import path from 'node:path'
import { Invalid, type Report } from './value-rules.ts'

export type ClusterKind = 'minikube' | 'existing'
export type LoadMethod = 'minikube' | 'docker-env' | 'none' | 'kind' | 'containerd' | 'registry'

export const LOAD_METHODS_BY_CLUSTER: Record<ClusterKind, readonly LoadMethod[]> = {
  minikube: ['minikube', 'docker-env', 'registry'],
  existing: ['none', 'kind', 'containerd', 'registry'],
}

/**
 * LOAD_METHOD when CLUSTER=minikube and it is unset: docker-env (build in the node's own Docker, nothing to copy) when
 * the profile runs the docker runtime, which setup starts a new profile with; `minikube image load` for a profile that
 * runs containerd or cri-o, the none driver or several nodes, where minikube has no Docker to lend. docker-env wins
 * on every edit and costs once on a cold `up` (bench/README.md has the figures).
 */
export const MINIKUBE_DEFAULT_LOAD_METHOD = 'docker-env'

type MinikubeMethod = { method: 'minikube' | 'docker-env'; why: string }
type NewProfile = { runtime: string; nodes: number }
function minikubeDefaultLoadMethod(
  profile: string,
  fresh: NewProfile,
  env: Record<string, string | undefined>,
): MinikubeMethod {
  // minikube's own record of the profile: MINIKUBE_HOME is used as is when it ends in .minikube, else minikube
  // appends .minikube
  const mkHome = env.MINIKUBE_HOME
  const home = mkHome
    ? path.basename(mkHome) === '.minikube'
      ? mkHome
      : path.join(mkHome, '.minikube')
    : path.join(env.HOME ?? os.homedir(), '.minikube')
  const file = path.join(home, 'profiles', profile, 'config.json')
  if (!existsSync(file)) {
    if (fresh.runtime && fresh.runtime !== 'docker')
      return { method: 'minikube', why: `no profile ${profile} yet: setup starts it on ${fresh.runtime}` }
    if (fresh.nodes > 1)
      return { method: 'minikube', why: `no profile ${profile} yet: setup starts it with ${fresh.nodes} nodes` }
    return { method: 'docker-env', why: `no profile ${profile} yet: setup starts it with the docker runtime` }
  }
  try {
    type Profile = { Driver?: string; Nodes?: unknown[]; KubernetesConfig?: { ContainerRuntime?: string } }
    const c = JSON.parse(readTextFile(file)) as Profile
    const runtime = c.KubernetesConfig?.ContainerRuntime || 'docker'
    if (runtime !== 'docker') return { method: 'minikube', why: `profile ${profile} runs ${runtime}, not docker` }
    if (c.Driver === 'none') return { method: 'minikube', why: `profile ${profile} uses the none driver` }
    const nodes = c.Nodes?.length ?? 1
    if (nodes > 1) return { method: 'minikube', why: `profile ${profile} has ${nodes} nodes` }
    return { method: 'docker-env', why: `profile ${profile} runs the docker runtime` }
  } catch {
    return { method: 'minikube', why: `${file} could not be read` }
  }
}

type LoadKeys = {
  CLUSTER: ClusterKind
  LOAD_METHOD: LoadMethod | ''
  REGISTRY: string | null
  MINIKUBE_PROFILE: string
  MINIKUBE_CONTAINER_RUNTIME: '' | 'docker' | 'containerd' | 'cri-o'
  MINIKUBE_NODES: number
}

/** The rules across keys: LOAD_METHOD fits CLUSTER, and registry needs REGISTRY. */
export function checkLoadMethod(v: LoadKeys, issue: Report): void {
  const allowed = LOAD_METHODS_BY_CLUSTER[v.CLUSTER]
  if (v.LOAD_METHOD === 'docker-env' && v.CLUSTER !== 'minikube') {
    const why = "docker-env builds into a minikube profile's own Docker, so it needs CLUSTER=minikube"
    issue('LOAD_METHOD', new Invalid(`one of ${allowed.join(', ')}: ${why}`))
  } else if (v.LOAD_METHOD && !allowed.includes(v.LOAD_METHOD)) {
    issue('LOAD_METHOD', new Invalid(`one of ${allowed.join(', ')}`))
  }
  if (v.LOAD_METHOD === 'docker-env' && v.CLUSTER === 'minikube') {
    // docker-env builds into one node's Docker: a new profile must run docker, on one node
    if (v.MINIKUBE_CONTAINER_RUNTIME && v.MINIKUBE_CONTAINER_RUNTIME !== 'docker')
      issue(
        'LOAD_METHOD',
        new Invalid(
          `minikube (or unset) with MINIKUBE_CONTAINER_RUNTIME=${v.MINIKUBE_CONTAINER_RUNTIME}: docker-env needs the docker runtime`,
        ),
      )
    else if (v.MINIKUBE_NODES > 1)
      issue(
        'LOAD_METHOD',
        new Invalid(
          `minikube (or unset) with MINIKUBE_NODES=${v.MINIKUBE_NODES}: docker-env builds into one node's Docker, and pods on the others would lack the image`,
        ),
      )
  }
  if (v.LOAD_METHOD === 'registry' && !v.REGISTRY) {
    issue('REGISTRY', new Invalid('a registry like localhost:5000 when LOAD_METHOD=registry', ''))
  }
}

/** An existing profile that runs one node on the docker runtime: images can go straight into that node's Docker. */
export function profileRunsOneDocker(profile: string, env: Record<string, string | undefined>): boolean {
  // no profile record (or an unreadable one) is not one: only minikube image load is sure to work then
  return minikubeDefaultLoadMethod(profile, { runtime: 'unknown', nodes: 1 }, env).method === 'docker-env'
}

/** LOAD_METHOD as set, else the cluster's default; `why` says why when the kit picked it from a minikube profile. */
export function resolveLoadMethod(
  v: LoadKeys,
  env: Record<string, string | undefined>,
): { method: LoadMethod; why: string | null } {
  const fresh = { runtime: v.MINIKUBE_CONTAINER_RUNTIME, nodes: v.MINIKUBE_NODES }
  const picked =
    !v.LOAD_METHOD && v.CLUSTER === 'minikube' ? minikubeDefaultLoadMethod(v.MINIKUBE_PROFILE, fresh, env) : null
  return { method: v.LOAD_METHOD || picked?.method || 'none', why: picked?.why ?? null }
}
