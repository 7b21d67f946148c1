// The cluster the e2e suite runs on must offer what the kit and chart rely on. On the harness, smoke.sh proves it
// end to end with real kubectl and helm; on any cluster, the APIs and the default StorageClass are checked.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { injectCluster } from './support/cluster.ts'

const run = promisify(execFile)
const cluster = injectCluster(inject('cluster'))
const kubectl = (...args: string[]) =>
  run(cluster.kubectl ?? layerV35().kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], { encoding: 'utf8' })

describe(`e2e cluster (${cluster.kind})`, () => {
  it('serves policy/v1, autoscaling/v2 and has one default StorageClass', async () => {
    const { stdout: apis } = await kubectl('api-versions')
    expect(apis.split('\n')).toEqual(expect.arrayContaining(['policy/v1', 'autoscaling/v2']))
    const { stdout } = await kubectl(
      'get',
      'storageclass',
      '-o',
      'jsonpath={range .items[*]}{.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}{"\\n"}{end}',
    )
    expect(stdout.split('\n').filter((v) => v === 'true')).toHaveLength(1)
  })

  if (cluster.kind === 'harness') {
    it('runs a locally built image, answers on ClusterIP and by DNS name, binds a PVC, takes helm install --wait', async () => {
      const smoke = path.resolve(import.meta.dirname, 'cluster/smoke.sh')
      const { stdout } = await run('bash', [smoke, layerV35().helm], { encoding: 'utf8', timeout: 600_000 })
      for (const check of [
        'node todo-e2e Ready',
        'host -> ClusterIP',
        'pod -> Service by DNS name',
        'PVC (no class given) Bound',
        'Pod Security admission rejects',
        'helm install --wait',
      ]) {
        expect(stdout).toContain(check)
      }
      expect(stdout).toMatch(/smoke: all checks passed/)
    })
  }
})
