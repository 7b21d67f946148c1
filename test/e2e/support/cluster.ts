// Where the e2e suite's cluster is and how to reach it. The harness (test/e2e/cluster) is a real single-node
// Kubernetes built from registry packages; `minikube` is a real minikube that the kit's own setup stage starts, from
// what test/e2e/minikube/build.sh cached offline; `current` is whatever the kubeconfig's current context points at.
import { execFile } from 'node:child_process'
import { homedir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const harnessDir = path.resolve(import.meta.dirname, '../cluster')
const minikubeDir = path.resolve(import.meta.dirname, '../minikube')

export type E2ECluster = {
  kind: 'harness' | 'current' | 'minikube'
  kubeconfig: string
  /** the cluster's own containerd socket (harness only): images enter with `ctr --address <it> -n k8s.io images import` */
  containerdAddress?: string
  /** a kubectl matching the server (harness only) */
  kubectl?: string
  /** a registry the cluster pulls from over loopback (harness only): for LOAD_METHOD=registry */
  registry?: string
  /** minikube only: the profile the suite's kit runs start, and the environment its minikube commands need */
  minikube?: {
    profile: string
    env: Record<string, string>
    pathPrefix: string[]
    /** the Gateway API's standard-channel CRDs of the version the suite's Gateway controller (Traefik) is built on */
    gatewayApiCrds?: string
  }
}

/** KEY=VALUE lines, as up.sh prints them and writes them to cluster.env */
export function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m?.[1] !== undefined) out[m[1]] = m[2] ?? ''
  }
  return out
}

export async function startHarness(): Promise<E2ECluster> {
  const up = path.join(harnessDir, 'up.sh')
  try {
    // a cold machine builds Kubernetes first (tens of minutes); progress goes to stderr
    const { stdout } = await run('bash', [up], { maxBuffer: 16 << 20, timeout: 90 * 60_000 })
    const env = parseEnvLines(stdout)
    if (!env.KUBECONFIG || !env.CONTAINERD_ADDRESS)
      throw new Error(`up.sh printed no KUBECONFIG/CONTAINERD_ADDRESS:\n${stdout}`)
    return {
      kind: 'harness',
      kubeconfig: env.KUBECONFIG,
      containerdAddress: env.CONTAINERD_ADDRESS,
      kubectl: env.KUBECTL,
      registry: env.REGISTRY,
    }
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(
      `the e2e cluster did not come up (${e.message.split('\n')[0]}).\n${e.stderr ?? ''}\n` +
        `Fix what it says, then retry; to start clean: sudo bash ${path.join(harnessDir, 'down.sh')}`,
    )
  }
}

export async function stopHarness(): Promise<void> {
  await run('bash', [path.join(harnessDir, 'down.sh')], { timeout: 5 * 60_000 })
}

/**
 * Builds (or finds cached) everything minikube needs offline, and starts nothing: the kit's setup stage starts the
 * profile in the first `npm run up`, as it does for a user.
 */
export async function prepareMinikube(): Promise<E2ECluster> {
  try {
    const { stdout } = await run('bash', [path.join(minikubeDir, 'build.sh')], {
      maxBuffer: 16 << 20,
      timeout: 90 * 60_000,
    })
    const env = parseEnvLines(stdout)
    const {
      MINIKUBE_BIN_DIR: bin,
      MINIKUBE_SHIM_DIR: shim,
      KUBECONFIG: kubeconfig,
      E2E_PROFILE: profile,
      E2E_GATEWAY_API_CRDS: gatewayApiCrds,
      ...rest
    } = env
    if (!bin || !shim || !kubeconfig || !profile)
      throw new Error(`build.sh printed no MINIKUBE_BIN_DIR/KUBECONFIG/E2E_PROFILE:\n${stdout}`)
    // the shim first: it stands in for `docker run --privileged` where the kernel refuses it (see shim/docker)
    return { kind: 'minikube', kubeconfig, minikube: { profile, env: rest, pathPrefix: [shim, bin], gatewayApiCrds } }
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(
      `minikube's offline cache could not be built (${e.message.split('\n')[0]}).\n${e.stderr ?? ''}\n` +
        `Fix what it says, then retry: bash ${path.join(minikubeDir, 'build.sh')}`,
    )
  }
}

/** The environment a command needs to drive the suite's minikube (PATH first). */
export function minikubeEnv(
  cluster: E2ECluster,
  base: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const mk = cluster.minikube
  if (!mk) throw new Error(`the e2e cluster is ${cluster.kind}, not minikube`)
  return {
    ...(base as Record<string, string>),
    ...mk.env,
    KUBECONFIG: cluster.kubeconfig,
    PATH: [...mk.pathPrefix, base.PATH ?? ''].join(path.delimiter),
  }
}

/** What `minikube status -o json` says of the suite's profile: {} when there is no such profile. */
export async function minikubeStatus(cluster: E2ECluster): Promise<{ Host?: string; APIServer?: string }> {
  const r = await run('minikube', ['status', '-p', cluster.minikube!.profile, '-o', 'json'], {
    env: minikubeEnv(cluster),
    encoding: 'utf8',
    timeout: 60_000,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))
  try {
    return JSON.parse(r.stdout) as { Host?: string; APIServer?: string }
  } catch {
    return {}
  }
}

/** Deletes the suite's minikube profile (its node container, network and volume); nothing else of minikube's cache. */
export async function deleteMinikube(cluster: E2ECluster): Promise<void> {
  await run('minikube', ['delete', '-p', cluster.minikube!.profile], { env: minikubeEnv(cluster), timeout: 5 * 60_000 })
}

export function currentCluster(): E2ECluster {
  const first = (process.env.KUBECONFIG ?? '').split(path.delimiter)[0]
  return { kind: 'current', kubeconfig: first || path.join(homedir(), '.kube', 'config') }
}

/** The cluster the global setup provided, or an error saying how to wire the setup in. */
export function injectCluster(provided: E2ECluster | undefined): E2ECluster {
  if (!provided) {
    throw new Error(
      "no e2e cluster was provided: the e2e project needs globalSetup: ['test/e2e/global-setup.ts'] " +
        'in vitest.config.ts; run the suite with `npm run test:e2e`',
    )
  }
  return provided
}
