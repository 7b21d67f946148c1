// Gateway API routing (httpRoute), with real helm 3 and helm 4: the HTTPRoute routes the very paths the Ingress
// would, the chart refuses both at once and a route without a Gateway, and the NetworkPolicies admit the Gateway's
// data plane the way they admit the ingress controller. The HTTPRoute's strict schema validation (the Gateway API
// CRD) is in strict-validation.test.ts.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { byKind, chartDir, find, helms, TAGS, template, type K8sObject } from './helm.ts'
import * as policy from './policies.ts'

/** What a user (or the kit with ROUTING=gateway) sets: the Ingress off, the route on, one Gateway. */
const GATEWAY = ['ingress.enabled=false', 'httpRoute.enabled=true', 'httpRoute.parentRefs[0].name=eg']
const PATHS = ['ingress.backendPaths=["/api","/api/v1/stream"]', 'ingress.frontendPaths=["/api/auth"]']
/** the Gateway's data plane, in its own namespace (as with Envoy Gateway) */
const FROM_GATEWAY_NS =
  'networkPolicy.frontendIngressFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"envoy-gateway-system"}}}]'

describe.each(helms())('$label', (helm) => {
  const render = (set: string[] = [], setJson: string[] = []) => {
    const r = template(helm, { set: [...TAGS, ...set], setJson })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.objects
  }
  const route = (o: K8sObject[]) => find(o, 'HTTPRoute', 'todo')!
  const rules = (o: K8sObject[]) =>
    route(o).spec.rules.map((r: any) => {
      expect(r.matches).toHaveLength(1)
      expect(r.backendRefs).toHaveLength(1)
      return `${r.matches[0].path.type} ${r.matches[0].path.value} → ${r.backendRefs[0].name}:${r.backendRefs[0].port}`
    })

  it('off by default: no HTTPRoute, the Ingress as before', () => {
    const o = render()
    expect(byKind(o, 'HTTPRoute')).toEqual([])
    expect(byKind(o, 'Ingress')).toHaveLength(1)
  })

  it('on: one gateway.networking.k8s.io/v1 HTTPRoute to the frontend on ingress.host, and no Ingress', () => {
    const o = render(GATEWAY)
    expect(byKind(o, 'Ingress')).toEqual([])
    const r = route(o)
    expect(r.apiVersion).toBe('gateway.networking.k8s.io/v1')
    expect(r.metadata.namespace).toBe('todo')
    expect(r.metadata.labels!['app.kubernetes.io/instance']).toBe('todo')
    expect(r.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' }])
    expect(r.spec.hostnames).toEqual(['todo.local'])
    expect(rules(o)).toEqual(['PathPrefix / → todo-frontend:3000'])
  })

  it('backendPaths and frontendPaths: the same rules, in the same order, as the Ingress paths (longest first, / last)', () => {
    const viaRoute = rules(render(GATEWAY, PATHS))
    expect(viaRoute).toEqual([
      'PathPrefix /api/v1/stream → todo-backend:8000',
      'PathPrefix /api/auth → todo-frontend:3000',
      'PathPrefix /api → todo-backend:8000',
      'PathPrefix / → todo-frontend:3000',
    ])
    const viaIngress = find(render([], PATHS), 'Ingress', 'todo')!.spec.rules[0].http.paths.map(
      (p: any) => `PathPrefix ${p.path} → ${p.backend.service.name}`,
    )
    expect(viaRoute.map((r: string) => r.replace(/:\d+$/, ''))).toEqual(viaIngress)
  })

  it("backendRefs follow the Services' ports; annotations, hostnames and a parentRef's namespace and listener pass through", () => {
    const o = render(
      [
        ...GATEWAY,
        'httpRoute.parentRefs[0].namespace=envoy-gateway-system',
        'httpRoute.parentRefs[0].sectionName=https',
        'frontend.service.port=8080',
        'backend.service.port=9000',
      ],
      [
        ...PATHS,
        'httpRoute.hostnames=["todo.example.com","*.todo.example.com"]',
        'httpRoute.annotations={"example.com/team":"todo"}',
      ],
    )
    const r = route(o)
    expect(r.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'eg',
        namespace: 'envoy-gateway-system',
        sectionName: 'https',
      },
    ])
    expect(r.spec.hostnames).toEqual(['todo.example.com', '*.todo.example.com'])
    expect(r.metadata.annotations).toEqual({ 'example.com/team': 'todo' })
    expect(rules(o)).toEqual([
      'PathPrefix /api/v1/stream → todo-backend:9000',
      'PathPrefix /api/auth → todo-frontend:8080',
      'PathPrefix /api → todo-backend:9000',
      'PathPrefix / → todo-frontend:8080',
    ])
  })

  it('both the Ingress and the HTTPRoute on: fails, saying which to turn off', () => {
    const r = template(helm, { set: [...TAGS, 'httpRoute.enabled=true', 'httpRoute.parentRefs[0].name=eg'] })
    expect(r.status).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(
      'httpRoute.enabled and ingress.enabled are both true: the app is routed by one of them. Set ingress.enabled=false',
    )
  })

  it('no parentRefs: fails, naming the value to set', () => {
    const r = template(helm, { set: [...TAGS, 'ingress.enabled=false', 'httpRoute.enabled=true'] })
    expect(r.status).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('httpRoute.parentRefs is required when httpRoute.enabled is true')
  })

  it("NetworkPolicy: the frontend and, with backendPaths, the backend admit the Gateway's data plane (frontendIngressFrom)", () => {
    const np = (o: K8sObject[], c: string) => find(o, 'NetworkPolicy', `todo-${c}`)!
    const paths = render(GATEWAY, [...PATHS, FROM_GATEWAY_NS])
    expect(policy.networkCoverage(paths)).toEqual([])
    expect(policy.ingressPeers(np(paths, 'frontend'))).toEqual(['backend', 'other', 'test'])
    expect(policy.ingressPeers(np(paths, 'backend'))).toEqual(['frontend', 'other', 'test'])
    const gatewayRule = np(paths, 'backend').spec.ingress[1]
    expect(gatewayRule.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } } },
    ])
    expect(gatewayRule.ports).toEqual([{ protocol: 'TCP', port: 8000 }])
    // without frontendIngressFrom the backend paths are open, as with the Ingress
    expect(policy.ingressPeers(np(render(GATEWAY, PATHS), 'backend'))).toEqual(['any', 'frontend', 'test'])
    // no backendPaths: the Gateway reaches the frontend only
    expect(policy.ingressPeers(np(render(GATEWAY, [FROM_GATEWAY_NS]), 'backend'))).toEqual(['frontend', 'test'])
    // no routing at all: backendPaths route nothing, so the backend stays closed
    expect(policy.ingressPeers(np(render(['ingress.enabled=false'], PATHS), 'backend'))).toEqual(['frontend', 'test'])
  })
})

