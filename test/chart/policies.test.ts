// The policy checks are only worth something if they fail on bad manifests: each insecure or fragile
// override below must be caught by the check that guards against it.
import { describe, expect, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { TAGS, template } from './helm.ts'
import * as policy from './policies.ts'

const helm = { label: 'helm 4.1', bin: layerV35().helm }
const render = (set: string[] = [], setJson: string[] = []) => {
  const r = template(helm, { set: [...TAGS, ...set], setJson })
  expect(r.stderr).toBe('')
  return policy.workloads(r.objects)
}
const WRITABLE = { frontend: ['/tmp', '/app/.next/cache'], backend: ['/tmp'] }

describe('policy checks catch violations', () => {
  it('privilege escalation, writable root filesystem, kept capabilities', () => {
    const v = render([
      'containerSecurityContext.allowPrivilegeEscalation=true',
      'containerSecurityContext.readOnlyRootFilesystem=false',
      'containerSecurityContext.capabilities=null',
    ]).flatMap(policy.podSecurity)
    expect(v.some((m) => m.includes('allowPrivilegeEscalation'))).toBe(true)
    expect(v.some((m) => m.includes('readOnlyRootFilesystem'))).toBe(true)
    expect(v.some((m) => m.includes('drop ALL'))).toBe(true)
  })

  it('a low uid for the apps, a non-postgres uid for postgres, no seccomp profile', () => {
    const v = render([
      'podSecurityContext.runAsUser=1000',
      'postgresql.podSecurityContext.runAsUser=10001',
      'podSecurityContext.seccompProfile=null',
    ]).flatMap(policy.podSecurity)
    expect(v.some((m) => m.includes('todo-frontend') && m.includes('uid 1000'))).toBe(true)
    expect(v.some((m) => m.includes('todo-postgresql') && m.includes('uid 10001 must be 999'))).toBe(true)
    expect(v.some((m) => m.includes('seccompProfile'))).toBe(true)
  })

  it('a missing writable directory', () => {
    const v = render([], ['frontend.writableDirs=["/tmp"]']).flatMap((w) => policy.writablePaths(w, WRITABLE))
    expect(v).toEqual(['Deployment/todo-frontend container frontend: no writable mount at /app/.next/cache'])
  })

  it('readiness identical to liveness', () => {
    const v = render(
      [],
      ['backend.probes.readiness={"path":"/health","periodSeconds":20,"timeoutSeconds":3,"failureThreshold":3}'],
    ).flatMap(policy.probes)
    expect(v).toEqual(['Deployment/todo-backend container backend: liveness and readiness probes are identical'])
  })

  it('pods outside any NetworkPolicy', () => {
    const r = template(helm, { set: [...TAGS, 'networkPolicy.enabled=false'] })
    expect(policy.networkCoverage(r.objects).length).toBeGreaterThanOrEqual(6)
  })

  it('a secret-looking literal in extraEnv, a $(VAR) used before it is defined', () => {
    const v = render(
      [],
      [
        'backend.extraEnv=[{"name":"MY_API_KEY","value":"x"},{"name":"URL","value":"$(LATER)"},{"name":"LATER","value":"y"}]',
      ],
    ).flatMap((w) => policy.environment(w, 'todo-secrets'))
    expect(v.some((m) => m.includes('MY_API_KEY is a literal value'))).toBe(true)
    expect(v.some((m) => m.includes('refers to $(LATER) before it is defined'))).toBe(true)
  })

  it('an image that is not the release’s, or without a pull policy', () => {
    const w = render().find((x) => x.object.metadata.name === 'todo-frontend')!
    w.pod.spec.containers[0].image = 'busybox:latest'
    delete w.pod.spec.containers[0].imagePullPolicy
    const v = policy.images(w, ['todo-frontend:h-0123456789ab'])
    expect(v).toHaveLength(3)
  })

  it('missing limits, a Recreate strategy, a selector that misses its template', () => {
    const ws = render()
    const fe = ws.find((x) => x.object.metadata.name === 'todo-frontend')!
    delete fe.pod.spec.containers[0].resources.limits
    fe.object.spec.strategy = { type: 'Recreate' }
    delete fe.pod.spec.containers[0].lifecycle
    fe.object.spec.selector.matchLabels['app.kubernetes.io/component'] = 'other'
    expect(policy.resources(fe)).toHaveLength(3)
    expect(policy.availability(fe)).toEqual([
      'Deployment/todo-frontend: strategy must be RollingUpdate with maxUnavailable 0',
      'Deployment/todo-frontend container frontend: no preStop delay for endpoint removal',
    ])
    expect(policy.labels([fe.object])).toEqual([
      'Deployment/todo-frontend: selector app.kubernetes.io/component=other does not match its pod template',
    ])
  })

  it('no ephemeral-storage request, an emptyDir without a size limit, a PDB that blocks drains on unready pods', () => {
    const ws = render()
    const be = ws.find((x) => x.object.metadata.name === 'todo-backend')!
    delete be.pod.spec.containers[0].resources.requests['ephemeral-storage']
    delete be.pod.spec.volumes[0].emptyDir.sizeLimit
    expect(policy.resources(be)).toEqual([
      'Deployment/todo-backend container backend: resources.requests.ephemeral-storage missing',
      'Deployment/todo-backend: emptyDir writable-0 has no sizeLimit',
    ])
    const r = template(helm, { set: [...TAGS, 'frontend.replicaCount=2'] })
    const pdb = r.objects.find((o) => o.kind === 'PodDisruptionBudget')!
    expect(policy.disruptionBudgets(r.objects)).toEqual([])
    delete pdb.spec.unhealthyPodEvictionPolicy
    expect(policy.disruptionBudgets(r.objects)).toEqual([
      'PodDisruptionBudget/todo-frontend: unhealthyPodEvictionPolicy must be AlwaysAllow (got undefined)',
    ])
  })

  it('a Service whose selector finds no pods', () => {
    const r = template(helm, { set: TAGS })
    const svc = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'todo-backend')!
    svc.spec.selector['app.kubernetes.io/component'] = 'api'
    expect(policy.services(r.objects)).toEqual(['Service/todo-backend: selects 0 workloads'])
  })
})
