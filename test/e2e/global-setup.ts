// Vitest global setup of the e2e project: gives the suite a cluster and tells every test where it is.
// E2E_CLUSTER=harness (the default under CI) builds/starts the throwaway cluster of test/e2e/cluster and stops it
// afterwards (E2E_KEEP_CLUSTER=1 keeps it for the next run); E2E_CLUSTER=current uses the current kubeconfig
// context as it is (a laptop's minikube), and never tears anything down; E2E_CLUSTER=minikube builds minikube's offline
// cache (test/e2e/minikube) and leaves starting it to the kit's setup stage, as for a user; the profile is deleted
// afterwards unless E2E_KEEP_CLUSTER=1.
import type { TestProject } from 'vitest/node'
import {
  currentCluster,
  deleteMinikube,
  prepareMinikube,
  startHarness,
  stopHarness,
  type E2ECluster,
} from './support/cluster.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: E2ECluster
  }
}

export default async function setup(project: TestProject) {
  const target = process.env.E2E_CLUSTER ?? (process.env.CI ? 'harness' : 'current')
  if (target !== 'harness' && target !== 'current' && target !== 'minikube') {
    throw new Error(`E2E_CLUSTER=${target} is not known: use E2E_CLUSTER=harness, minikube or current`)
  }
  const cluster =
    target === 'harness' ? await startHarness() : target === 'minikube' ? await prepareMinikube() : currentCluster()
  // hermetic: a profile an interrupted earlier run left (its release, Secret and database volume with other secrets)
  // must not meet this run's kit, which starts the suite's profiles from nothing as for a new user
  if (cluster.kind === 'minikube')
    for (const profile of [cluster.minikube!.profile, `${cluster.minikube!.profile}-nodes`])
      await deleteMinikube({ ...cluster, minikube: { ...cluster.minikube!, profile } })
  // workers start after this, so they inherit it too: kubectl/helm in tests need no --kubeconfig
  process.env.KUBECONFIG = cluster.kubeconfig
  project.provide('cluster', cluster)
  return async () => {
    if (process.env.E2E_KEEP_CLUSTER) return
    if (cluster.kind === 'harness') await stopHarness()
    if (cluster.kind === 'minikube')
      await deleteMinikube(cluster).catch(() => {
        /* the suite deleted it already */
      })
  }
}
