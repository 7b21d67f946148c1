// The whole kit on a real cluster, as a user runs it: `npm run up` from a fresh cluster, the real app through the
// frontend Service, a second `up` that changes nothing, a one-line backend change, faults, scaling, the Gateway API in
// place of the Ingress (minikube) and cleanup.
// One ordered file: every case builds on the cluster state the previous one left.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { layerV32 } from '../support/k8s-tools.ts'
import { injectCluster } from './support/cluster.ts'
import {
  AppClient,
  backendCopy,
  clusterIp,
  helm,
  httpRequest,
  kitEnvironment,
  kubectl,
  NS,
  pods,
  reachServices,
  RELEASE,
  requestLoop,
  root,
  runKit,
  tail,
  waitFor,
  type KitRun,
  type PodInfo,
} from './support/kit.ts'

const cluster = injectCluster(inject('cluster'))

// the backend is built from a copy, so the suite can change a source line without touching app/
const backend = backendCopy('todo-e2e-backend-')
const kit = kitEnvironment(cluster, { BACKEND_DIR: backend })
const env = kit.env

const uids = (list: PodInfo[]) => Object.fromEntries(list.map((p) => [p.name, p.uid]))
const byComponent = (list: PodInfo[], c: string) => list.filter((p) => p.component === c && !p.deleting)
const revision = async () =>
  (JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as { version: number }).version
const healthFile = path.join(backend, 'app/routes/health.py')
// unique per run, so the changed backend is a new image tag even when docker kept an earlier run's images
const marker = `changed-${Date.now().toString(36)}`

async function releaseExists(): Promise<boolean> {
  return helm(env, 'status', RELEASE, '-n', NS).then(
    () => true,
    () => false,
  )
}

// The journey goes through the URL a browser uses: on minikube the ingress (on `minikube ip`, Host todo.local), as for
// a user. The harness has no ingress (--no-journey there; test/frontend/journey.test.ts runs the journey against the
// reference app's own processes).
const journey = cluster.minikube ? [] : ['--no-journey']
async function up(overrides: Record<string, string> = {}): Promise<KitRun> {
  const r = await runKit(env, ['up', '--', ...journey], overrides)
  expect(r.code, tail(r)).toBe(0)
  return r
}

// Helm 4 first, Helm 3 kept: minikube's release is installed by Helm 4 (server-side apply); on the harness Helm 3
// installs it, and Helm 4 (the suite's helm) upgrades it and rolls it back from then on, as after a user's upgrade.
const installer: Record<string, string> = cluster.minikube
  ? {}
  : { PATH: [path.dirname(layerV32().helm), env.PATH].join(path.delimiter) }
const installWait = cluster.minikube ? '--wait=watcher --rollback-on-failure' : '--wait --atomic'
let installedRevision = 0
/** how each field manager last wrote the backend Deployment: `helm:Apply` is server-side apply, `helm:Update` not */
const backendWriters = async () =>
  (
    JSON.parse(
      await kubectl(env, 'get', 'deployment', `${RELEASE}-backend`, '-n', NS, '-o', 'json', '--show-managed-fields'),
    ) as {
      metadata: { managedFields: { manager: string; operation: string }[] }
    }
  ).metadata.managedFields
    .filter((f) => f.manager.startsWith('helm'))
    .map((f) => `${f.manager}:${f.operation}`)

const app = { frontend: '', backend: '' }
let user: AppClient
let services = { stop: async () => {} }
const loadCommand = /\$ (docker save|ctr .* images import|minikube image load)/
// with docker-env (minikube's default) the logged command carries minikube's DOCKER_* variables first
const dockerBuild = /\$ (?:[A-Z_]+=\S* )*docker build/g

