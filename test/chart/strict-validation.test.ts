// The schema validation the render tests rely on is strict: it must reject what the API server would.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { kubectlValidate, kubernetesSchemas, validateFiles } from '../support/kube-validate.ts'
import { layerV35 } from '../support/k8s-tools.ts'
import { find, KUBE_VERSIONS, TAGS, template, type K8sObject } from './helm.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'chart-strict-'))
const docs = (objects: K8sObject[]) => objects.map((o) => `---\n${stringify(o)}`).join('')
const base = () => template({ label: 'helm 4.1', bin: layerV35().helm }, { set: TAGS }).objects

const CASES: { name: string; break: (objects: K8sObject[]) => void; error: RegExp }[] = [
  {
    name: 'an unknown field in a pod spec',
    break: (o) => void (find(o, 'Deployment', 'todo-backend')!.spec.template.spec.sidecarz = []),
    error: /sidecarz: Invalid value: value provided for unknown field/,
  },
  {
    name: 'an unknown field in a container',
    break: (o) =>
      void (find(o, 'StatefulSet', 'todo-postgresql')!.spec.template.spec.containers[0].livenessProbes = {}),
    error: /livenessProbes: Invalid value: value provided for unknown field/,
  },
  {
    name: 'a string where an integer belongs',
    break: (o) => void (find(o, 'Deployment', 'todo-frontend')!.spec.revisionHistoryLimit = 'five'),
    error: /revisionHistoryLimit in body must be of type integer/,
  },
  {
    name: 'a label value Kubernetes refuses',
    break: (o) =>
      void (find(o, 'Service', 'todo-frontend')!.metadata.labels!['app.kubernetes.io/component'] = 'front end'),
    error: /a valid label must be/,
  },
]

beforeAll(() => {
  // The first run builds kubectl-validate and fetches the schemas (a few minutes) into the test tools cache; later
  // runs, from any checkout, reuse them.
  kubectlValidate()
  for (const v of KUBE_VERSIONS) kubernetesSchemas(v)
}, 900_000)

describe.each(KUBE_VERSIONS)('kubectl-validate against Kubernetes %s', (version) => {
  it('accepts the chart as rendered, and rejects each broken variant', () => {
    const files = [path.join(dir, `ok-${version}.yaml`)]
    writeFileSync(files[0]!, docs(base()))
    for (const [i, c] of CASES.entries()) {
      const objects = base()
      c.break(objects)
      const file = path.join(dir, `bad-${version}-${i}.yaml`)
      writeFileSync(file, docs(objects))
      files.push(file)
    }
    const results = validateFiles(files, version)
    expect(results.get(files[0]!)).toEqual([])
    for (const [i, c] of CASES.entries()) {
      const issues = results.get(files[i + 1]!)!
      expect(issues, c.name).toHaveLength(1)
      expect(issues[0]!.message, c.name).toMatch(c.error)
    }
  }, 120_000)
})
