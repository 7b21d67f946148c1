// Renders the chart with real helm 3 and helm 4 for every entry of the values matrix, validates each
// object strictly against the Kubernetes OpenAPI schemas, and checks the policies and the app
// contract on what was rendered.
import { beforeAll, describe, expect, it } from 'vitest'
import { validateFiles, type ValidationIssue } from '../support/kube-validate.ts'
import { byKind, find, helms, KUBE_VERSIONS, MATRIX, template, type K8sObject, type Rendered } from './helm.ts'
import * as policy from './policies.ts'

const PUBLIC_URL = { default: 'http://todo.local', prod: 'https://todo.example.com' }
const WRITABLE = {
  frontend: ['/tmp', '/app/.next/cache'],
  backend: ['/tmp'],
  postgresql: ['/var/lib/postgresql/data', '/var/run/postgresql', '/tmp'],
  migrate: ['/tmp'],
  'neon-proxy': [],
}

const envOf = (container: any) => new Map<string, any>((container.env ?? []).map((e: any) => [e.name, e]))
const imagesOf = (objects: K8sObject[]) => {
  const fe = find(objects, 'Deployment', 'todo-frontend')!.spec.template.spec.containers[0].image
  const be = find(objects, 'Deployment', 'todo-backend')!.spec.template.spec.containers[0].image
  const pg = (find(objects, 'StatefulSet', 'todo-postgresql')?.spec.template.spec.containers ?? []).map(
    (c: any) => c.image,
  )
  return [fe, be, ...pg]
}

// Every render up front, so each Kubernetes version validates all of them in one kubectl-validate run.
const HELMS = helms()
const renders = new Map<string, Rendered>()
for (const helm of HELMS)
  for (const entry of MATRIX)
    renders.set(
      `${helm.label}|${entry.name}`,
      template(helm, { values: entry.values, set: entry.set, setJson: entry.setJson }),
    )
const validation = new Map<string, Map<string, ValidationIssue[]>>()

beforeAll(() => {
  // The first run builds kubectl-validate and fetches the schemas (a few minutes) into the test tools cache; later
  // runs, from any checkout, reuse them.
  const files = [...renders.values()].filter((r) => r.status === 0).map((r) => r.file)
  for (const v of KUBE_VERSIONS) validation.set(v, validateFiles(files, v))
}, 900_000)