describe(`the kit on a real cluster (${cluster.kind})`, () => {
  beforeAll(async () => {
    // a fresh cluster: no release, Secret or database volume left by an earlier run on a kept cluster
    if (await releaseExists()) {
      const r = await runKit(env, ['down', '--', '--purge-data', '--yes'])
      expect(r.code, tail(r)).toBe(0)
    }
  })
  afterAll(async () => {
    await gateway.remove()
    await services.stop()
  })

  it('npm run up deploys the reference app; validate passes every check; the app works through the cluster', async () => {
    const r = await up(installer)
    expect(r.stderr).toContain('validate')
    expect(r.stderr).toMatch(new RegExp(`\\$ helm upgrade --install .* ${installWait} `))
    installedRevision = await revision()
    // Helm 4 applies a new release server-side (operation Apply); Helm 3 updates client-side
    if (cluster.minikube) expect(await backendWriters()).toContainEqual(expect.stringMatching(/^helm.*:Apply$/))
    else expect(await backendWriters()).toEqual(['helm:Update'])

    const v = await runKit(env, ['validate', '--', '--json', ...journey])
    expect(v.code, tail(v)).toBe(0)
    const result = JSON.parse(v.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
    expect(result.ok).toBe(true)
    expect(result.checks.length).toBeGreaterThanOrEqual(cluster.minikube ? 22 : 12)
    expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([])

    app.frontend = `http://${await clusterIp(env, `${RELEASE}-frontend`)}:3000`
    app.backend = `http://${await clusterIp(env, `${RELEASE}-backend`)}:8000`
    services = await reachServices(cluster, env, `${app.backend}/health`)
    user = new AppClient(app.frontend)
    await user.signUp(`e2e-${Date.now()}@example.com`, 'e2e-password-123456')

    const created = await user.api('POST', '/tasks', { title: 'write the e2e suite' })
    expect(created.status, created.text).toBe(201)
    expect(created.json.title).toBe('write the e2e suite')
    const done = await user.api('PATCH', `/tasks/${created.json.id}/complete`)
    expect(done.status, done.text).toBe(200)
    expect(done.json.completed).toBe(true)

    const chat = await user.api('POST', '/chat', { message: 'add buy milk' })
    expect(chat.status, chat.text).toBe(200)
    expect(chat.json.tool_calls.map((t: { name: string }) => t.name)).toContain('add_task')
    const tasks = await user.api('GET', '/tasks')
    expect(tasks.status).toBe(200)
    const titles = tasks.json.map((t: { title: string; completed: boolean }) => `${t.title}:${t.completed}`)
    expect(titles).toEqual(expect.arrayContaining(['write the e2e suite:true', 'buy milk:false']))

    // the backend refuses a request without the user's token (the proxy is the only way in)
    const anon = await fetch(`${app.backend}/api/${user.userId}/tasks`)
    expect(anon.status).toBe(401)
  })

  it('a second npm run up builds, loads, upgrades and restarts nothing', async () => {
    const before = await pods(env)
    const rev = await revision()
    const r = await up()
    expect(r.stderr).not.toMatch(dockerBuild)
    expect(r.stderr).not.toMatch(loadCommand)
    expect(r.stderr).not.toMatch(/\$ helm upgrade/)
    expect(r.stderr.match(/nothing to build/g)).toHaveLength(2)
    expect(r.stderr).toMatch(/nothing to upgrade/)
    expect(await revision()).toBe(rev)
    expect(uids(await pods(env))).toEqual(uids(before))
  })

  it('one changed backend source line: only the backend rolls, and the new code answers', async () => {
    const before = await pods(env)
    writeFileSync(
      healthFile,
      readFileSync(healthFile, 'utf8').replace(
        'return {"status": "ok"}',
        `return {"status": "ok", "e2e": "${marker}"}`,
      ),
    )
    expect(readFileSync(healthFile, 'utf8')).toContain(marker)
    const r = await up()
    expect(r.stderr.match(dockerBuild), tail(r)).toHaveLength(1)
    expect(r.stderr).toMatch(/docker build .*todo-backend:h-/)
    expect(r.stderr).toMatch(/nothing to build/)

    const after = await pods(env)
    for (const c of ['frontend', 'postgresql'])
      expect(uids(byComponent(after, c)), c).toEqual(uids(byComponent(before, c)))
    const oldBackend = new Set(byComponent(before, 'backend').map((p) => p.uid))
    expect(byComponent(after, 'backend').every((p) => !oldBackend.has(p.uid))).toBe(true)
    const res = await fetch(`${app.backend}/health`)
    expect(await res.json()).toEqual({ status: 'ok', e2e: marker })
    // Helm 4 upgraded what Helm 3 installed without taking the fields over: its --server-side=auto stays client-side
    if (!cluster.minikube) {
      expect(r.stderr).toMatch(/\$ helm upgrade --install .* --wait=watcher --rollback-on-failure /)
      expect(await backendWriters()).toEqual(['helm:Update'])
    }
  })

  it('a release whose image is not in the cluster fails with that diagnosis; the previous release keeps serving', async () => {
    const rev = await revision()
    const original = readFileSync(healthFile, 'utf8')
    writeFileSync(healthFile, original.replace(marker, `${marker}-never-deployed`))
    try {
      // minikube: built on this machine (LOAD_METHOD=minikube), so the node's own Docker, where the default
      // docker-env builds, does not have the new tag
      const b = await runKit(env, ['build'], cluster.minikube ? { LOAD_METHOD: 'minikube' } : {})
      expect(b.code, tail(b)).toBe(0)
      if (cluster.minikube) {
        // deploy asks the node's Docker first and stops before helm runs
        const r = await runKit(env, ['deploy'], { DEPLOY_TIMEOUT: '30s' })
        expect(r.code, tail(r)).not.toBe(0)
        expect(r.stderr, tail(r)).toMatch(
          /the cluster does not have .*todo-backend:h-[0-9a-f]{12}.* \(LOAD_METHOD=docker-env\)/,
        )
        expect(r.stderr).not.toMatch(/\$ helm upgrade/)
        expect(r.stderr).toMatch(/fix: .*build\.ts/)
      } else {
        // LOAD_METHOD=none: deploy trusts the docker engine's images, so helm meets a tag the node does not have
        const r = await runKit(env, ['deploy'], { LOAD_METHOD: 'none', DEPLOY_TIMEOUT: '30s' })
        expect(r.code, tail(r)).not.toBe(0)
        expect(r.stderr, tail(r)).toMatch(/ErrImagePull|ImagePullBackOff|ErrImageNeverPull/)
        expect(r.stderr).toMatch(/todo-backend:h-[0-9a-f]{12}/)
        expect(r.stderr).toMatch(/fix: .*load\.ts/)
      }
    } finally {
      writeFileSync(healthFile, original)
    }
    await expectPreviousServing(rev)
  })

  if (cluster.kind === 'harness')
    it('Helm 4 rolls the release back to the revision Helm 3 installed, and the next up upgrades it again', async () => {
      await helm(env, 'rollback', RELEASE, String(installedRevision), '-n', NS, '--wait=watcher', '--timeout', '3m')
      const status = JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as {
        info: { status: string }
      }
      expect(status.info.status).toBe('deployed')
      await waitFor('the backend Helm 3 installed answers again', async () => {
        const health = await fetch(`${app.backend}/health`).then((r) => r.json() as Promise<{ e2e?: string }>)
        return health.e2e === undefined
      })
      const tasks = await user.api('GET', '/tasks')
      expect(tasks.status, tasks.text).toBe(200)

      // the release no longer matches the Secret's fingerprint: up notices and upgrades back to the current code
      const r = await up()
      expect(r.stderr).toMatch(/\$ helm upgrade --install /)
      const res = await fetch(`${app.backend}/health`)
      expect(await res.json()).toEqual({ status: 'ok', e2e: marker })
    })

  // Replicas, faults, rollouts and a release that cannot start depend on the chart and Kubernetes, not on how the
  // images reached the node: they run on the default path (minikube) and on a current context, not again on the
  // harness, which proves the other cluster kind and NetworkPolicy enforcement (minikube/README.md, What runs where).
  if (cluster.kind !== 'harness') {
    // From here on two replicas of each app: a lost pod or a rollout must not drop a single request.
    it('two replicas: deleting a backend pod under a steady request loop fails no request', async () => {
      Object.assign(env, { BACKEND_REPLICAS: '2', FRONTEND_REPLICAS: '2' })
      const r = await runKit(env, ['deploy'])
      expect(r.code, tail(r)).toBe(0)
      await waitFor(
        '2 ready backend pods',
        async () => byComponent(await pods(env), 'backend').filter((p) => p.ready).length === 2,
      )

      const loop = tasksLoop()
      await sleep(2000)
      const [victim] = byComponent(await pods(env), 'backend')
      await kubectl(env, 'delete', 'pod', '-n', NS, victim!.name, '--wait=false')
      const t0 = Date.now()
      await waitFor('a replacement backend pod Ready', async () => {
        const b = byComponent(await pods(env), 'backend')
        return b.length === 2 && b.every((p) => p.ready && p.uid !== victim!.uid)
      })
      recovery.backendPodMs = Date.now() - t0
      console.info(`backend pod replaced and Ready in ${recovery.backendPodMs} ms`)
      await waitFor(`pod ${victim!.name} gone`, async () => !(await pods(env)).some((p) => p.uid === victim!.uid))
      const { sent, failures } = await loop.stop()
      expect(sent).toBeGreaterThan(20)
      expect(failures).toEqual([])
    })

    it('deleting the database pod loses no data written before', async () => {
      const kept = await user.api('POST', '/tasks', { title: 'survives a database restart' })
      expect(kept.status, kept.text).toBe(201)
      const [db] = byComponent(await pods(env), 'postgresql')
      await kubectl(env, 'delete', 'pod', '-n', NS, db!.name, '--wait=false')
      await waitFor('the database pod back and Ready', async () => {
        const p = byComponent(await pods(env), 'postgresql')
        return p.length === 1 && p[0]!.ready && p[0]!.uid !== db!.uid
      })
      let titles: string[] = []
      await waitFor(
        'the tasks through the app again',
        async () => {
          const res = await user.api('GET', '/tasks')
          titles = res.status === 200 ? res.json.map((t: { title: string }) => t.title) : []
          return res.status === 200
        },
        120_000,
        2000,
      )
      expect(titles).toEqual(expect.arrayContaining(['survives a database restart', 'write the e2e suite', 'buy milk']))
    })

    it('helm upgrade rolling both apps under a steady request loop fails no request', async () => {
      await waitFor('all pods ready', async () => (await pods(env)).every((p) => p.ready || p.deleting))
      const before = await pods(env)
      const loop = tasksLoop()
      await sleep(2000)
      await helm(
        env,
        'upgrade',
        RELEASE,
        path.join(root, 'helm/todo-chatbot'),
        '-n',
        NS,
        '--reuse-values',
        '--wait',
        '--timeout',
        '3m',
        '--set-string',
        'backend.podAnnotations.e2e-roll=1',
        '--set-string',
        'frontend.podAnnotations.e2e-roll=1',
      )
      await waitFor('old app pods gone', async () => {
        const now = await pods(env)
        return before.filter((p) => p.component !== 'postgresql').every((p) => !now.some((q) => q.uid === p.uid))
      })
      const { sent, failures } = await loop.stop()
      expect(sent).toBeGreaterThan(20)
      expect(failures).toEqual([])
    })

    it('a release reading a Secret key that does not exist fails with the missing key; the previous release keeps serving', async () => {
      const rev = await revision()
      const values = path.join(kit.dir, 'missing-key.yaml')
      writeFileSync(
        values,
        [
          'backend:',
          '  extraEnv:',
          '    - name: E2E_NEEDS',
          '      valueFrom:',
          '        secretKeyRef:',
          '          name: todo-secrets',
          '          key: E2E_MISSING_KEY',
          '',
        ].join('\n'),
      )
      const r = await runKit(env, ['deploy'], { HELM_VALUES_FILES: values, DEPLOY_TIMEOUT: '30s' })
      expect(r.code, tail(r)).not.toBe(0)
      expect(r.stderr, tail(r)).toMatch(/CreateContainerConfigError/)
      expect(r.stderr).toMatch(/E2E_MISSING_KEY/)
      await expectPreviousServing(rev)
    })
  }

  // The Gateway API in place of the Ingress, served by a real controller: Traefik's Kubernetes Gateway provider (the
  // ingress addon's own binary) behind a LoadBalancer Service that `minikube tunnel` gives an address
  // (minikube/README.md, "Gateway API"). The same release switches to ROUTING=gateway with the backend's /api routed
  // straight to it, so the HTTPRoute carries frontend and backend rules.
  if (cluster.minikube)
    it('ROUTING=gateway: the release moves from the Ingress to an HTTPRoute on a real Gateway; validate and its journey pass through it, over HTTP, then HTTPS', async () => {
      const gw = await gateway.install()
      const values = path.join(kit.dir, 'gateway-paths.yaml')
      writeFileSync(
        values,
        [
          'ingress:',
          '  backendPaths: ["/api"]',
          '  frontendPaths: ["/api/auth", "/api/backend", "/api/health"]',
          '',
        ].join('\n'),
      )
      const routing = {
        ROUTING: 'gateway',
        GATEWAY_NAME: GATEWAY.name,
        GATEWAY_NAMESPACE: GATEWAY.namespace,
        HELM_VALUES_FILES: values,
      }
      const d = await runKit(env, ['deploy'], routing)
      expect(d.code, tail(d)).toBe(0)
      // the hosts line names the Gateway's address, not minikube ip
      expect(d.stdout.split('\n'), tail(d)).toContain(`${gw.address} todo.local`)
      expect(d.stderr).toContain(`curl -H 'Host: todo.local' http://${gw.address}/`)
      expect(await kubectl(env, 'get', 'ingress', '-n', NS, '-o', 'name')).toBe('')
      expect((await kubectl(env, 'get', HTTPROUTES, '-n', NS, '-o', 'name')).trim()).toBe(
        `httproute.gateway.networking.k8s.io/${RELEASE}`,
      )

      const v = await runKit(env, ['validate', '--', '--json'], routing)
      expect(v.code, tail(v)).toBe(0)
      const result = JSON.parse(v.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
      expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([])
      expect(result.checks.find((c) => c.id === 'gateway-route')?.detail).toMatch(
        /^Accepted, ResolvedRefs by Gateway todo-e2e-gateway\/todo-e2e \(traefik\.io\/gateway-controller\)/,
      )
      // the journey ran, through the backend path the route sends straight to the backend
      const journeyRows = result.checks.filter((c) => c.id.startsWith('journey-')).map((c) => c.id)
      expect(journeyRows).toEqual(expect.arrayContaining(['journey-sign-up', 'journey-create', 'journey-chat']))

      // the user's requests through the Gateway, as a browser resolving todo.local to its address sends them
      const host = { host: 'todo.local' }
      for (const base of [`http://${gw.address}`, `https://${gw.address}`]) {
        const tls = base.startsWith('https:') ? { servername: 'todo.local', ca: gw.ca } : undefined
        const get = (p: string, headers: Record<string, string> = {}) =>
          httpRequest(`${base}${p}`, { headers: { ...host, ...headers }, tls })
        // frontend paths: the pages, the frontend's own /api routes and its proxy to the backend
        const home = await get('/')
        expect(home.status, base).toBe(307)
        expect(home.headers.location).toMatch(/\/sign-in$/)
        expect((await get('/sign-in')).status, base).toBe(200)
        expect(JSON.parse((await get('/api/health')).text)).toEqual({ status: 'ok' })
        const proxied = await get(`/api/backend/${encodeURIComponent(user.userId)}/tasks`, { cookie: user.cookie })
        expect(proxied.status, proxied.text).toBe(200)
        // backend paths: FastAPI itself, refusing a request without a token and answering with the user's JWT
        expect((await get(`/api/${user.userId}/tasks`)).status, base).toBe(401)
        const token = await get('/api/auth/token', { cookie: user.cookie })
        expect(token.status, token.text).toBe(200)
        const direct = await get(`/api/${user.userId}/tasks`, {
          authorization: `Bearer ${(JSON.parse(token.text) as { token: string }).token}`,
        })
        expect(direct.status, direct.text).toBe(200)
        expect((JSON.parse(direct.text) as { title: string }[]).map((t) => t.title)).toContain('write the e2e suite')
      }

      // HTTPS as the docs set it up: the route on the HTTPS listener alone, PUBLIC_URL https; validate's journey goes
      // to the Gateway's address with todo.local as Host and TLS name, trusting the test's certificate as a private CA
      const https = { ...routing, GATEWAY_SECTION: 'https', PUBLIC_URL: 'https://todo.local' }
      const d2 = await runKit(env, ['deploy'], https)
      expect(d2.code, tail(d2)).toBe(0)
      const v2 = await runKit(env, ['validate', '--', '--json'], { ...https, NODE_EXTRA_CA_CERTS: gw.caFile })
      expect(v2.code, tail(v2)).toBe(0)
      const result2 = JSON.parse(v2.stdout) as { checks: { id: string; status: string; detail: string }[] }
      expect(result2.checks.filter((c) => c.status !== 'pass')).toEqual([])
      expect(result2.checks.filter((c) => c.id.startsWith('journey-')).map((c) => c.id)).toEqual(journeyRows)
      expect(v2.stderr).toContain(`https://todo.local (the Gateway todo-e2e-gateway/todo-e2e on ${gw.address}`)
      // the HTTP listener no longer has the route
      expect((await httpRequest(`http://${gw.address}/api/health`, { headers: host })).status).toBe(404)
    })

  it('npm run down removes the release, the Secret and the pods and keeps the volume; --purge-data removes it', async () => {
    const pvcs = async () => (await kubectl(env, 'get', 'pvc', '-n', NS, '-o', 'name')).split('\n').filter(Boolean)
    const volumes = await pvcs()
    expect(volumes.length).toBe(1)
    const r = await runKit(env, ['down'])
    expect(r.code, tail(r)).toBe(0)
    expect(await releaseExists()).toBe(false)
    expect((await kubectl(env, 'get', 'secret', '-n', NS, '-o', 'name')).split('\n')).not.toContain(
      'secret/todo-secrets',
    )
    await waitFor('the app pods gone', async () => (await pods(env)).length === 0, 120_000)
    expect(await pvcs()).toEqual(volumes)
    if (cluster.minikube) expect(await kubectl(env, 'get', HTTPROUTES, '-n', NS, '-o', 'name')).toBe('')

    const purge = await runKit(env, ['down', '--', '--purge-data', '--yes'])
    expect(purge.code, tail(purge)).toBe(0)
    await waitFor('the volume gone', async () => (await pvcs()).length === 0, 120_000)
  })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const run = promisify(execFile)

const HTTPROUTES = 'httproutes.gateway.networking.k8s.io'
const GATEWAY = { name: 'todo-e2e', namespace: 'todo-e2e-gateway' }
const gatewayDir = path.join(root, 'test/e2e/minikube/gateway')

/**
 * The suite's Gateway on minikube (minikube/gateway): the Gateway API CRDs of the version Traefik is built on, Traefik's
 * Gateway provider from the ingress addon's image, a self-signed TLS Secret for todo.local and the Gateway. Applied
 * idempotently; remove() deletes all of it.
 */
const gateway = {
  applied: [] as string[],
  async install(): Promise<{ address: string; ca: string; caFile: string }> {
    const crds = cluster.minikube?.gatewayApiCrds
    if (!crds) throw new Error('minikube/build.sh printed no E2E_GATEWAY_API_CRDS (see ingress/build.sh)')
    const image = /(?:^|,)IngressController=([^,]+)/.exec(cluster.minikube?.env.MINIKUBE_ADDON_IMAGES ?? '')?.[1]
    if (!image) throw new Error('MINIKUBE_ADDON_IMAGES names no IngressController: the Traefik image build.sh made')
    const controller = path.join(kit.dir, 'gateway-controller.yaml')
    writeFileSync(
      controller,
      readFileSync(path.join(gatewayDir, 'controller.yaml'), 'utf8').replace('image: TRAEFIK_IMAGE', `image: ${image}`),
    )
    // (server-side: the CRDs are larger than client-side apply's last-applied annotation may be)
    this.applied = [crds, controller, path.join(gatewayDir, 'gateway.yaml')]
    await kubectl(env, 'apply', '--server-side', '-f', crds)
    await kubectl(
      env,
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...['gatewayclasses', 'gateways', 'httproutes'].map((r) => `crd/${r}.gateway.networking.k8s.io`),
    )
    await kubectl(env, 'apply', '-f', controller)

    const key = path.join(kit.dir, 'gateway-tls.key')
    const crt = path.join(kit.dir, 'gateway-tls.crt')
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=todo.local'],
      ...['-addext', 'subjectAltName=DNS:todo.local'],
    ])
    const secret = path.join(kit.dir, 'gateway-tls.yaml')
    writeFileSync(
      secret,
      await kubectl(
        env,
        ...['create', 'secret', 'tls', 'todo-e2e-gateway-tls', '-n', GATEWAY.namespace],
        ...['--cert', crt, '--key', key, '--dry-run=client', '-o', 'yaml'],
      ),
    )
    await kubectl(env, 'apply', '-f', secret, '-f', path.join(gatewayDir, 'gateway.yaml'))
    await kubectl(env, 'rollout', 'status', 'deployment/traefik-gateway', '-n', GATEWAY.namespace, '--timeout=120s')

    // Programmed, with the address Traefik copies from its Service once `minikube tunnel` has given it one
    let address = ''
    await waitFor(`Gateway ${GATEWAY.namespace}/${GATEWAY.name} programmed with an address`, async () => {
      const g = JSON.parse(
        await kubectl(
          env,
          'get',
          'gateways.gateway.networking.k8s.io',
          GATEWAY.name,
          '-n',
          GATEWAY.namespace,
          '-o',
          'json',
        ),
      ) as { status?: { addresses?: { value: string }[]; conditions?: { type: string; status: string }[] } }
      address = g.status?.addresses?.[0]?.value ?? ''
      return !!address && !!g.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True')
    })
    return { address, ca: readFileSync(crt, 'utf8'), caFile: crt }
  },
  async remove(): Promise<void> {
    // the Gateway first, then its controller, then the CRDs (the kit's own HTTPRoute went with `down`)
    for (const file of this.applied.reverse())
      await kubectl(env, 'delete', '-f', file, '--ignore-not-found', '--wait=false')
    this.applied = []
  },
}
/** recovery time measured by the pod-deletion case, printed at the end */
const recovery: { backendPodMs?: number } = {}

/** The signed-in user's task list through the frontend proxy, every 100 ms: frontend, backend and database in one. */
function tasksLoop() {
  return requestLoop(`${app.frontend}/api/backend/${encodeURIComponent(user.userId)}/tasks`, {
    everyMs: 100,
    maxRequests: 2000,
    maxMs: 240_000,
    headers: { cookie: user.cookie, origin: 'http://todo.local' },
  })
}

async function expectPreviousServing(rev: number) {
  const status = JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as {
    info: { status: string }
    version: number
  }
  expect(status.info.status).toBe('deployed')
  // the rollback is a new revision with the old values, or the failed upgrade never became current
  const values = JSON.parse(
    await helm(env, 'get', 'values', RELEASE, '-n', NS, '-o', 'json', '--revision', String(status.version)),
  )
  const old = JSON.parse(await helm(env, 'get', 'values', RELEASE, '-n', NS, '-o', 'json', '--revision', String(rev)))
  expect(values.backend.image.tag).toBe(old.backend.image.tag)
  expect(values.backend.extraEnv ?? []).toEqual(old.backend.extraEnv ?? [])
  // (the failed upgrade's hook Job pod stays behind, Completed: only the app's own pods count)
  await waitFor(
    'every app pod ready',
    async () =>
      (await pods(env))
        .filter((p) => !p.deleting && ['frontend', 'backend', 'postgresql'].includes(p.component))
        .every((p) => p.ready),
    60_000,
  )
  const res = await user.api('GET', '/tasks')
  expect(res.status, res.text).toBe(200)
  expect(((await (await fetch(`${app.backend}/health`)).json()) as { e2e?: string }).e2e).toBe(marker)
}
