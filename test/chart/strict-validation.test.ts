// The schema validation the render tests rely on is strict: it must reject what the API server would.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { gatewayApiCrds, kubectlValidate, kubernetesSchemas, validateFiles } from '../support/kube-validate.ts'
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

// The HTTPRoute (httpRoute.enabled) is a Gateway API kind: Kubernetes' own schemas do not know it, so it is checked
// against the Gateway API's CRD where that module is already in the Go module cache (nothing is fetched for it).
const gatewayApi = gatewayApiCrds()
const routed = () =>
  template(
    { label: 'helm 4.1', bin: layerV35().helm },
    {
      set: [
        ...TAGS,
        'ingress.enabled=false',
        'httpRoute.enabled=true',
        'httpRoute.parentRefs[0].name=eg',
        'httpRoute.parentRefs[0].namespace=envoy-gateway-system',
        'httpRoute.parentRefs[0].sectionName=https',
      ],
      setJson: [
        'ingress.backendPaths=["/api"]',
        'ingress.frontendPaths=["/api/auth"]',
        'httpRoute.hostnames=["todo.example.com"]',
      ],
    },
  ).objects
const route = (o: K8sObject[]) => find(o, 'HTTPRoute', 'todo')!
const ROUTE_CASES: { name: string; break: (objects: K8sObject[]) => void; error: RegExp }[] = [
  {
    name: 'an unknown field in a parentRef',
    break: (o) => void (route(o).spec.parentRefs[0].sectionNam = 'https'),
    error: /sectionNam: Invalid value: value provided for unknown field/,
  },
  {
    name: "an Ingress path type where the Gateway API's belongs",
    break: (o) => void (route(o).spec.rules[0].matches[0].path.type = 'Prefix'),
    error: /type: Unsupported value: "Prefix"/,
  },
  {
    name: 'a backendRef port by name (the Gateway API takes a number)',
    break: (o) => void (route(o).spec.rules[0].backendRefs[0].port = 'http'),
    error: /port in body must be of type integer/,
  },
]

describe(`kubectl-validate with the Gateway API ${gatewayApi.version} HTTPRoute CRD`, () => {
  it.each(KUBE_VERSIONS)(
    'Kubernetes %s: accepts the release with its HTTPRoute, rejects each broken route',
    (version) => {
      const files = [path.join(dir, `route-ok-${version}.yaml`)]
      const ok = routed()
      expect(route(ok).spec.rules).toHaveLength(3)
      writeFileSync(files[0]!, docs(ok))
      for (const [i, c] of ROUTE_CASES.entries()) {
        const objects = routed()
        c.break(objects)
        const file = path.join(dir, `route-bad-${version}-${i}.yaml`)
        writeFileSync(file, docs(objects))
        files.push(file)
      }
      const results = validateFiles(files, version, { crds: gatewayApi!.dir })
      expect(results.get(files[0]!)).toEqual([])
      for (const [i, c] of ROUTE_CASES.entries()) {
        const issues = results.get(files[i + 1]!)!
        expect(issues, c.name).toHaveLength(1)
        expect(issues[0]!.message, c.name).toMatch(c.error)
      }
    },
    120_000,
  )
})