// NOTES.txt renders without a cluster only with helm 4 (lint.test.ts says why).
describe('helm install --dry-run=client (helm 4.1): NOTES.txt with the HTTPRoute', () => {
  const helm4 = layerV35().helm
  const notes = (set: string[]) => {
    const r = spawnSync(
      helm4,
      ['install', 'todo', chartDir, '--namespace', 'todo', '--dry-run=client', ...set.flatMap((s) => ['--set', s])],
      { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/nonexistent' } },
    )
    expect(r.status, r.stderr).toBe(0)
    return r.stdout.slice(r.stdout.indexOf('NOTES:'))
  }

  it("prints the route's URL, how to find the Gateway's address and how to see the route accepted", () => {
    const n = notes([
      ...TAGS,
      ...GATEWAY,
      'httpRoute.parentRefs[0].namespace=envoy-gateway-system',
      'httpRoute.parentRefs[0].sectionName=http',
      'ingress.backendPaths={/api}',
    ])
    expect(n).toContain('Through the Gateway "eg" (namespace envoy-gateway-system, listener http) at http://todo.local')
    expect(n).toContain('HTTPRoute todo matches host todo.local')
    expect(n).toContain(
      "kubectl get gateways.gateway.networking.k8s.io eg --namespace envoy-gateway-system -o jsonpath='{.status.addresses[0].value}'",
    )
    expect(n).toContain('kubectl get httproutes.gateway.networking.k8s.io todo --namespace todo -o jsonpath=')
    expect(n).toContain('Routed to the backend on the same host: /api')
    expect(n).not.toContain('sudo tee -a /etc/hosts')
    expect(n).not.toContain('minikube addons enable ingress')
  })

  it("a Gateway in the release's namespace: the namespace is the release's", () => {
    expect(notes([...TAGS, ...GATEWAY])).toContain('Through the Gateway "eg" (namespace todo) at http://todo.local')
  })
})
