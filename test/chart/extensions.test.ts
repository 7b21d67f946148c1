// The extension knobs one by one, with real helm 3 and helm 4: what each renders, and that leaving it
// unset renders nothing. The matrix entry "extension knobs" (helm.ts) sets them all at once and runs
// kubectl-validate and the policy checks over the result.
import { describe, expect, it } from 'vitest'
import { find, helms, TAGS, template, type K8sObject } from './helm.ts'
import * as policy from './policies.ts'

const SELECTOR = (component: string) => ({
  'app.kubernetes.io/name': 'todo-chatbot',
  'app.kubernetes.io/instance': 'todo',
  'app.kubernetes.io/component': component,
})

describe.each(helms())('$label', (helm) => {
  const render = (setJson: string[] = [], set: string[] = [], values: string[] = []) => {
    const r = template(helm, { set: [...TAGS, ...set], setJson, values })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.objects
  }
  const pod = (o: K8sObject[], c: string) => find(o, 'Deployment', `todo-${c}`)!.spec.template.spec
  const container = (o: K8sObject[], c: string) => pod(o, c).containers[0]
  const env = (c: any) => new Map<string, any>((c.env ?? []).map((e: any) => [e.name, e]))
  const defaults = render()

  it('ingress.backendPaths: extra paths to the backend Service, longest first, before the frontend', () => {
    const ing = (o: K8sObject[]) =>
      find(o, 'Ingress', 'todo')!.spec.rules[0].http.paths.map(
        (p: any) => `${p.path} ${p.pathType} ${p.backend.service.name}:${p.backend.service.port.name}`,
      )
    expect(ing(defaults)).toEqual(['/ Prefix todo-frontend:http'])
    expect(ing(render(['ingress.backendPaths=["/api","/docs","/api/v1/stream"]']))).toEqual([
      '/api/v1/stream Prefix todo-backend:http',
      '/docs Prefix todo-backend:http',
      '/api Prefix todo-backend:http',
      '/ Prefix todo-frontend:http',
    ])
    // frontendPaths keep the frontend's own routes under a backend prefix; alone they change nothing.
    expect(ing(render(['ingress.backendPaths=["/api"]', 'ingress.frontendPaths=["/api/auth","/api/health"]']))).toEqual(
      [
        '/api/health Prefix todo-frontend:http',
        '/api/auth Prefix todo-frontend:http',
        '/api Prefix todo-backend:http',
        '/ Prefix todo-frontend:http',
      ],
    )
    expect(ing(render(['ingress.frontendPaths=["/api/auth"]']))).toEqual(['/ Prefix todo-frontend:http'])
  })

  it('companions: a process beside the app in its pod, of its image, with its settings, PORT its own, probed on it', () => {
    expect(pod(defaults, 'backend').containers).toHaveLength(1)
    const o = render(['backend.companions=[{"name":"mcp","command":["python","tools/mcp_standalone.py"],"port":8001}]'])
    const [app, mcp] = pod(o, 'backend').containers
    expect(mcp).toMatchObject({
      name: 'mcp',
      image: app.image,
      command: ['python', 'tools/mcp_standalone.py'],
      envFrom: app.envFrom,
      ports: [{ name: 'b-8001', containerPort: 8001, protocol: 'TCP' }],
      startupProbe: { tcpSocket: { port: 8001 } },
      readinessProbe: { tcpSocket: { port: 8001 } },
      livenessProbe: { tcpSocket: { port: 8001 } },
      lifecycle: app.lifecycle,
      securityContext: app.securityContext,
      volumeMounts: app.volumeMounts,
    })
    // the app's environment, then its own port: the image's PORT is the app's
    expect([...env(mcp).keys()]).toEqual([...env(app).keys(), 'PORT'])
    expect(env(mcp).get('PORT')).toEqual({ name: 'PORT', value: '8001' })
    expect(env(app).has('PORT')).toBe(false)
    // no port: no probe, no PORT
    const bare = pod(render(['backend.companions=[{"name":"worker","command":["python","worker.py"]}]']), 'backend')
    expect(bare.containers[1].readinessProbe).toBeUndefined()
    expect(env(bare.containers[1]).has('PORT')).toBe(false)
  })

  it('migrations.beforeBackendStarts: the install has no backend pod (the Job runs first); an upgrade has its replicas', () => {
    const replicas = (args: string[], set: string[] = []) => {
      const r = template(helm, { set: [...TAGS, 'backend.replicaCount=2', ...set], args })
      expect(r.stderr).toBe('')
      return find(r.objects, 'Deployment', 'todo-backend')!.spec.replicas
    }
    expect(replicas([])).toBe(2)
    expect(replicas([], ['migrations.beforeBackendStarts=true'])).toBe(0)
    expect(replicas(['--is-upgrade'], ['migrations.beforeBackendStarts=true'])).toBe(2)
    // no Job, or the HPA owns the replicas: left alone
    expect(replicas([], ['migrations.beforeBackendStarts=true', 'migrations.enabled=false'])).toBe(2)
    expect(replicas([], ['migrations.beforeBackendStarts=true', 'backend.autoscaling.enabled=true'])).toBeUndefined()
  })

  it('ingress.backendPaths: the backend NetworkPolicy admits the ingress controller as the frontend one does', () => {
    const rules = (o: K8sObject[], name: string) => find(o, 'NetworkPolicy', name)!.spec.ingress
    expect(rules(defaults, 'todo-backend')).toHaveLength(1)
    // Default: the frontend admits anyone on its port, so the backend does for backendPaths.
    const open = render(['ingress.backendPaths=["/api"]'])
    expect(rules(open, 'todo-backend')[1]).toEqual({ ports: [{ protocol: 'TCP', port: 8000 }] })
    expect(rules(open, 'todo-backend')[0]).toEqual(rules(defaults, 'todo-backend')[0])
    // Prod: only the ingress controller's namespace (networkPolicy.frontendIngressFrom).
    const prod = render(['ingress.backendPaths=["/api"]'], [], ['values-prod.yaml'])
    const prodFrontendFrom = rules(prod, 'todo-frontend')[0].from.filter((p: any) => !p.podSelector)
    expect(prodFrontendFrom.length).toBeGreaterThan(0)
    expect(rules(prod, 'todo-backend')[1]).toEqual({ ports: [{ protocol: 'TCP', port: 8000 }], from: prodFrontendFrom })
    expect(policy.ingressPeers(find(prod, 'NetworkPolicy', 'todo-backend')!)).toEqual(['frontend', 'other', 'test'])
    // No Ingress, no path to route: the backend stays closed.
    const off = render(['ingress.backendPaths=["/api"]'], ['ingress.enabled=false'])
    expect(rules(off, 'todo-backend')).toEqual(rules(defaults, 'todo-backend'))
  })

  it('networkPolicy.frontendToDatabase=false: the database admits the frontend no more, and the frontend has no way out to it', () => {
    const np = (o: K8sObject[], name: string) => find(o, 'NetworkPolicy', name)!
    expect(policy.ingressPeers(np(defaults, 'todo-postgresql'))).toEqual(['backend', 'frontend', 'migrate', 'test'])
    expect(policy.egressPeers(np(defaults, 'todo-frontend'))).toContain('postgresql')
    const closed = render([], ['networkPolicy.frontendToDatabase=false'])
    expect(policy.ingressPeers(np(closed, 'todo-postgresql'))).toEqual(['backend', 'migrate', 'test'])
    expect(policy.egressPeers(np(closed, 'todo-frontend'))).not.toContain('postgresql')
    expect(policy.egressPeers(np(closed, 'todo-frontend'))).toContain('backend')
    // the frontend's migration step runs as the migrate component: it still reaches the database
    expect(policy.egressPeers(np(closed, 'todo-migrate'))).toContain('postgresql')
    expect(policy.networkCoverage(closed)).toEqual([])
  })

  it('backend.waitForDatabase: the backend starts after pg_isready answers, before its writable files are made; not with an external database', () => {
    expect(pod(defaults, 'backend').initContainers).toBeUndefined()
    const o = render([], ['backend.waitForDatabase=true'])
    const [wait] = pod(o, 'backend').initContainers
    expect(wait.name).toBe('wait-for-database')
    expect(wait.image).toBe(find(o, 'StatefulSet', 'todo-postgresql')!.spec.template.spec.containers[0].image)
    expect(wait.env).toContainEqual({ name: 'PGHOST', value: 'todo-postgresql' })
    expect(pod(o, 'frontend').initContainers).toBeUndefined()
    const both = render(['backend.writableFiles=["/app/app.log"]'], ['backend.waitForDatabase=true'])
    expect(pod(both, 'backend').initContainers.map((c: any) => c.name)).toEqual([
      'wait-for-database',
      expect.any(String),
    ])
    expect(policy.networkCoverage(both)).toEqual([])
    const external = render([], ['backend.waitForDatabase=true', 'postgresql.enabled=false'])
    expect(pod(external, 'backend').initContainers).toBeUndefined()
  })

  it('autoscaling.behavior: passed to the HorizontalPodAutoscaler as given; unset, the HPA has none', () => {
    const hpa = (o: K8sObject[], c: string) => find(o, 'HorizontalPodAutoscaler', `todo-${c}`)!.spec
    const on = render([], ['backend.autoscaling.enabled=true', 'frontend.autoscaling.enabled=true'])
    expect(hpa(on, 'backend').behavior).toBeUndefined()
    const behavior = {
      scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] },
    }
    const tuned = render(
      [`backend.autoscaling.behavior=${JSON.stringify(behavior)}`],
      ['backend.autoscaling.enabled=true', 'frontend.autoscaling.enabled=true'],
    )
    expect(hpa(tuned, 'backend').behavior).toEqual(behavior)
    expect(hpa(tuned, 'frontend').behavior).toBeUndefined()
    // the schema knows only autoscaling/v2's two directions
    const bad = template(helm, {
      set: [...TAGS, 'backend.autoscaling.enabled=true'],
      setJson: ['backend.autoscaling.behavior={"scaleSideways":{}}'],
      values: [],
    })
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/scaleSideways/)
  })

  it('writableFiles: one emptyDir, a subPath mount per file, an init container of the app image creating them', () => {
    const o = render(['backend.writableFiles=["/app/app.log","/app/data/state.json"]'])
    const spec = pod(o, 'backend')
    // bounded like the writable directories (backend.writableSizeLimit)
    expect(spec.volumes).toContainEqual({ name: 'writable-files', emptyDir: { sizeLimit: '64Mi' } })
    expect(container(o, 'backend').volumeMounts).toEqual([
      { name: 'writable-0', mountPath: '/tmp' },
      { name: 'writable-files', mountPath: '/app/app.log', subPath: 'file-0' },
      { name: 'writable-files', mountPath: '/app/data/state.json', subPath: 'file-1' },
    ])
    const init = spec.initContainers
    expect(init).toHaveLength(1)
    expect(init[0]).toMatchObject({
      name: 'writable-files',
      image: container(o, 'backend').image,
      imagePullPolicy: 'IfNotPresent',
      command: ['touch', '/writable-files/file-0', '/writable-files/file-1'],
      securityContext: container(o, 'backend').securityContext,
      volumeMounts: [{ name: 'writable-files', mountPath: '/writable-files' }],
    })
    expect(init[0].resources).toEqual(container(o, 'backend').resources)
    expect(pod(o, 'frontend').initContainers).toBeUndefined()
    expect(pod(defaults, 'backend').initContainers).toBeUndefined()
    expect(pod(defaults, 'backend').volumes.map((v: any) => v.name)).toEqual(['writable-0'])
  })

  it("secretEnv: keys of the app Secret after the chart's own, key defaulting to name, never optional", () => {
    const o = render([
      'backend.secretEnv=[{"name":"GEMINI_API_KEY"},{"name":"JWT_SECRET","key":"APP_JWT_SECRET"}]',
      'frontend.secretEnv=[{"name":"GITHUB_CLIENT_SECRET"}]',
      'backend.extraEnv=[{"name":"X","value":"1"}]',
    ])
    const be = container(o, 'backend').env
    expect(be.map((e: any) => e.name)).toEqual([
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
      'DATABASE_URL',
      'OPENAI_API_KEY',
      'GEMINI_API_KEY',
      'JWT_SECRET',
      'X',
    ])
    expect(env(container(o, 'backend')).get('GEMINI_API_KEY').valueFrom).toEqual({
      secretKeyRef: { name: 'todo-secrets', key: 'GEMINI_API_KEY', optional: false },
    })
    expect(env(container(o, 'backend')).get('JWT_SECRET').valueFrom).toEqual({
      secretKeyRef: { name: 'todo-secrets', key: 'APP_JWT_SECRET', optional: false },
    })
    expect(env(container(o, 'frontend')).get('GITHUB_CLIENT_SECRET').valueFrom.secretKeyRef).toEqual({
      name: 'todo-secrets',
      key: 'GITHUB_CLIENT_SECRET',
      optional: false,
    })
    // The migrations run the same code, so they get the same keys.
    const job = find(o, 'Job', 'todo-migrate')!.spec.template.spec
    const steps = new Map<string, any>([...job.initContainers, ...job.containers].map((c: any) => [c.name, c]))
    expect(env(steps.get('migrate-backend')).has('JWT_SECRET')).toBe(true)
    expect(env(steps.get('migrate-frontend')).has('GITHUB_CLIENT_SECRET')).toBe(true)
    // A chart-made Secret is named after the release; the references follow it.
    const made = render(
      ['backend.secretEnv=[{"name":"GEMINI_API_KEY"}]'],
      [
        'secrets.create=true',
        'secrets.betterAuthSecret=0123456789abcdef0123456789abcdef',
        'secrets.postgresPassword=pw',
        'existingSecret=other',
      ],
    )
    expect(env(container(made, 'backend')).get('GEMINI_API_KEY').valueFrom.secretKeyRef.name).toBe('todo-secrets')
  })

  it("backend.databaseUrlScheme: the backend's composed DATABASE_URL only; an external URL is the Secret's", () => {
    const url = (o: K8sObject[], c: string) => env(container(o, c)).get('DATABASE_URL')
    expect(url(defaults, 'backend').value).toBe(
      'postgresql://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo',
    )
    for (const scheme of ['postgresql+psycopg', 'postgresql+asyncpg', 'postgresql+psycopg2', 'postgres']) {
      const o = render([], [`backend.databaseUrlScheme=${scheme}`])
      expect(url(o, 'backend').value).toBe(
        `${scheme}://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo`,
      )
      expect(url(o, 'frontend').value).toBe(url(defaults, 'frontend').value)
      const job = find(o, 'Job', 'todo-migrate')!.spec.template.spec
      const migrate = [...job.initContainers, ...job.containers].find((c: any) => c.name === 'migrate-backend')
      expect(env(migrate).get('DATABASE_URL').value).toBe(url(o, 'backend').value)
      expect(env(find(o, 'Pod', 'todo-test-database')!.spec.containers[0]).get('DATABASE_URL').value).toMatch(
        /^postgresql:\/\//,
      )
    }
    const ext = render([], ['backend.databaseUrlScheme=postgresql+asyncpg', 'postgresql.enabled=false'])
    expect(url(ext, 'backend').valueFrom.secretKeyRef).toEqual({ name: 'todo-secrets', key: 'DATABASE_URL' })
  })

  it("extraEnvFrom: after the component's ConfigMap, in the Deployment and the migration", () => {
    const o = render(['backend.extraEnvFrom=[{"secretRef":{"name":"more"},"prefix":"X_"}]'])
    expect(container(o, 'backend').envFrom).toEqual([
      { configMapRef: { name: 'todo-backend' } },
      { secretRef: { name: 'more' }, prefix: 'X_' },
    ])
    expect(container(o, 'frontend').envFrom).toEqual([{ configMapRef: { name: 'todo-frontend' } }])
    const job = find(o, 'Job', 'todo-migrate')!.spec.template.spec
    const steps = [...job.initContainers, ...job.containers]
    expect(steps.find((c: any) => c.name === 'migrate-backend').envFrom).toEqual([
      { secretRef: { name: 'more' }, prefix: 'X_' },
    ])
    expect(steps.find((c: any) => c.name === 'migrate-frontend').envFrom).toBeUndefined()
  })

  it("extraVolumes and extraVolumeMounts: after the chart's own", () => {
    const o = render([
      'frontend.extraVolumes=[{"name":"certs","secret":{"secretName":"ca"}}]',
      'frontend.extraVolumeMounts=[{"name":"certs","mountPath":"/etc/ssl/extra","readOnly":true}]',
    ])
    expect(pod(o, 'frontend').volumes.map((v: any) => v.name)).toEqual(['writable-0', 'writable-1', 'certs'])
    expect(container(o, 'frontend').volumeMounts.at(-1)).toEqual({
      name: 'certs',
      mountPath: '/etc/ssl/extra',
      readOnly: true,
    })
    expect(pod(o, 'backend').volumes.map((v: any) => v.name)).toEqual(['writable-0'])
  })

  it('extraVolumes and extraVolumeMounts: the migration steps mount them too; a volume both apps name is one volume', () => {
    const job = (o: K8sObject[]) => find(o, 'Job', 'todo-migrate')!.spec.template.spec
    const ca = { name: 'db-ca', configMap: { name: 'db-ca' } }
    const mount = { name: 'db-ca', mountPath: '/etc/db-ca', readOnly: true }
    const o = render([
      `backend.extraVolumes=[${JSON.stringify(ca)}]`,
      `backend.extraVolumeMounts=[${JSON.stringify(mount)}]`,
      `frontend.extraVolumes=[${JSON.stringify(ca)},{"name":"extra","emptyDir":{}}]`,
      `frontend.extraVolumeMounts=[${JSON.stringify(mount)}]`,
    ])
    expect(job(o).volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ca,
      { name: 'extra', emptyDir: {} },
    ])
    const steps = [...(job(o).initContainers ?? []), ...job(o).containers]
    expect(steps.map((c: any) => c.name)).toEqual(['wait-for-database', 'migrate-backend', 'migrate-frontend'])
    for (const c of steps.slice(1)) expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }, mount])
    expect(job(defaults).volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }])
  })

  it("topologySpreadConstraints: as given, the component's selector filled in where none is", () => {
    const o = render([
      'backend.topologySpreadConstraints=[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway"},{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"tier":"api"}}}]',
    ])
    expect(pod(o, 'backend').topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: SELECTOR('backend') },
      },
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { tier: 'api' } },
      },
    ])
    expect(pod(defaults, 'backend').topologySpreadConstraints).toBeUndefined()
  })

  it('hostAliases per app: the /etc/hosts entries, and the NetworkPolicy way out to the ingress controller on 80 and 443', () => {
    const alias = 'hostAliases=[{"ip":"10.105.31.108","hostnames":["todo.local"]}]'
    const egress = (o: K8sObject[], c: string) => find(o, 'NetworkPolicy', `todo-${c}`)!.spec.egress
    const web = { protocol: 'TCP', port: 80 }
    const tls = { protocol: 'TCP', port: 443 }
    const o = render([`frontend.${alias}`])
    expect(pod(o, 'frontend').hostAliases).toEqual([{ ip: '10.105.31.108', hostnames: ['todo.local'] }])
    expect(pod(o, 'backend').hostAliases).toBeUndefined()
    // any namespace of the cluster (never the internet) while no ingress peers are configured
    expect(egress(o, 'frontend').at(-1)).toEqual({ ports: [web, tls], to: [{ namespaceSelector: {} }] })
    expect(egress(o, 'frontend').slice(0, -1)).toEqual(egress(defaults, 'frontend'))
    expect(egress(o, 'backend')).toEqual(egress(defaults, 'backend'))
    // prod: only the ingress controller's namespace
    const prod = render([`backend.${alias}`], [], ['values-prod.yaml'])
    const peers = find(prod, 'NetworkPolicy', 'todo-frontend')!.spec.ingress[0].from.filter((p: any) => !p.podSelector)
    expect(egress(prod, 'backend').at(-1)).toEqual({ ports: [web, tls], to: peers })
  })

  it('postgresql.urlQuery: the query string of every composed DATABASE_URL; none by default', () => {
    const url = (o: K8sObject[], c: string) => env(container(o, c)).get('DATABASE_URL').value
    expect(url(defaults, 'backend')).toBe(
      'postgresql://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo',
    )
    const o = render([], ['postgresql.urlQuery=application_name=todo'])
    for (const c of ['frontend', 'backend'])
      expect(url(o, c)).toBe(
        'postgresql://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@todo-postgresql:5432/todo?application_name=todo',
      )
  })

  it('priorityClassName per app; imagePullSecrets on every pod of the release', () => {
    const o = render(['imagePullSecrets=[{"name":"regcred"}]'], ['backend.priorityClassName=high'])
    expect(pod(o, 'backend').priorityClassName).toBe('high')
    expect(pod(o, 'frontend').priorityClassName).toBeUndefined()
    const ws = policy.workloads(o)
    expect(ws.length).toBeGreaterThanOrEqual(7)
    for (const w of ws) expect(w.pod.spec.imagePullSecrets, w.object.metadata.name).toEqual([{ name: 'regcred' }])
    for (const w of policy.workloads(defaults)) expect(w.pod.spec.imagePullSecrets).toBeUndefined()
  })

  it('extraObjects: objects and YAML strings, both through tpl', () => {
    const o = render([
      'extraObjects=[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{ .Release.Name }}-a"},"data":{"ns":"{{ .Release.Namespace }}"}},"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: {{ include \\"todo-chatbot.fullname\\" . }}-b\\ndata:\\n  url: {{ include \\"todo-chatbot.backendUrl\\" . | quote }}\\n"]',
    ])
    expect(find(o, 'ConfigMap', 'todo-a')!.data).toEqual({ ns: 'todo' })
    expect(find(o, 'ConfigMap', 'todo-b')!.data).toEqual({ url: 'http://todo-backend:8000' })
    expect(defaults.length).toBe(o.length - 2)
  })

  it('migrations.skip: the steps listed are left out; with both there is no Job; anything else is refused', () => {
    const steps = (o: K8sObject[]) => {
      const job = find(o, 'Job', 'todo-migrate')
      if (!job) return null
      const spec = job.spec.template.spec
      return [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.name)
    }
    expect(steps(defaults)).toEqual(['wait-for-database', 'migrate-backend', 'migrate-frontend'])
    expect(steps(render(['migrations.skip=["frontend"]']))).toEqual(['wait-for-database', 'migrate-backend'])
    expect(steps(render(['migrations.skip=["backend"]']))).toEqual(['wait-for-database', 'migrate-frontend'])
    expect(steps(render(['migrations.skip=["backend","frontend"]']))).toBeNull()
    const bad = template(helm, { set: [...TAGS], setJson: ['migrations.skip=["postgresql"]'] })
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/migrations\.skip|skip/)
  })

  it('frontend.migrateImage: the frontend migration step runs that image and its command; unset, the frontend image', () => {
    const step = (o: K8sObject[], name: string) => {
      const spec = find(o, 'Job', 'todo-migrate')!.spec.template.spec
      return [...(spec.initContainers ?? []), ...spec.containers].find((c: any) => c.name === name)
    }
    const frontendImage = container(defaults, 'frontend').image
    expect(step(defaults, 'migrate-frontend').image).toBe(frontendImage)
    const o = render(
      [
        'frontend.migrateImage={"repository":"todo-frontend-migrate","tag":"h-0123456789ab"}',
        'frontend.migrateCommand=["better-auth","migrate","--config","lib/auth.ts","-y"]',
      ],
      [],
    )
    const fe = step(o, 'migrate-frontend')
    expect(fe.image).toBe('todo-frontend-migrate:h-0123456789ab')
    expect(fe.command).toEqual(['better-auth', 'migrate', '--config', 'lib/auth.ts', '-y'])
    // everything else about the step stays: its env, security context and the backend step's image
    expect(fe.env).toEqual(step(defaults, 'migrate-frontend').env)
    expect(fe.securityContext).toEqual(step(defaults, 'migrate-frontend').securityContext)
    expect(step(o, 'migrate-backend').image).toBe(step(defaults, 'migrate-backend').image)
    // the app's own Deployment keeps its image
    expect(container(o, 'frontend').image).toBe(frontendImage)
    // a repository without a tag fails naming the value, and latest is refused
    const noTag = template(helm, { set: [...TAGS], setJson: ['frontend.migrateImage={"repository":"x","tag":""}'] })
    expect(noTag.status).not.toBe(0)
    expect(noTag.stderr).toContain('frontend.migrateImage.tag is required')
    const latest = template(helm, {
      set: [...TAGS],
      setJson: ['frontend.migrateImage={"repository":"x","tag":"latest"}'],
    })
    expect(latest.status).not.toBe(0)
  })
})
