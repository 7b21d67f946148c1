// The chart's NetworkPolicies on a network that enforces them (the harness runs kube-network-policies next to its
// bridge CNI: cluster/README.md). Connections are opened from inside real pods, to the Services by name: the app's
// own pods, and a stray pod in the same namespace that no policy names. Runs after kit.test.ts on the harness only
// (minikube's default network, like most laptops', enforces nothing: MINIKUBE_CNI=calico does).
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import {
  AppClient,
  clusterIp,
  kitEnvironment,
  kubectl,
  NS,
  pods,
  RELEASE,
  runKit,
  tail,
  waitFor,
} from './support/kit.ts'

const cluster = injectCluster(inject('cluster'))
const kit = kitEnvironment(cluster)
const env = kit.env
const svc = {
  frontend: [`${RELEASE}-frontend`, '3000'],
  backend: [`${RELEASE}-backend`, '8000'],
  database: [`${RELEASE}-postgresql`, '5432'],
} as const
type Target = keyof typeof svc

// One TCP connect, 3 s at most: "open", "timeout" (dropped: what an enforcing network does) or the error's name.
// By Service name, so "open" also proves the pod's DNS lookups get through its own policy.
const PY_CONNECT = `import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close(); print("open")
except socket.timeout: print("timeout")
except OSError as e: print(type(e).__name__)`
const NODE_CONNECT = `const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) })
s.setTimeout(3000, () => { console.log('timeout'); process.exit(0) })
s.on('connect', () => { console.log('open'); process.exit(0) })
s.on('error', (e) => { console.log(e.code); process.exit(0) })`

const connect = async (from: 'frontend' | 'backend' | 'stray', to: Target): Promise<string> => {
  const [host, port] = svc[to]
  const where = from === 'stray' ? 'pod/e2e-stray' : `deploy/${RELEASE}-${from}`
  const cmd = from === 'frontend' ? ['node', '-e', NODE_CONNECT, host, port] : ['python', '-c', PY_CONNECT, host, port]
  return (await kubectl(env, 'exec', '-n', NS, where, '--', ...cmd)).trim()
}
const uids = async () => (await pods(env)).map((p) => p.uid).sort()

describe(`NetworkPolicies, enforced (${cluster.kind})`, () => {
  beforeAll(async () => {
    // a check that could not run is no pass: without an enforcing network every "refused" below would be a lie
    const ds = await kubectl(
      env,
      'get',
      'daemonset',
      '-n',
      'kube-system',
      'kube-network-policies',
      '-o',
      'jsonpath={.status.numberReady}',
    ).catch(() => '')
    if (ds.trim() !== '1')
      throw new Error(
        'no NetworkPolicy enforcement on this cluster (kube-system/kube-network-policies is not ready): bash test/e2e/cluster/up.sh installs it',
      )
    const r = await runKit(env, ['up', '--', '--no-journey'])
    expect(r.code, tail(r)).toBe(0)
  })
  afterAll(async () => {
    await kubectl(env, 'delete', 'pod', '-n', NS, 'e2e-stray', '--ignore-not-found', '--wait=false').catch(() => '')
    const r = await runKit(env, ['down', '--', '--purge-data', '--yes'])
    expect(r.code, tail(r)).toBe(0)
  })

  it('the app works with every policy enforced: sign-up (frontend → database), a task (frontend → backend → database, backend → frontend JWKS)', async () => {
    const user = new AppClient(`http://${await clusterIp(env, svc.frontend[0])}:3000`)
    await user.signUp(`np-${Date.now()}@example.com`, 'e2e-password-123456')
    const created = await user.api('POST', '/tasks', { title: 'behind the policies' })
    expect(created.status, created.text).toBe(201)
    expect((await user.api('GET', '/tasks')).json.map((t: { title: string }) => t.title)).toContain(
      'behind the policies',
    )
  })

  it('a stray pod in the namespace reaches neither the database nor the backend, while the frontend is open to it', async () => {
    // the backend's image (it is in the cluster), as the non-root user the namespace's Pod Security asks for
    const image = (await pods(env)).find((p) => p.component === 'backend')!.image
    const stray = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'e2e-stray', namespace: NS, labels: { app: 'e2e-stray' } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'stray',
            image,
            imagePullPolicy: 'IfNotPresent',
            command: ['python', '-c', 'import time; time.sleep(900)'],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
          },
        ],
      },
    }
    const file = path.join(kit.dir, 'stray.json')
    writeFileSync(file, JSON.stringify(stray))
    await kubectl(env, 'apply', '-f', file)
    await kubectl(env, 'wait', '-n', NS, '--for=condition=Ready', 'pod/e2e-stray', '--timeout=120s')

    expect(await connect('stray', 'frontend')).toBe('open') // its own network works: what follows is the policies
    expect(await connect('stray', 'database')).toBe('timeout')
    expect(await connect('stray', 'backend')).toBe('timeout')
  })

  it("the app pods reach what they need; networkPolicy.frontendToDatabase=false drops the frontend's database connections without a restart", async () => {
    expect(await connect('backend', 'database')).toBe('open')
    expect(await connect('backend', 'frontend')).toBe('open') // the JWKS
    expect(await connect('frontend', 'backend')).toBe('open')
    expect(await connect('frontend', 'database')).toBe('open') // Better Auth keeps its sessions there

    const before = await uids()
    const closed = path.join(kit.dir, 'no-frontend-db.yaml')
    writeFileSync(closed, 'networkPolicy:\n  frontendToDatabase: false\n')
    const r = await runKit(env, ['deploy'], { HELM_VALUES_FILES: closed })
    expect(r.code, tail(r)).toBe(0)
    await waitFor(
      'the frontend shut out of the database',
      async () => (await connect('frontend', 'database')) === 'timeout',
      30_000,
    )
    expect(await connect('frontend', 'backend')).toBe('open')
    expect(await connect('backend', 'database')).toBe('open')
    expect(await uids()).toEqual(before) // a policy change rolls no pod

    const back = await runKit(env, ['deploy'])
    expect(back.code, tail(back)).toBe(0)
    await waitFor('the frontend let back in', async () => (await connect('frontend', 'database')) === 'open', 30_000)
  })
})
