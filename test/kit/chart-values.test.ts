// The values deploy sets, rendered by the real chart with real Helm 3 and Helm 4 (`helm template`, no cluster):
// the chart's schema accepts them, and the names the stages rely on (Services, PVC labels) are what they expect.
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { loadConfig, type Config } from '../../scripts/lib/config.ts'
import { chartValues, secretManifest, setArgs, valuesMatch } from '../../scripts/lib/release.ts'
import { images } from '../../scripts/lib/images.ts'
import { helmBinaries } from '../support/k8s-tools.ts'
import { root } from './harness.ts'

type Obj = {
  kind: string
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }
  spec?: any
} // eslint-disable-line @typescript-eslint/no-explicit-any

function render(helm: string, cfg: Config): Obj[] {
  const args = setArgs(chartValues(cfg, secretManifest(cfg).hash))
  const out = execFileSync(helm, ['template', cfg.release, cfg.chartDir, '-n', cfg.namespace, ...args], {
    encoding: 'utf8',
    cwd: root,
  })
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Obj)
    .filter(Boolean)
}
const emptyEnv = path.join(mkdtempSync(path.join(os.tmpdir(), 'kit-chart-')), '.env')
writeFileSync(emptyEnv, '')
const cfgWith = (env: Record<string, string>): Config =>
  loadConfig({
    env: { BETTER_AUTH_SECRET: 'b'.repeat(40), POSTGRES_PASSWORD: 'pw-123-chart-values', ...env },
    envFile: emptyEnv,
  })