describe.each(HELMS)('$label', (helm) => {
  describe.each(MATRIX)('values: $name', (entry) => {
    const r = renders.get(`${helm.label}|${entry.name}`)!
    const objects: K8sObject[] = r.objects
    const isProd = entry.values.includes('values-prod.yaml')
    const external = entry.set.includes('postgresql.enabled=false')
    const publicUrl = isProd ? PUBLIC_URL.prod : PUBLIC_URL.default
    // existingSecret's default and the chart-made Secret of release "todo" share the name.
    const secretName = 'todo-secrets'
    // The entry with every extension knob set (helm.ts EXTENSIONS); the other entries leave them at their defaults.
    const ext = entry.name === 'extension knobs'
    const writable = ext
      ? {
          ...WRITABLE,
          frontend: [...WRITABLE.frontend, '/app/logs/server.log'],
          backend: [...WRITABLE.backend, '/app/app.log'],
        }
      : WRITABLE

    it('renders', () => {
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(objects.length).toBeGreaterThan(10)
    })

    it.each(KUBE_VERSIONS)('every object is valid Kubernetes %s (strict: unknown fields rejected)', (version) => {
      expect(validation.get(version)!.get(r.file)).toEqual([])
    })

    it('objects: the components of the release, and only the frontend exposed', () => {
      expect(
        byKind(objects, 'Deployment')
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['todo-backend', 'todo-frontend'])
      expect(byKind(objects, 'StatefulSet').map((o) => o.metadata.name)).toEqual(external ? [] : ['todo-postgresql'])
      expect(
        byKind(objects, 'Service')
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(external ? ['todo-backend', 'todo-frontend'] : ['todo-backend', 'todo-frontend', 'todo-postgresql'])
      expect(find(objects, 'Service', 'todo-backend')!.spec.type).toBe('ClusterIP')
      const ingresses = byKind(objects, 'Ingress')
      if (entry.set.includes('ingress.enabled=false')) {
        expect(ingresses).toEqual([])
        expect(find(objects, 'Service', 'todo-frontend')!.spec.type).toBe('NodePort')
      } else {
        expect(ingresses).toHaveLength(1)
        const ing = ingresses[0]!
        const paths = ing.spec.rules.flatMap((rule: any) => rule.http.paths)
        expect(paths.map((p: any) => [p.path, p.backend.service.name])).toEqual(
          ext
            ? [
                ['/api/v1/stream', 'todo-backend'],
                ['/api/auth', 'todo-frontend'],
                ['/api', 'todo-backend'],
                ['/', 'todo-frontend'],
              ]
            : [['/', 'todo-frontend']],
        )
        expect(ing.spec.ingressClassName).toBe('nginx')
        expect(ing.spec.rules[0].host).toBe(isProd ? 'todo.example.com' : 'todo.local')
        if (isProd) expect(ing.spec.tls[0].hosts).toEqual(['todo.example.com'])
      }
    })

    it('policy: Pod Security restricted, uid/gid >= 10000 (postgres 999), no service-account token', () => {
      expect(policy.workloads(objects).flatMap(policy.podSecurity)).toEqual([])
    })

    it('policy: cpu, memory and ephemeral-storage requests and limits on every container, a sizeLimit on every emptyDir', () => {
      expect(policy.workloads(objects).flatMap(policy.resources)).toEqual([])
    })

    it('policy: PodDisruptionBudgets let a drain evict unhealthy pods (unhealthyPodEvictionPolicy AlwaysAllow)', () => {
      expect(policy.disruptionBudgets(objects)).toEqual([])
    })

    it('policy: pinned images of the release only, explicit pull policy', () => {
      const allowed = imagesOf(objects)
      expect(policy.workloads(objects).flatMap((w) => policy.images(w, allowed))).toEqual([])
      for (const w of policy.workloads(objects))
        for (const c of [...(w.pod.spec.initContainers ?? []), ...w.pod.spec.containers])
          expect(c.imagePullPolicy).toBe('IfNotPresent')
    })

    it('policy: startup, readiness and liveness probes, liveness independent of dependencies', () => {
      expect(policy.workloads(objects).flatMap(policy.probes)).toEqual([])
      const be = find(objects, 'Deployment', 'todo-backend')!.spec.template.spec.containers[0]
      expect(be.livenessProbe.httpGet.path).toBe('/health')
      expect(be.readinessProbe.httpGet.path).toBe('/ready')
      expect(be.startupProbe.httpGet.path).toBe('/health')
      const fe = find(objects, 'Deployment', 'todo-frontend')!.spec.template.spec.containers[0]
      expect(fe.livenessProbe.httpGet.path).toBe('/api/health')
    })

    it('policy: read-only root filesystem with emptyDir (or volume) mounts where the apps write', () => {
      expect(policy.workloads(objects).flatMap((w) => policy.writablePaths(w, writable))).toEqual([])
    })

    it('policy: RollingUpdate with maxUnavailable 0 and checksum annotations', () => {
      expect(policy.workloads(objects).flatMap(policy.availability)).toEqual([])
    })

    it('policy: env references resolve in order, secrets only via secretKeyRef', () => {
      expect(policy.workloads(objects).flatMap((w) => policy.environment(w, secretName))).toEqual([])
    })

    it('policy: app.kubernetes.io labels everywhere, selectors match templates, Services hit one workload', () => {
      expect(policy.labels(objects)).toEqual([])
      expect(policy.services(objects)).toEqual([])
    })

    it('every object of the chart names the release namespace (a rendered manifest never lands in default)', () => {
      // extraObjects (component "extra") are the user's own manifests, rendered as given
      const chartObjects = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] !== 'extra')
      expect(
        chartObjects.filter((o) => o.metadata.namespace !== 'todo').map((o) => `${o.kind}/${o.metadata.name}`),
      ).toEqual([])
    })

    it('policy: NetworkPolicies cover every pod (ingress and egress, DNS allowed)', () => {
      expect(policy.networkCoverage(objects)).toEqual([])
      const np = (name: string) => find(objects, 'NetworkPolicy', name)!
      // ingress.backendPaths: the ingress controller too, as the frontend admits it (anyone without frontendIngressFrom).
      expect(policy.ingressPeers(np('todo-backend'))).toEqual(ext ? ['any', 'frontend', 'test'] : ['frontend', 'test'])
      // Prod admits only the ingress controller's namespace ("other"), plus the backend (JWKS) and tests.
      expect(policy.ingressPeers(np('todo-frontend'))).toEqual(isProd ? ['backend', 'other', 'test'] : ['any'])
      const admits = (target: string, from: string) =>
        ['any', from].some((p) => policy.ingressPeers(np(target)).includes(p))
      expect(admits('todo-frontend', 'backend')).toBe(true) // the backend fetches the JWKS from the frontend
      expect(admits('todo-frontend', 'test')).toBe(true)
      expect(admits('todo-backend', 'test')).toBe(true)
      expect(policy.ingressPeers(np('todo-migrate'))).toEqual([])
      const beEgress = policy.egressPeers(np('todo-backend'))
      expect(beEgress).toContain('frontend') // JWKS
      expect(beEgress).toContain('ipBlock:0.0.0.0/0') // LLM API
      expect(policy.egressPeers(np('todo-frontend'))).toContain('backend')
      const db = external ? 'ipBlock:0.0.0.0/0' : 'postgresql'
      for (const name of ['todo-frontend', 'todo-backend', 'todo-migrate', 'todo-test'])
        expect(policy.egressPeers(np(name))).toContain(db)
      expect(policy.egressPeers(np('todo-migrate'))).not.toContain('frontend')
      if (!external) {
        // neon-proxy on 443: the frontend and the migration step once more
        expect(policy.ingressPeers(np('todo-postgresql'))).toEqual(
          entry.name === 'neon proxy'
            ? ['backend', 'frontend', 'frontend', 'migrate', 'migrate', 'test']
            : ['backend', 'frontend', 'migrate', 'test'],
        )
        expect(np('todo-postgresql').spec.egress).toBeUndefined()
        expect(np('todo-postgresql').spec.policyTypes).toEqual(['Ingress', 'Egress'])
      } else {
        expect(find(objects, 'NetworkPolicy', 'todo-postgresql')).toBeUndefined()
      }
    })

    it('availability: HPA owns replicas when on; PDB exactly when 2+ pods', () => {
      for (const name of ['frontend', 'backend']) {
        const dep = find(objects, 'Deployment', `todo-${name}`)!
        const hpa = find(objects, 'HorizontalPodAutoscaler', `todo-${name}`)
        const hpaOn = isProd || entry.set.includes(`${name}.autoscaling.enabled=true`)
        expect(Boolean(hpa)).toBe(hpaOn)
        if (hpa) {
          expect(dep.spec.replicas).toBeUndefined()
          expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `todo-${name}` })
        }
        const pods = hpa ? hpa.spec.minReplicas : dep.spec.replicas
        const pdb = find(objects, 'PodDisruptionBudget', `todo-${name}`)
        expect(Boolean(pdb)).toBe(pods >= 2)
        if (pdb) expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels)
        if (pdb) expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow')
        if (isProd) expect(dep.spec.template.spec.affinity.podAntiAffinity).toBeDefined()
      }
    })

    it('contract: app settings in ConfigMaps, database URL from the Secret or composed from it', () => {
      const feCm = find(objects, 'ConfigMap', 'todo-frontend')!.data!
      const beCm = find(objects, 'ConfigMap', 'todo-backend')!.data!
      expect(feCm).toMatchObject({ PORT: '3000', BETTER_AUTH_URL: publicUrl, BACKEND_URL: 'http://todo-backend:8000' })
      expect(feCm.BETTER_AUTH_TRUSTED_ORIGINS!.split(',')).toContain(publicUrl)
      expect(beCm).toMatchObject({
        PORT: '8000',
        JWKS_URL: 'http://todo-frontend:3000/api/auth/jwks',
        FRONTEND_SERVICE_URL: 'http://todo-frontend:3000',
        JWT_ISSUER: publicUrl,
        JWT_AUDIENCE: publicUrl,
      })
      expect(beCm.CORS_ORIGINS!.split(',')).toContain(publicUrl)
      for (const name of ['frontend', 'backend']) {
        const c = find(objects, 'Deployment', `todo-${name}`)!.spec.template.spec.containers[0]
        if (!ext) expect(c.envFrom).toEqual([{ configMapRef: { name: `todo-${name}` } }])
        const env = envOf(c)
        if (external) {
          expect(env.get('DATABASE_URL').valueFrom.secretKeyRef).toEqual({ name: secretName, key: 'DATABASE_URL' })
          expect(env.has('POSTGRES_PASSWORD')).toBe(false)
        } else {
          expect(env.get('POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({
            name: secretName,
            key: 'POSTGRES_PASSWORD',
          })
          // backend.databaseUrlScheme changes the backend's scheme only.
          const scheme = ext && name === 'backend' ? 'postgresql+asyncpg' : 'postgresql'
          expect(env.get('DATABASE_URL').value).toBe(
            `${scheme}://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo`,
          )
        }
      }
      const fe = envOf(find(objects, 'Deployment', 'todo-frontend')!.spec.template.spec.containers[0])
      expect(fe.get('BETTER_AUTH_SECRET').valueFrom.secretKeyRef).toEqual({
        name: secretName,
        key: 'BETTER_AUTH_SECRET',
      })
      const be = envOf(find(objects, 'Deployment', 'todo-backend')!.spec.template.spec.containers[0])
      expect(be.get('OPENAI_API_KEY').valueFrom.secretKeyRef).toEqual({
        name: secretName,
        key: 'OPENAI_API_KEY',
        optional: true,
      })
    })

    it('migrations: one hook Job, backend schema then frontend auth tables, each with its own image', () => {
      const job = byKind(objects, 'Job')[0]!
      expect(job.metadata.name).toBe('todo-migrate')
      expect(job.metadata.annotations!['helm.sh/hook']).toBe('post-install,pre-upgrade')
      const spec = job.spec.template.spec
      const steps = [...(spec.initContainers ?? []), ...spec.containers]
      expect(steps.map((c: any) => c.name)).toEqual([
        ...(external ? [] : ['wait-for-database']),
        'migrate-backend',
        'migrate-frontend',
      ])
      const [fe, be] = imagesOf(objects)
      const by = Object.fromEntries(steps.map((c: any) => [c.name, c]))
      expect(by['migrate-backend']).toMatchObject({ image: be, command: ['python', '-m', 'app.migrate'] })
      expect(by['migrate-frontend']).toMatchObject({ image: fe, command: ['node', 'migrate.mjs'] })
      expect(envOf(by['migrate-frontend']).get('BETTER_AUTH_URL').value).toBe(publicUrl)
      expect(envOf(by['migrate-backend']).has('DATABASE_URL')).toBe(true)
      if (!external) expect(by['wait-for-database'].image).toBe(imagesOf(objects)[2])
      expect(spec.restartPolicy).toBe('Never')
    })

    it('postgres: StatefulSet with headless Service, PGDATA in a subdirectory of a claimed volume', () => {
      if (external) return expect(byKind(objects, 'PersistentVolumeClaim')).toEqual([])
      const sts = find(objects, 'StatefulSet', 'todo-postgresql')!
      const svc = find(objects, 'Service', 'todo-postgresql')!
      expect(svc.spec.clusterIP).toBe('None')
      expect(sts.spec.serviceName).toBe('todo-postgresql')
      expect(sts.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data'])
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' })
      const c = sts.spec.template.spec.containers[0]
      const env = envOf(c)
      const mount = c.volumeMounts.find((m: any) => m.name === 'data').mountPath
      expect(env.get('PGDATA').value.startsWith(`${mount}/`)).toBe(true)
      expect(env.get('POSTGRES_PASSWORD').valueFrom.secretKeyRef.key).toBe('POSTGRES_PASSWORD')
      // A UTF8 cluster: with no locale initdb picks SQL_ASCII and drivers return bytes, not text.
      expect(env.get('POSTGRES_INITDB_ARGS').value).toContain('--encoding=UTF8')
      expect(env.get('LANG').value).toMatch(/UTF-8$/)
      expect(JSON.stringify(c.readinessProbe)).toContain('pg_isready')
      expect(JSON.stringify(c.startupProbe)).toContain('pg_isready')
    })

    it('helm test: backend health, frontend → backend by Service name, database — with the app images', () => {
      const pods = byKind(objects, 'Pod')
      expect(pods.map((p) => p.metadata.name).sort()).toEqual([
        'todo-test-backend-health',
        'todo-test-database',
        'todo-test-frontend-backend',
      ])
      const [fe, be] = imagesOf(objects)
      for (const p of pods) expect(p.metadata.annotations!['helm.sh/hook']).toBe('test')
      const get = (n: string) => find(objects, 'Pod', n)!.spec.containers[0]
      expect(get('todo-test-backend-health').image).toBe(be)
      expect(envOf(get('todo-test-backend-health')).get('BACKEND_URL').value).toBe('http://todo-backend:8000')
      expect(get('todo-test-frontend-backend').image).toBe(fe)
      expect(envOf(get('todo-test-frontend-backend')).get('BACKEND_URL').value).toBe('http://todo-backend:8000')
      expect(get('todo-test-database').image).toBe(be)
      expect(envOf(get('todo-test-database')).has('DATABASE_URL')).toBe(true)
      // psycopg in the test pod takes a plain URL, whatever backend.databaseUrlScheme says.
      if (!external) expect(envOf(get('todo-test-database')).get('DATABASE_URL').value).toMatch(/^postgresql:\/\//)
    })

    if (['default', 'dev'].includes(entry.name)) {
      it('fits a 2-CPU / 4-GiB minikube next to the system pods', () => {
        const f = policy.footprint(objects)
        // minikube's own pods request about 0.75 CPU and 0.5 GiB; the ingress controller a bit more.
        expect(f.requests.cpu).toBeLessThanOrEqual(1)
        expect(f.requests.memory).toBeLessThanOrEqual(1.5 * 1024 ** 3)
        expect(f.limits.memory).toBeLessThanOrEqual(3 * 1024 ** 3)
      })
    }
  })
})