describe.each(helmBinaries())('$label renders the values deploy sets', ({ bin }) => {
  it('default: images with content tags, the Secret, ingress, in-cluster PostgreSQL', { timeout: 60_000 }, () => {
    const cfg = cfgWith({})
    const objs = render(bin, cfg)
    const imgs = images(cfg)
    const deploy = (name: string): Obj => objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as Obj
    const fe = deploy('todo-frontend')
    const be = deploy('todo-backend')
    expect(fe.spec.template.spec.containers[0].image).toBe(imgs.frontend.ref)
    expect(be.spec.template.spec.containers[0].image).toBe(imgs.backend.ref)
    expect(fe.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent')
    expect(fe.spec.template.metadata.annotations['todo-k8s-kit/secret-hash']).toBe(secretManifest(cfg).hash)
    expect(JSON.stringify(objs)).toContain('"todo-secrets"')
    // deploy's port-forward hint and validate use these Service names
    expect(
      objs
        .filter((o) => o.kind === 'Service')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['todo-backend', 'todo-frontend', 'todo-postgresql'])
    const ing = objs.find((o) => o.kind === 'Ingress') as Obj
    expect(ing.spec.ingressClassName).toBe('nginx')
    expect(ing.spec.rules[0].host).toBe('todo.local')
    // cleanup --purge-data selects the database volume by these labels
    const sts = objs.find((o) => o.kind === 'StatefulSet') as Obj
    expect(sts.spec.volumeClaimTemplates[0].metadata.labels).toMatchObject({
      'app.kubernetes.io/instance': 'todo',
      'app.kubernetes.io/component': 'postgresql',
    })
    // the kit's default POSTGRES_IMAGE is the chart's own default image: a full version, never a floating major
    const chartPg = (
      parse(readFileSync(path.join(root, 'helm/todo-chatbot/values.yaml'), 'utf8')) as {
        postgresql: { image: { repository: string; tag: string } }
      }
    ).postgresql.image
    expect(sts.spec.template.spec.containers[0].image).toBe(`${chartPg.repository}:${chartPg.tag}`)
    expect(sts.spec.template.spec.containers[0].image).toMatch(/^postgres:17\.\d+$/)
  })

  it('external database, HPA, replicas, no ingress, registry repositories', { timeout: 60_000 }, () => {
    const cfg = cfgWith({
      DATABASE_URL: 'postgresql://u:db-pass-chart@db.example.com:5432/todo',
      HPA_ENABLED: 'true',
      FRONTEND_REPLICAS: '2',
      INGRESS_ENABLED: 'false',
      CLUSTER: 'existing',
      LOAD_METHOD: 'registry',
      REGISTRY: 'localhost:5000',
    })
    const objs = render(bin, cfg)
    expect(objs.some((o) => o.kind === 'StatefulSet')).toBe(false)
    expect(objs.some((o) => o.kind === 'Ingress')).toBe(false)
    expect(objs.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toHaveLength(2)
    const fe = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'todo-frontend') as Obj
    expect(fe.spec.template.spec.containers[0].image).toMatch(/^localhost:5000\/todo-frontend:h-[0-9a-f]{12}$/)
  })

  it(
    'ROUTING=gateway: an HTTPRoute on the Gateway GATEWAY_NAME for INGRESS_HOST, and no Ingress',
    { timeout: 60_000 },
    () => {
      const route = (env: Record<string, string>) => {
        const objs = render(bin, cfgWith({ ROUTING: 'gateway', GATEWAY_NAME: 'eg', INGRESS_HOST: 'todo.test', ...env }))
        expect(objs.some((o) => o.kind === 'Ingress')).toBe(false)
        return objs.find((o) => o.kind === 'HTTPRoute') as Obj
      }
      const same = route({})
      expect(same.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' }])
      expect(same.spec.hostnames).toEqual(['todo.test'])
      expect(same.spec.rules.at(-1).backendRefs).toEqual([{ name: 'todo-frontend', port: 3000 }])
      const other = route({ GATEWAY_NAMESPACE: 'envoy-gateway-system', GATEWAY_SECTION: 'https' })
      expect(other.spec.parentRefs).toEqual([
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: 'eg',
          namespace: 'envoy-gateway-system',
          sectionName: 'https',
        },
      ])
      // ROUTING=none: neither
      const none = render(bin, cfgWith({ ROUTING: 'none' }))
      expect(none.some((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute')).toBe(false)
    },
  )

  it(
    'MINIKUBE_NODES=2: one replica per node where it can, the database on the node its volume is on; one node: neither',
    { timeout: 60_000 },
    () => {
      const cfg = cfgWith({ MINIKUBE_NODES: '2', FRONTEND_REPLICAS: '2', BACKEND_REPLICAS: '2' })
      const objs = render(bin, cfg)
      const pod = (name: string) =>
        objs.find((o) => o.metadata.name === name && /Deployment|StatefulSet/.test(o.kind))!.spec.template.spec
      for (const c of ['frontend', 'backend'])
        expect(pod(`todo-${c}`).topologySpreadConstraints).toEqual([
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            nodeTaintsPolicy: 'Honor',
            matchLabelKeys: ['pod-template-hash'],
            labelSelector: {
              matchLabels: {
                'app.kubernetes.io/name': 'todo-chatbot',
                'app.kubernetes.io/instance': 'todo',
                'app.kubernetes.io/component': c,
              },
            },
          },
        ])
      expect(pod('todo-postgresql').nodeSelector).toEqual({ 'minikube.k8s.io/primary': 'true' })
      // what `helm get values` gives back for them counts as the same release (a second up changes nothing)
      const deployed = {
        postgresql: { nodeSelector: { 'minikube.k8s.io/primary': 'true' } },
        frontend: { topologySpreadConstraints: pod('todo-frontend').topologySpreadConstraints },
        backend: { topologySpreadConstraints: pod('todo-backend').topologySpreadConstraints },
      }
      const multi = chartValues(cfg, 'h').filter(([k]) => /topologySpread|nodeSelector/.test(k))
      expect(multi).toHaveLength(11)
      expect(valuesMatch(deployed, multi)).toBe(true)
      expect(valuesMatch({ postgresql: { nodeSelector: {} } }, multi)).toBe(false)

      const one = render(bin, cfgWith({}))
      expect(
        one.find((o) => o.metadata.name === 'todo-postgresql' && o.kind === 'StatefulSet')!.spec.template.spec
          .nodeSelector,
      ).toBeUndefined()
      expect(
        chartValues(cfgWith({ CLUSTER: 'existing', MINIKUBE_NODES: '2' }), 'h').some(([k]) => /topologySpread/.test(k)),
      ).toBe(false)
    },
  )
})
