import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  NODE_GET,
  PY_DB,
  PY_GET,
  appContainer,
  appPods,
  chartTargets,
  fallbackNote,
  getArgs,
  guard,
  local,
  probeTarget,
  resolvePort,
  checkDatabase,
  checkEndpoints,
  checkHttp,
  checkImageSize,
  checkLeaks,
  checkNonRoot,
  checkPods,
  checkRelease,
  manifestSources,
  parseProbe,
  secretNeedles,
  withWeights,
  type Out,
} from '../../scripts/lib/checks.ts'
import { largestLayers, largestPackages } from '../../scripts/lib/image-weight.ts'
import { checkRoute, gatewayAddress } from '../../scripts/lib/gateway-status.ts'
import { lines, project, SECRETS, type Project } from './harness.ts'
import { fake, startFakeApp } from './fake-app.ts'
import { fixture, re, useCanned, type Answer } from './canned.ts'

const fx = path.join(import.meta.dirname, 'fixtures')
const v = (f: string): string => readFileSync(path.join(fx, 'validate', f), 'utf8')
const d = (c: string, f: string): string => readFileSync(path.join(fx, 'diagnose', c, f), 'utf8')
const ok = (stdout: string): Out => ({ ok: true, exitCode: 0, stdout, stderr: '' })
const bad = (stderr: string, exitCode = 1, stdout = ''): Out => ({ ok: false, exitCode, stdout, stderr })

describe('checkRelease (helm status -o json)', () => {
  it('passes a deployed release with its revision and chart', () => {
    expect(checkRelease(ok(v('helm-status-deployed.json')), 'todo')).toEqual({
      id: 'release',
      name: 'release deployed',
      status: 'pass',
      detail: 'todo revision 3 (todo-chatbot-0.1.0)',
    })
  })
  it("fails a failed release with helm's description", () => {
    const c = checkRelease(ok(v('helm-status-failed.json')), 'todo')
    expect(c.status).toBe('fail')
    expect(c.detail).toBe('todo revision 4 is failed: Upgrade "todo" failed: context deadline exceeded')
    expect(c.fix).toBe('npx zx scripts/deploy.ts')
  })
  it('a pending operation points at helm rollback', () => {
    expect(checkRelease(ok(v('helm-status-pending.json')), 'todo').fix).toContain('helm rollback todo')
  })
  it('output that is not JSON fails the check instead of crashing validate', () => {
    const c = guard('release', 'release deployed', () => checkRelease(ok('WARNING: something\n{"name"'), 'todo'))
    expect(c).toMatchObject({ id: 'release', status: 'fail' })
    expect(c.detail).toMatch(/^could not read the tool's output: /)
  })
  it('a release that is not installed', () => {
    const c = checkRelease(bad('Error: release: not found'), 'todo')
    expect(c).toMatchObject({
      status: 'fail',
      detail: 'release todo is not installed',
      fix: 'npx zx scripts/deploy.ts',
    })
  })
})

describe('checkPods', () => {
  it('all ready, no restarts', () => {
    expect(checkPods(d('healthy', 'pods.json'))).toMatchObject({ status: 'pass', detail: '3/3 ready, 0 restarts' })
  })
  it('names the pod that is not ready and its restarts', () => {
    const c = checkPods(d('crashloop', 'pods.json'))
    expect(c.status).toBe('fail')
    expect(c.detail).toBe('2/3 healthy; todo-backend-6d5f7c9b8-x7k2p: not ready (CrashLoopBackOff), 5 restart(s)')
  })
  it('a pod that is ready but restarted still fails ("no restarts")', () => {
    const pods = JSON.parse(d('healthy', 'pods.json'))
    pods.items[1].status.containerStatuses[0].restartCount = 2
    expect(checkPods(JSON.stringify(pods)).detail).toBe('2/3 healthy; todo-frontend-7b9c4d5f6-m4r9t: 2 restart(s)')
  })
  it('an unschedulable pod says so', () => {
    expect(checkPods(d('unschedulable', 'pods.json')).detail).toContain('todo-postgresql-0: not ready (Unschedulable)')
  })
  it('hook pods (the migration Job) are not app pods', () => {
    const names = appPods(d('init-and-hook', 'pods.json')).map((p) => p.metadata?.name)
    expect(names).not.toContain('todo-migrate-b5lq9')
    expect(names).toHaveLength(3)
  })
  it('no pods at all fails', () => {
    expect(checkPods('{"items":[]}')).toMatchObject({ status: 'fail', detail: 'no pods found for the release' })
  })
})

describe('checkEndpoints', () => {
  it('counts ready endpoints per Service from EndpointSlices', () => {
    expect(checkEndpoints(v('services.json'), v('endpointslices.json'))).toMatchObject({
      status: 'pass',
      detail: 'todo-backend: 1, todo-frontend: 1, todo-postgresql: 1',
    })
  })
  it('fails a Service whose slice has no endpoints (endpoints: null)', () => {
    const c = checkEndpoints(v('services.json'), v('endpointslices-backend-empty.json'))
    expect(c.status).toBe('fail')
    expect(c.detail).toContain('no ready endpoints for todo-backend')
  })
  it('an endpoint with ready=false does not count', () => {
    const s = JSON.parse(v('endpointslices.json'))
    s.items[1].endpoints[0].conditions.ready = false
    expect(checkEndpoints(v('services.json'), JSON.stringify(s)).detail).toContain(
      'no ready endpoints for todo-frontend',
    )
  })
  it('falls back to v1 Endpoints when EndpointSlices could not be read', () => {
    expect(checkEndpoints(v('services.json'), null, v('endpoints.json')).status).toBe('pass')
  })
})

describe('in-pod HTTP and database checks', () => {
  it('the one-liners hold no double quotes (Windows PowerShell 5.1 mangles them)', () => {
    for (const code of [PY_GET, PY_DB, NODE_GET]) expect(code).not.toContain('"')
  })
  it("parses the one-liners' output", () => {
    expect(parseProbe(ok('STATUS 200\n'))).toEqual({ status: 200 })
    expect(parseProbe(ok('ERROR URLError <urlopen error [Errno 111] Connection refused>\n'))).toEqual({
      error: 'URLError <urlopen error [Errno 111] Connection refused>',
    })
    expect(
      parseProbe(
        bad(
          'error: Internal error occurred: error executing command in container: failed to exec in container: exec: "python": executable file not found in $PATH',
          126,
        ),
      ).error,
    ).toContain('no interpreter')
  })
  it('200 passes, 503 fails with the fix, no pod fails', () => {
    expect(checkHttp('backend-ready', 'backend /ready 200', 'be GET /ready', ok('STATUS 200'), 'fix')).toMatchObject({
      status: 'pass',
      detail: 'be GET /ready → 200',
    })
    expect(
      checkHttp('backend-ready', 'backend /ready 200', 'be GET /ready', ok('STATUS 503'), 'the fix'),
    ).toMatchObject({ status: 'fail', detail: 'be GET /ready → 503', fix: 'the fix' })
    expect(checkHttp('x', 'x', 'be', null, 'f').status).toBe('fail')
  })
  it('backend → database: TCP and /ready', () => {
    expect(checkDatabase(ok('DB todo-postgresql:5432 OK\n'), ok('STATUS 200\n'))).toMatchObject({
      status: 'pass',
      detail: 'TCP todo-postgresql:5432 open, /ready → 200',
    })
    const refused = checkDatabase(ok('DB todo-postgresql:5432 ERROR ConnectionRefusedError\n'), ok('STATUS 503\n'))
    expect(refused).toMatchObject({
      status: 'fail',
      detail: 'cannot connect to todo-postgresql:5432 (ConnectionRefusedError)',
    })
    const auth = checkDatabase(ok('DB todo-postgresql:5432 OK\n'), ok('STATUS 503\n'))
    expect(auth.detail).toContain('/ready → 503')
    expect(auth.fix).toContain('POSTGRES_PASSWORD')
  })
})

describe("where the in-pod GETs go: the release's probes", () => {
  type C = NonNullable<Parameters<typeof probeTarget>[0]>
  const custom = appPods(v('pods-custom-probes.json'))
  it("backend: liveness and readiness httpGet paths, a named port resolved through the container's ports", () => {
    const c = appContainer(custom[0], 'backend')
    expect(probeTarget(c, ['liveness'], '/health')).toMatchObject({
      path: '/status/live',
      port: 8080,
      probe: 'liveness',
    })
    expect(probeTarget(c, ['readiness'], '/ready')).toMatchObject({
      path: '/status/ready',
      port: 8080,
      probe: 'readiness',
    })
  })
  it('frontend: readiness before liveness, a numeric port as is', () => {
    const t = probeTarget(appContainer(custom[1], 'frontend'), ['readiness', 'liveness'], '/api/health')
    expect(t).toMatchObject({ path: '/healthz', port: 3100, probe: 'readiness' })
    expect(getArgs(t)).toEqual(['/healthz', '3100'])
    expect(local(t)).toBe('127.0.0.1:3100/healthz')
    expect(fallbackNote(t)).toBeUndefined()
  })
  it("no httpGet probe: today's path, said so; the port from $PORT in the spec, else the http port, else $PORT at run time", () => {
    const c: C = {
      name: 'backend',
      ports: [{ name: 'http', containerPort: 8000 }],
      livenessProbe: {},
      env: [{ name: 'PORT', value: '9000' }],
    }
    const t = probeTarget(c, ['liveness'], '/health')
    expect(t).toMatchObject({ path: '/health', port: 9000, probe: null })
    expect(fallbackNote(t)).toBe('no httpGet liveness probe; asked /health')
    expect(probeTarget({ ...c, env: [] }, ['liveness'], '/health').port).toBe(8000)
    const bare = probeTarget({ name: 'x' }, ['readiness', 'liveness'], '/api/health')
    expect([bare.port, getArgs(bare), local(bare)]).toEqual([undefined, ['/api/health'], '127.0.0.1:$PORT/api/health'])
    expect(resolvePort({ name: 'x', ports: [{ name: 'web', containerPort: 8080 }] }, '8081')).toBe(8081)
  })
  it('--dry-run: the same targets from chart values, later files winning; defaults when they say nothing', () => {
    const chart = {
      backend: {
        containerPort: 8000,
        service: { port: 8000 },
        probes: { liveness: { path: '/health' }, readiness: { path: '/ready' } },
      },
      frontend: { containerPort: 3000, probes: { readiness: { path: '/api/health' } } },
    }
    const t = chartTargets([
      chart,
      { backend: { containerPort: 8080, service: { port: 80 }, probes: { readiness: { path: '/status/ready' } } } },
      null,
    ])
    expect([getArgs(t.beLive), getArgs(t.beReady), getArgs(t.feHealth), t.beServicePort]).toEqual([
      ['/health', '8080'],
      ['/status/ready', '8080'],
      ['/api/health', '3000'],
      80,
    ])
    const none = chartTargets([])
    expect([getArgs(none.beLive), getArgs(none.beReady), getArgs(none.feHealth), none.beServicePort]).toEqual([
      ['/health'],
      ['/ready'],
      ['/api/health'],
      8000,
    ])
  })
})

describe('checkNonRoot', () => {
  const pods = appPods(d('healthy', 'pods.json'))
  const key = (i: number): string => `${pods[i]!.metadata!.name}/${pods[i]!.spec!.containers![0]!.name}`
  it('uses id -u from each container', () => {
    const uids = new Map([
      [key(0), ok('10001\n')],
      [key(1), ok('1001\n')],
      [key(2), ok('999\n')],
    ])
    expect(checkNonRoot(pods, uids)).toMatchObject({
      status: 'pass',
      detail: 'backend/backend=10001, frontend/frontend=1001, postgresql/postgresql=999',
    })
  })
  it('uid 0 fails', () => {
    const uids = new Map([
      [key(0), ok('0\n')],
      [key(1), ok('1001\n')],
      [key(2), ok('999\n')],
    ])
    expect(checkNonRoot(pods, uids)).toMatchObject({ status: 'fail', detail: 'backend/backend runs as uid 0' })
  })
  it('falls back to the securityContext when the image has no `id`', () => {
    const uids = new Map([
      [key(0), bad('exec: "id": executable file not found in $PATH', 126)],
      [key(1), ok('1001')],
      [key(2), ok('999')],
    ])
    expect(checkNonRoot(pods, uids).detail).toContain('backend/backend=10001 (securityContext)')
  })
})

describe('checkImageSize', () => {
  const be = ok(v('backend.inspect.json'))
  const base = ok(v('python-base.inspect.json'))
  it('size over the base image within budget', () => {
    const c = checkImageSize('backend', 'todo-backend:h-3f9a1c2b7d4e', 'python:3.13-slim', 200, be, base)
    expect(c).toMatchObject({ id: 'image-size-backend', status: 'pass' })
    expect(c.detail).toBe('todo-backend:h-3f9a1c2b7d4e: 152.0 MB over python:3.13-slim (budget 200 MB, total 415.6 MB)')
  })
  it('over budget fails and names the config key', () => {
    const c = checkImageSize('backend', 'todo-backend:h-3f9a1c2b7d4e', 'python:3.13-slim', 120, be, base)
    expect(c.status).toBe('fail')
    expect(c.fix).toContain('BACKEND_SIZE_BUDGET_MB')
  })
  it("an app of the user's without a budget: its size reported, SKIP (not judged, not passed), the key named", () => {
    const c = checkImageSize('backend', 'todo-backend:h-3f9a1c2b7d4e', 'python:3.13-slim', null, be, base)
    expect(c.status).toBe('skip')
    expect(c.fix).toBeUndefined()
    expect(c.detail).toBe(
      'todo-backend:h-3f9a1c2b7d4e: 152.0 MB over python:3.13-slim (total 415.6 MB); your app has no budget: set BACKEND_SIZE_BUDGET_MB in .env to hold it to one',
    )
  })
  it('skips (not passes) when an image is not in the local engine', () => {
    const missing = bad('Error: No such image: python:3.13-slim')
    expect(checkImageSize('backend', 'x', 'python:3.13-slim', 120, be, missing)).toMatchObject({
      status: 'skip',
      fix: 'docker pull python:3.13-slim',
    })
    expect(checkImageSize('backend', 'x', 'b', 120, missing, base).status).toBe('skip')
  })
})

describe('secret leaks', () => {
  const secrets = {
    BETTER_AUTH_SECRET: 'better-auth-secret-3f8a9c2d7e1b4a6f0c5d8e2b',
    OPENAI_API_KEY: 'sk-test-Leaky0penAIkey123456',
    DATABASE_URL: 'postgresql://todo:Db-Pass-9x7Q@db.example.com:5432/todo',
    POSTGRES_PASSWORD: 'short',
  }
  it("looks for each value, a DATABASE_URL's password alone, and lists values too short to search", () => {
    const n = secretNeedles(secrets)
    expect(n.needles.map((x) => x.key)).toEqual([
      'BETTER_AUTH_SECRET',
      'OPENAI_API_KEY',
      'DATABASE_URL',
      'DATABASE_URL password',
    ])
    expect(n.tooShort).toEqual(['POSTGRES_PASSWORD'])
  })
  it('the real chart manifest and image carry no secret', () => {
    const sources = [
      ...manifestSources(v('manifest.yaml')),
      { where: 'image config', text: v('backend.inspect.json') },
      { where: 'history', text: v('backend.history.jsonl') },
    ]
    expect(sources.length).toBeGreaterThan(10)
    const c = checkLeaks(secrets, sources)
    expect(c.status).toBe('pass')
    expect(c.detail).toContain('not searched (shorter than 8 characters): POSTGRES_PASSWORD')
  })
  it('finds a value in a ConfigMap and an image ENV, but not in the Secret, and never prints the value', () => {
    const sources = [
      ...manifestSources(v('manifest-leaky.yaml')),
      { where: 'image todo-backend config', text: v('backend-leaky.inspect.json') },
    ]
    const c = checkLeaks(secrets, sources)
    expect(c.status).toBe('fail')
    expect(c.detail).toBe(
      'OPENAI_API_KEY found in ConfigMap/todo-extra (helm get manifest); OPENAI_API_KEY found in image todo-backend config; not searched (shorter than 8 characters): POSTGRES_PASSWORD',
    )
    expect(JSON.stringify(c)).not.toContain(secrets.OPENAI_API_KEY)
    expect(JSON.stringify(c)).not.toContain(secrets.BETTER_AUTH_SECRET)
  })
  it('a search that could not look everywhere fails and names what it could not read (never a PASS on 0 sources)', () => {
    const c = checkLeaks(secrets, [], ['helm get manifest'])
    expect(c).toMatchObject({ status: 'fail', detail: 'not checked: could not read helm get manifest' })
    expect(checkLeaks(secrets, []).status).toBe('fail')
    const partly = checkLeaks(secrets, manifestSources(v('manifest.yaml')), ['history of todo-backend:h-1'])
    expect(partly.status).toBe('fail')
    expect(partly.detail).toMatch(
      /^not checked: could not read history of todo-backend:h-1 \(\d+ other source\(s\) clean\)$/,
    )
  })
})

// ---------- the stage as a subprocess against fake kubectl/helm/docker ----------

// subprocesses (zx + fake tools) take seconds each; on a loaded 2-core machine more than the project's 30 s default
describe('checkRoute (ROUTING=gateway: the HTTPRoute status from its Gateway)', () => {
  const GW = { name: 'eg', namespace: 'envoy-gateway-system', section: null }
  const accepted = (): any => JSON.parse(v('httproute-accepted.json'))
  const gateway = (): any => JSON.parse(v('gateway.json'))
  const check = (route: Out, gw: Out | null = ok(v('gateway.json')), ref: typeof GW | { section: string } = GW) =>
    checkRoute(route, gw, { ...GW, ...ref }, 'todo', 'todo', 'todo.local')
  const withParent = (conditions: object[], parentRef: object = {}) => {
    const r = accepted()
    r.status.parents[0].conditions = conditions
    Object.assign(r.status.parents[0].parentRef, parentRef)
    return ok(JSON.stringify(r))
  }
  const expectFail = (c: ReturnType<typeof checkRoute>, detail: RegExp, fix: RegExp) => {
    expect(c.status).toBe('fail')
    expect(c.detail).toMatch(detail)
    expect(c.fix).toMatch(fix)
    // one line each: the table prints the detail, the ✖ line the fix
    expect(c.detail).not.toContain('\n')
    expect(c.fix).not.toContain('\n')
  }

  it('Accepted and ResolvedRefs for its parentRef pass, naming the Gateway and its controller', () => {
    expect(check(ok(v('httproute-accepted.json')))).toEqual({
      id: 'gateway-route',
      name: 'HTTPRoute attached to the Gateway',
      status: 'pass',
      detail:
        'Accepted, ResolvedRefs by Gateway envoy-gateway-system/eg (gateway.envoyproxy.io/gatewayclass-controller)',
    })
  })

  it("a listener that does not admit the release's namespace", () => {
    const c = check(
      withParent([
        {
          type: 'Accepted',
          status: 'False',
          reason: 'NotAllowedByListeners',
          message: 'No listeners included by this parent ref allowed this attachment.',
        },
      ]),
    )
    expectFail(
      c,
      /^Gateway envoy-gateway-system\/eg does not take routes from namespace todo: Accepted=False \(NotAllowedByListeners\): No listeners/,
      /allowedRoutes\.namespaces\.from: All/,
    )
  })

  it('a listener name (GATEWAY_SECTION) the Gateway does not have', () => {
    const c = check(
      withParent([{ type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: 'no such listener' }], {
        sectionName: 'https',
      }),
      ok(v('gateway.json')),
      { section: 'https' },
    )
    expectFail(
      c,
      /^Gateway envoy-gateway-system\/eg has no listener https for the route: Accepted=False \(NoMatchingParent\)/,
      /^set GATEWAY_SECTION to one of its listeners \(kubectl get gateways\.gateway\.networking\.k8s\.io eg -n envoy-gateway-system -o jsonpath='\{\.spec\.listeners\[\*\]\.name\}'\) or unset it/,
    )
  })

  it('a host no listener serves', () => {
    const c = check(withParent([{ type: 'Accepted', status: 'False', reason: 'NoMatchingListenerHostname' }]))
    expectFail(c, /^no listener of Gateway envoy-gateway-system\/eg serves host todo\.local/, /INGRESS_HOST/)
  })

  it('backends the Gateway cannot resolve (a missing Service, a cross-namespace ref without a ReferenceGrant)', () => {
    const c = check(
      withParent([
        { type: 'Accepted', status: 'True', reason: 'Accepted' },
        {
          type: 'ResolvedRefs',
          status: 'False',
          reason: 'BackendNotFound',
          message: 'service todo/todo-backend not found',
        },
      ]),
    )
    expectFail(
      c,
      /^Gateway envoy-gateway-system\/eg cannot resolve the route's backends: ResolvedRefs=False \(BackendNotFound\): service todo\/todo-backend not found$/,
      /^the Services todo-frontend and todo-backend must exist in todo/,
    )
  })

  it('no status from the Gateway: the Gateway is missing, or its GatewayClass is not accepted, or it has not got to it', () => {
    const unattached = (() => {
      const r = accepted()
      delete r.status
      return ok(JSON.stringify(r))
    })()
    expectFail(
      check(unattached, bad('Error from server (NotFound): gateways.gateway.networking.k8s.io "eg" not found')),
      /^Gateway envoy-gateway-system\/eg does not exist, so nothing attaches the route$/,
      /^set GATEWAY_NAME\/GATEWAY_NAMESPACE to an existing Gateway \(kubectl get gateways\.gateway\.networking\.k8s\.io -A\)/,
    )
    const pending = gateway()
    pending.status = {
      conditions: [{ type: 'Accepted', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' }],
    }
    expectFail(
      check(unattached, ok(JSON.stringify(pending))),
      /^Gateway envoy-gateway-system\/eg is not accepted by the controller of GatewayClass eg: Accepted=Unknown \(Pending\): Waiting for controller$/,
      /^kubectl get gatewayclass eg \(ACCEPTED must be True/,
    )
    expectFail(check(unattached), /has not reported on the route yet/, /re-run npx zx scripts\/validate\.ts/)
    // a status for another Gateway is not this one's
    const other = accepted()
    other.status.parents[0].parentRef.name = 'other'
    expect(check(ok(JSON.stringify(other))).detail).toMatch(/has not reported on the route yet/)
  })

  it('no Gateway API in the cluster, no route, no cluster', () => {
    expectFail(
      check(bad('error: the server doesn\'t have a resource type "httproutes"')),
      /^the cluster has no Gateway API/,
      /install the Gateway API CRDs and a Gateway controller .*or set ROUTING=ingress$/,
    )
    expectFail(
      check(bad('Error from server (NotFound): httproutes.gateway.networking.k8s.io "todo" not found')),
      /^no HTTPRoute todo in namespace todo$/,
      /^npx zx scripts\/deploy\.ts$/,
    )
    expectFail(
      check(bad('Unable to connect to the server: dial tcp 192.168.49.2:8443: connect: connection refused')),
      /^cluster unreachable/,
      /^kubectl cluster-info/,
    )
  })

  it("Traefik's own statuses (v3.7.13's Gateway provider, captured on the e2e minikube): attached, a listener it lacks, a missing backend", () => {
    const tr: { name: string; namespace: string; section: string | null } = {
      name: 'todo-e2e',
      namespace: 'todo-e2e-gateway',
      section: null,
    }
    const gw = ok(v('traefik-gateway.json'))
    const route = (f: string, ref = tr) => checkRoute(ok(v(f)), gw, ref, 'todo', 'todo', 'todo.local')
    expect(gatewayAddress(gw)).toBe('10.111.225.57')
    expect(route('traefik-httproute-accepted.json')).toMatchObject({
      status: 'pass',
      detail: 'Accepted, ResolvedRefs by Gateway todo-e2e-gateway/todo-e2e (traefik.io/gateway-controller)',
    })
    // Traefik leaves the message empty: the reason alone is shown
    expectFail(
      route('traefik-httproute-no-matching-parent.json', { ...tr, section: 'https-nope' }),
      /^Gateway todo-e2e-gateway\/todo-e2e has no listener https-nope for the route: Accepted=False \(NoMatchingParent\)$/,
      /^set GATEWAY_SECTION to one of its listeners/,
    )
    expectFail(
      route('traefik-httproute-backend-not-found.json'),
      /^Gateway todo-e2e-gateway\/todo-e2e cannot resolve the route's backends: ResolvedRefs=False \(BackendNotFound\): Cannot load HTTPBackendRef todo\/todo-backend: getting service: service "todo-backend" not found$/,
      /^the Services todo-frontend and todo-backend must exist in todo/,
    )
  })

  it("the Gateway's address for deploy's hints and the journey", () => {
    expect(gatewayAddress(ok(v('gateway.json')))).toBe('172.18.255.200')
    expect(gatewayAddress(ok('{"status":{}}'))).toBe('')
    expect(gatewayAddress(bad('not found'))).toBe('')
    expect(gatewayAddress(ok('not json'))).toBe('')
  })
})

describe('validate stage (fake kubectl, helm, docker on PATH)', { timeout: 120_000 }, () => {
  let fakeApp: { base: string; close: () => Promise<void> }
  beforeAll(async () => {
    fakeApp = await startFakeApp()
  })
  afterAll(() => fakeApp.close())
  const BE = 'todo-backend-6d5f7c9b8-x7k2p'
  const FE = 'todo-frontend-7b9c4d5f6-m4r9t'
  const DB = 'todo-postgresql-0'
  const exec = (pod: string, c: string, tail: string): string => `^kubectl exec -n todo ${pod} -c ${c} -- ${tail}`
  const healthy = (over: Partial<Record<string, Answer>> = {}): Answer[] => {
    const base: Record<string, Answer> = {
      status: { match: '^helm status todo -n todo -o json$', file: fixture('validate', 'helm-status-deployed.json') },
      svcs: {
        match: '^kubectl get services -o json -n todo -l app.kubernetes.io/instance=todo$',
        file: fixture('validate', 'services.json'),
      },
      slices: {
        match: '^kubectl get endpointslices -o json -n todo$',
        file: fixture('validate', 'endpointslices.json'),
      },
      beHealth: { match: exec(BE, 'backend', 'python -c .* /health 8000$'), stdout: 'STATUS 200' },
      beReady: { match: exec(BE, 'backend', 'python -c .* /ready 8000$'), stdout: 'STATUS 200' },
      db: { match: exec(BE, 'backend', 'python -c .*DATABASE_URL'), stdout: 'DB todo-postgresql:5432 OK' },
      feHealth: { match: exec(FE, 'frontend', 'node -e .* /api/health 3000$'), stdout: 'STATUS 200' },
      feToBe: {
        match: exec(FE, 'frontend', `node -e .* ${re('http://todo-backend:8000/health')}$`),
        stdout: 'STATUS 200',
      },
      uidBe: { match: exec(BE, 'backend', 'id -u$'), stdout: '10001' },
      uidFe: { match: exec(FE, 'frontend', 'id -u$'), stdout: '1001' },
      uidDb: { match: exec(DB, 'postgresql', 'id -u$'), stdout: '999' },
      beImg: {
        match: '^docker image inspect todo-backend:h-3f9a1c2b7d4e$',
        file: fixture('validate', 'backend.inspect.json'),
      },
      feImg: {
        match: '^docker image inspect todo-frontend:h-9b2e4d6f8a10$',
        file: fixture('validate', 'frontend.inspect.json'),
      },
      pyImg: {
        match: '^docker image inspect python:3.13-slim$',
        file: fixture('validate', 'python-base.inspect.json'),
      },
      nodeImg: { match: '^docker image inspect node:24-slim$', file: fixture('validate', 'node-base.inspect.json') },
      hist: {
        match: '^docker history --no-trunc --format \\{\\{json \\.\\}\\} todo-',
        file: fixture('validate', 'backend.history.jsonl'),
      },
      manifest: { match: '^helm get manifest todo -n todo$', file: fixture('validate', 'manifest.yaml') },
      values: { match: '^helm get values todo -n todo -o json$', file: fixture('validate', 'helm-values.json') },
    }
    return Object.values({ ...base, ...over }).filter((a): a is Answer => !!a)
  }
  const setup = (
    answers: Answer[],
    pods = 'healthy',
    extraState: Record<string, unknown> = {},
    envFile?: string,
  ): Project => {
    const p = project({
      tools: ['kubectl', 'helm', 'docker', 'minikube'],
      // the project's app dirs are set, so budgets apply only as given (an app of the user's)
      env: { FRONTEND_SIZE_BUDGET_MB: '60', BACKEND_SIZE_BUDGET_MB: '200', VALIDATE_TIMEOUT: '1s' },
      envFile,
    })
    useCanned(p, ['kubectl', 'helm', 'docker', 'minikube'])
    p.setState({
      answers,
      podsFixture: fixture('diagnose', pods, 'pods.json'),
      eventsFixture: fixture('diagnose', pods, 'events.json'),
      context: 'todo',
      ...extraState,
    })
    return p
  }

  it('a healthy release: every check passes, exit 0, a table on stdout', async () => {
    // the journey goes to --url (a port-forward's address): an app of the reference app's shape served here, with
    // the reference app's /openapi.json (STATUS line + document, as PY_BODY prints it in the backend pod)
    const p = setup([
      ...healthy(),
      {
        match: exec(BE, 'backend', 'python -c .* /openapi.json 8000$'),
        file: fixture('journey', 'openapi-in-pod.out'),
      },
    ])
    p.write('frontend/package.json', '{"name":"fe","dependencies":{"next":"16.0.0","better-auth":"1.7.0"}}\n')
    p.write('frontend/app/api/backend/[...path]/route.ts', 'export {}\n')
    const r = await p.run('validate', ['--url', fakeApp.base])
    expect(r.stderr).not.toContain('unhandled')
    expect(r.code, r.stdout).toBe(0)
    const rows = r.stdout.split('\n').filter((l) => / {2}(PASS|FAIL|SKIP) {4}/.test(l))
    expect(rows).toHaveLength(22)
    expect(rows.every((l) => l.includes('PASS'))).toBe(true)
    expect(r.stdout).toMatch(
      /^journey: sign up +PASS {4}POST \/api\/auth\/sign-up\/email → 200 \(kit-journey-…@example\.com, cookie better-auth\.session_token\)$/m,
    )
    expect(r.stdout).toMatch(/^journey: create a task +PASS {4}POST \/api\/backend\/u1\/tasks → 201 \(task \d+\)$/m)
    expect(r.stdout).toMatch(
      /^journey: chat message +PASS {4}POST \/api\/backend\/u1\/chat → 200 \(OPENAI_API_KEY set; /m,
    )
    expect(r.stderr).toContain(
      `✔ journey: sign up, tasks and chat through the browser URL — through --url ${fakeApp.base}`,
    )
    expect(r.stdout).toContain('all 22 checks passed')
    // the origin a browser on --url sends, on its host
    expect(fake.seen.find((x) => x.url === '/api/auth/sign-up/email')?.headers.origin).toBe(fakeApp.base)
    expect(r.stdout).toMatch(/^release deployed +PASS {4}todo revision 3 \(todo-chatbot-0\.1\.0\)$/m)
    expect(r.stdout).toMatch(
      /^frontend → backend \(Service DNS\) +PASS {4}todo-frontend-7b9c4d5f6-m4r9t GET http:\/\/todo-backend:8000\/health → 200$/m,
    )
    expect(r.stdout).toContain('all 22 checks passed')
    // only reads: nothing that changes the cluster or the images
    const changing = lines(r.calls).filter(
      (l) => !/^(kubectl (get|exec|version --client)|helm (status|get|version)|docker (image inspect|history))/.test(l),
    )
    expect(changing).toEqual([])
  })

  describe('ROUTING=gateway', () => {
    const GATEWAY = { ROUTING: 'gateway', GATEWAY_NAME: 'eg', GATEWAY_NAMESPACE: 'envoy-gateway-system' }
    const ROUTE = '^kubectl get httproutes\\.gateway\\.networking\\.k8s\\.io todo -n todo -o json$'
    const GW = '^kubectl get gateways\\.gateway\\.networking\\.k8s\\.io eg -n envoy-gateway-system -o json$'
    const rows = (out: string) => out.split('\n').filter((l) => / {2}(PASS|FAIL|SKIP) {4}/.test(l))

    it('an accepted route is one more PASS row; the other configurations never show it', async () => {
      const p = setup([
        ...healthy(),
        { match: ROUTE, file: fixture('validate', 'httproute-accepted.json') },
        { match: GW, file: fixture('validate', 'gateway.json') },
      ])
      const r = await p.run('validate', ['--no-journey'], GATEWAY)
      expect(r.code, r.stdout).toBe(0)
      expect(r.stdout).toMatch(
        /^HTTPRoute attached to the Gateway +PASS {4}Accepted, ResolvedRefs by Gateway envoy-gateway-system\/eg \(gateway\.envoyproxy\.io\/gatewayclass-controller\)$/m,
      )
      const ingress = await p.run('validate', ['--no-journey'])
      expect(ingress.code).toBe(0)
      expect(ingress.stdout).not.toContain('HTTPRoute')
      expect(rows(r.stdout)).toHaveLength(rows(ingress.stdout).length + 1)
    })

    it('a route its Gateway refuses: a FAIL row with the cause, one ✖ line with the fix, exit 1', async () => {
      const refused = JSON.parse(readFileSync(fixture('validate', 'httproute-accepted.json'), 'utf8'))
      refused.status.parents[0].conditions[0] = {
        type: 'Accepted',
        status: 'False',
        reason: 'NotAllowedByListeners',
        message: 'No listeners included by this parent ref allowed this attachment.',
      }
      const p = setup([
        ...healthy(),
        { match: ROUTE, stdout: JSON.stringify(refused) },
        { match: GW, file: fixture('validate', 'gateway.json') },
      ])
      const r = await p.run('validate', ['--no-journey'], GATEWAY)
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(
        /^HTTPRoute attached to the Gateway +FAIL {4}Gateway envoy-gateway-system\/eg does not take routes from namespace todo: Accepted=False \(NotAllowedByListeners\)/m,
      )
      const fixLines = r.stdout.split('\n').filter((l) => l.startsWith('✖ HTTPRoute attached to the Gateway: '))
      expect(fixLines).toEqual([
        '✖ HTTPRoute attached to the Gateway: let its listener admit routes from todo (spec.listeners[].allowedRoutes.namespaces.from: All, or a Selector matching it), or set GATEWAY_NAME/GATEWAY_NAMESPACE to a Gateway that does',
      ])
      expect(r.stderr).toContain('✖ 1 of')
      expect(r.stderr).toContain('gateway-route')
    })

    it("--dry-run prints the route's and the Gateway's reads, and the journey through the Gateway's address", async () => {
      const p = setup(healthy())
      const r = await p.run('validate', ['--dry-run'], GATEWAY)
      expect(r.code).toBe(0)
      expect(r.calls).toEqual([])
      expect(r.stdout).toContain('kubectl get httproutes.gateway.networking.k8s.io todo -n todo -o json\n')
      expect(r.stdout).toContain('kubectl get gateways.gateway.networking.k8s.io eg -n envoy-gateway-system -o json\n')
      expect(r.stdout).not.toMatch(/^minikube ip/m)
      expect(r.stdout).toContain(
        '# the journey, through http://todo.local (the Gateway envoy-gateway-system/eg on <gateway address>, Host: todo.local)',
      )
    })

    it("PUBLIC_URL=https: the journey goes to the Gateway's address over https, the host as Host and TLS name", async () => {
      const p = setup(healthy())
      const r = await p.run('validate', ['--dry-run'], {
        ...GATEWAY,
        GATEWAY_SECTION: 'https',
        PUBLIC_URL: 'https://todo.local',
      })
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(
        '# the journey, through https://todo.local (the Gateway envoy-gateway-system/eg on <gateway address>, Host: todo.local, TLS name todo.local)',
      )
      expect(r.stdout).toMatch(
        /^# journey: POST https:\/\/<gateway address>\/.+? {2}Host: todo\.local {2}Origin: https:\/\/todo\.local /m,
      )
    })
  })

  it('LOAD_METHOD=registry: pods run REGISTRY/<name>:<tag>; docker holding only the built name is the same image', async () => {
    const p = setup(healthy())
    // the release's pods run the pushed names; docker has only what build named them (the pushed tags were removed)
    const pods = readFileSync(fixture('diagnose', 'healthy', 'pods.json'), 'utf8').replace(
      /"image": "(todo-(?:backend|frontend):h-[0-9a-f]{12})"/g,
      '"image": "localhost:5000/$1"',
    )
    const file = path.join(p.dir, 'pods-registry.json')
    writeFileSync(file, pods)
    p.setState({ podsFixture: file })
    const r = await p.run('validate', [], { LOAD_METHOD: 'registry', REGISTRY: 'localhost:5000', CLUSTER: 'existing' })
    expect(r.stdout).toMatch(/^backend image within budget +PASS {4}localhost:5000\/todo-backend:h-3f9a1c2b7d4e: /m)
    expect(r.stdout).toMatch(/^no secrets in images or manifests +PASS/m)
    const inspected = lines(r.calls).filter((l) => l.startsWith('docker image inspect'))
    expect(inspected).toContain('docker image inspect localhost:5000/todo-backend:h-3f9a1c2b7d4e')
    expect(inspected).toContain('docker image inspect todo-backend:h-3f9a1c2b7d4e')
  })

  it('--json: machine-readable result on stdout, progress on stderr', async () => {
    const p = setup(healthy())
    const r = await p.run('validate', ['--json', '--no-journey'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout) as {
      ok: boolean
      release: string
      namespace: string
      checks: { id: string; status: string; detail: string }[]
    }
    expect(j.ok).toBe(true)
    expect(j).toMatchObject({ release: 'todo', namespace: 'todo' })
    expect(j.checks.map((c) => c.id)).toEqual([
      'release',
      'pods',
      'endpoints',
      'backend-health',
      'backend-ready',
      'frontend-health',
      'frontend-to-backend',
      'backend-to-database',
      'non-root',
      'image-size-frontend',
      'image-size-backend',
      'no-secret-leaks',
    ])
    expect(j.checks.every((c) => c.status === 'pass')).toBe(true)
  })

  it('a broken release: FAIL rows with fixes, the diagnosis, exit 1, and no secret value printed', async () => {
    const leaked = 'sk-test-Leaky0penAIkey123456'
    const pgPass = 'pg-Secret-7Hq2-value' // appears in the crash log fixture's DATABASE_URL
    const env = `BETTER_AUTH_SECRET=better-auth-secret-3f8a9c2d7e1b4a6f0c5d8e2b\nPOSTGRES_PASSWORD=${pgPass}\nOPENAI_API_KEY=${leaked}\n`
    const p = setup(
      healthy({
        slices: {
          match: '^kubectl get endpointslices -o json -n todo$',
          file: fixture('validate', 'endpointslices-backend-empty.json'),
        },
        beReady: { match: exec(BE, 'backend', 'python -c .* /ready 8000$'), stdout: 'STATUS 503' },
        db: {
          match: exec(BE, 'backend', 'python -c .*DATABASE_URL'),
          stdout: 'DB todo-postgresql:5432 ERROR ConnectionRefusedError',
        },
        uidDb: { match: exec(DB, 'postgresql', 'id -u$'), stdout: '0' },
        beImg: {
          match: '^docker image inspect todo-backend:h-3f9a1c2b7d4e$',
          file: fixture('validate', 'backend-leaky.inspect.json'),
        },
        manifest: { match: '^helm get manifest todo -n todo$', file: fixture('validate', 'manifest-leaky.yaml') },
      }),
      'crashloop',
      {
        logs: readFileSync(fixture('diagnose', 'crashloop', 'backend-previous.log'), 'utf8')
          .trim()
          .split('\n'),
      },
      env,
    )
    const r = await p.run('validate', ['--no-journey'])
    expect(r.code).toBe(1)
    const failed = r.stdout
      .split('\n')
      .filter((l) => / {2}FAIL {4}/.test(l))
      .map((l) => l.split(/ {2}FAIL/)[0]!.trim())
    expect(failed).toEqual([
      'pods ready, no restarts',
      'services have endpoints',
      'backend readiness /ready 200',
      'backend → database',
      'containers run as non-root',
      'no secrets in images or manifests',
    ])
    expect(r.stdout).toContain('✖ backend → database: is the database pod running')
    expect(r.stdout).toContain(
      'OPENAI_API_KEY found in image todo-backend:h-3f9a1c2b7d4e config (docker image inspect); OPENAI_API_KEY found in ConfigMap/todo-extra (helm get manifest)',
    )
    expect(r.stdout).toContain('Diagnosis of release todo in namespace todo:')
    expect(r.stdout).toContain('CrashLoopBackOff — container backend keeps crashing')
    expect(r.stdout).toContain('postgresql://todo:***@todo-postgresql') // the log line, redacted
    expect(r.stdout).toContain('6 of 12 checks failed')
    for (const secret of [leaked, pgPass, 'better-auth-secret-3f8a9c2d7e1b4a6f0c5d8e2b']) {
      expect(r.stdout).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
  })

  it('--json on failure: ok false, the diagnosis lines, exit 1', async () => {
    const p = setup(healthy(), 'image-never-pull')
    const r = await p.run('validate', ['--json', '--once'])
    expect(r.code).toBe(1)
    const j = JSON.parse(r.stdout) as {
      ok: boolean
      checks: { id: string; status: string; fix?: string }[]
      diagnosis: string[]
    }
    expect(j.ok).toBe(false)
    expect(j.checks.find((c) => c.id === 'pods')).toMatchObject({ status: 'fail' })
    expect(j.diagnosis.join('\n')).toContain('fix: load the image into the cluster: npx zx scripts/load.ts')
  })

  it('a release that is not installed fails the first check with the deploy command, without waiting', async () => {
    const p = setup(healthy({ status: undefined }), 'image-never-pull')
    const r = await p.run('validate', [], { VALIDATE_TIMEOUT: '10m' }) // would time the test out if it waited
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^release deployed +FAIL {4}release todo is not installed$/m)
    expect(r.stdout).toContain('✖ release deployed: npx zx scripts/deploy.ts')
  })

  it('no cluster: two failures with the cluster fix, the checks that depend on pods are not run', async () => {
    const refused = 'The connection to the server 127.0.0.1:6553 was refused - did you specify the right host or port?'
    const p = setup(
      healthy({
        status: {
          match: '^helm status',
          stderr:
            'Error: kubernetes cluster unreachable: Get "https://127.0.0.1:6553/version": dial tcp 127.0.0.1:6553: connect: connection refused',
          code: 1,
        },
      }),
      'healthy',
      { fail: { 'kubectl get': { stderr: refused, code: 1 } } },
    )
    const r = await p.run('validate', ['--json'])
    expect(r.code).toBe(1)
    const j = JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string; fix?: string }[] }
    expect(j.checks.filter((c) => c.status === 'fail').map((c) => [c.id, c.fix])).toEqual([
      ['release', 'kubectl cluster-info   (is the cluster running? npx zx scripts/setup.ts)'],
      ['pods', 'kubectl cluster-info   (is the cluster running? npx zx scripts/setup.ts)'],
    ])
    expect(j.checks.find((c) => c.id === 'backend-health')).toMatchObject({
      status: 'skip',
      detail: 'not checked: the pods could not be listed',
    })
    expect(lines(r.calls).some((l) => l.startsWith('kubectl exec'))).toBe(false)
    // said plainly, not as a missing release
    expect(j.checks.find((c) => c.id === 'release')?.detail).toMatch(/^cluster unreachable: /)
    expect(j.checks.find((c) => c.id === 'pods')?.detail).toMatch(/^cluster unreachable: The connection to the server/)
  })

  it('a wait that runs out is a warning, never a ✔', async () => {
    const p = setup(healthy(), 'image-never-pull')
    const r = await p.run('validate', [], { VALIDATE_TIMEOUT: '2s' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('! pods and endpoints did not settle within 2s')
    expect(r.stderr).not.toMatch(/✔ pods and endpoints/)
  })

  it('helm missing is a tool problem, not a missing release', async () => {
    const p = setup(healthy())
    const noHelm = path.join(p.dir, 'no-helm')
    mkdirSync(noHelm)
    for (const t of ['kubectl', 'docker']) symlinkSync(path.join(p.dir, 'bin', t), path.join(noHelm, t))
    const r = await p.run('validate', [], { PATH: [noHelm, path.join(p.dir, 'sys')].join(path.delimiter) })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ helm is not installed (or not on PATH)')
    expect(r.stdout).not.toContain('release todo is not installed')
    expect(r.calls.filter((c) => c.tool === 'kubectl').map((c) => c.args.join(' '))).toEqual([
      'version --client -o json',
    ])
  })

  const svcsWithBackendPort = (port: number): string => {
    const s = JSON.parse(v('services.json'))
    for (const x of s.items)
      if (x.metadata.labels['app.kubernetes.io/component'] === 'backend') x.spec.ports[0].port = port
    return JSON.stringify(s)
  }

  it('an app with its own probe paths and ports: the GETs ask those (read from the pods), the table shows them', async () => {
    const p = setup(
      healthy({
        svcs: {
          match: '^kubectl get services -o json -n todo -l app.kubernetes.io/instance=todo$',
          stdout: svcsWithBackendPort(80),
        },
        beHealth: { match: exec(BE, 'backend', 'python -c .* /status/live 8080$'), stdout: 'STATUS 200' },
        beReady: { match: exec(BE, 'backend', 'python -c .* /status/ready 8080$'), stdout: 'STATUS 200' },
        feHealth: { match: exec(FE, 'frontend', 'node -e .* /healthz 3100$'), stdout: 'STATUS 200' },
        feToBe: {
          match: exec(FE, 'frontend', `node -e .* ${re('http://todo-backend:80/status/live')}$`),
          stdout: 'STATUS 200',
        },
      }),
      'healthy',
      { podsFixture: fixture('validate', 'pods-custom-probes.json') },
    )
    const r = await p.run('validate', ['--no-journey'])
    expect(r.code).toBe(0)
    const calls = r.calls.filter((c) => c.args.includes(PY_GET) || c.args.includes(NODE_GET))
    expect(calls.filter((c) => c.args.includes(BE)).map((c) => c.args.slice(c.args.indexOf(PY_GET) + 1))).toEqual(
      expect.arrayContaining([
        ['/status/live', '8080'],
        ['/status/ready', '8080'],
      ]),
    )
    expect(calls.filter((c) => c.args.includes(FE)).map((c) => c.args.slice(c.args.indexOf(NODE_GET) + 1))).toEqual(
      expect.arrayContaining([['/healthz', '3100'], ['http://todo-backend:80/status/live']]),
    )
    expect(calls).toHaveLength(4)
    expect(r.stdout).toMatch(
      /^backend liveness \/status\/live 200 +PASS {4}todo-backend-6d5f7c9b8-x7k2p GET 127\.0\.0\.1:8080\/status\/live → 200$/m,
    )
    expect(r.stdout).toMatch(
      /^backend readiness \/status\/ready 200 +PASS {4}todo-backend-6d5f7c9b8-x7k2p GET 127\.0\.0\.1:8080\/status\/ready → 200$/m,
    )
    expect(r.stdout).toMatch(
      /^frontend readiness \/healthz 200 +PASS {4}todo-frontend-7b9c4d5f6-m4r9t GET 127\.0\.0\.1:3100\/healthz → 200$/m,
    )
    expect(r.stdout).toMatch(
      /^frontend → backend \(Service DNS\) +PASS {4}todo-frontend-7b9c4d5f6-m4r9t GET http:\/\/todo-backend:80\/status\/live → 200$/m,
    )
    expect(r.stdout).toMatch(/^backend → database +PASS {4}TCP todo-postgresql:5432 open, \/status\/ready → 200$/m)
    expect(r.stdout).toContain('all 12 checks passed')
  })

  it("a pod with no httpGet probe: the reference app's paths on its http port, and the detail says so", async () => {
    const p = setup(healthy())
    const pods = JSON.parse(d('healthy', 'pods.json'))
    for (const pod of pods.items) {
      const c = pod.spec.containers[0]
      if (c.name === 'backend')
        Object.assign(c, {
          livenessProbe: { tcpSocket: { port: 'http' } },
          readinessProbe: { exec: { command: ['true'] } },
        })
      if (c.name === 'frontend') {
        delete c.livenessProbe
        delete c.readinessProbe
      }
    }
    p.write('pods-no-http-probe.json', JSON.stringify(pods))
    p.setState({ podsFixture: path.join(p.dir, 'pods-no-http-probe.json') })
    const r = await p.run('validate', ['--json', '--no-journey'])
    expect(r.code).toBe(0)
    const calls = r.calls.filter((c) => c.args.includes(PY_GET) || c.args.includes(NODE_GET))
    expect(calls.map((c) => c.args.slice(c.args.findIndex((a) => a === PY_GET || a === NODE_GET) + 1))).toEqual(
      expect.arrayContaining([
        ['/health', '8000'],
        ['/ready', '8000'],
        ['/api/health', '3000'],
        ['http://todo-backend:8000/health'],
      ]),
    )
    const j = JSON.parse(r.stdout) as { checks: { id: string; name: string; status: string; detail: string }[] }
    const by = (id: string) => j.checks.find((c) => c.id === id)
    expect(by('backend-health')).toMatchObject({
      name: 'backend /health 200',
      status: 'pass',
      detail: 'todo-backend-6d5f7c9b8-x7k2p GET 127.0.0.1:8000/health → 200; no httpGet liveness probe; asked /health',
    })
    expect(by('backend-ready')?.detail).toBe(
      'todo-backend-6d5f7c9b8-x7k2p GET 127.0.0.1:8000/ready → 200; no httpGet readiness probe; asked /ready',
    )
    expect(by('frontend-health')?.detail).toBe(
      'todo-frontend-7b9c4d5f6-m4r9t GET 127.0.0.1:3000/api/health → 200; no httpGet readiness/liveness probe; asked /api/health',
    )
    expect(by('frontend-to-backend')?.detail).toBe(
      'todo-frontend-7b9c4d5f6-m4r9t GET http://todo-backend:8000/health → 200; the backend has no httpGet liveness probe; asked /health',
    )
  })

  it('--dry-run asks the paths and ports of the chart values (values.yaml, then HELM_VALUES_FILES), and says where they came from', async () => {
    const p = setup(healthy())
    p.write(
      'values-app.yaml',
      'backend:\n  containerPort: 8080\n  service:\n    port: 80\n  probes:\n    liveness:\n      path: /status/live\n    readiness:\n      path: /status/ready\nfrontend:\n  probes:\n    readiness:\n      path: /healthz\n',
    )
    const r = await p.run('validate', ['--dry-run'], { HELM_VALUES_FILES: path.join(p.dir, 'values-app.yaml') })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(
      `\n# paths and ports from the chart values: ${path.join(p.dir, 'chart/values.yaml')}, ${path.join(p.dir, 'values-app.yaml')} (a real run reads the running pods' probes)\n`,
    )
    expect(r.stdout).toMatch(
      /^kubectl exec -n todo deploy\/todo-backend -c backend -- python -c 'import os, sys, urllib/m,
    )
    expect(r.stdout).toMatch(/e\)' \/status\/live 8080$/m)
    expect(r.stdout).toMatch(/e\)' \/status\/ready 8080$/m)
    // the throwaway chart sets no frontend.containerPort: the one-liner's $PORT
    expect(r.stdout).toMatch(/e\.message\)\);' \/healthz$/m)
    expect(r.stdout).toMatch(/e\.message\)\);' http:\/\/todo-backend:80\/status\/live$/m)
    // a values file that cannot be read: the reference app's paths, said in a comment (still a pasteable script)
    const broken = await p.run('validate', ['--dry-run'], { HELM_VALUES_FILES: path.join(p.dir, 'missing.yaml') })
    expect(broken.stdout).toMatch(
      /^# could not read the chart values \(\S+missing\.yaml is missing \(ENOENT\)\): the reference app's paths and \$PORT/m,
    )
    expect(broken.stdout).toMatch(/e\)' \/health$/m)
  })

  it('--dry-run prints the read-only commands and runs none', async () => {
    const p = setup(healthy())
    const r = await p.run('validate', ['--dry-run'])
    expect(r.code).toBe(0)
    expect(r.calls).toEqual([])
    expect(r.stdout).toContain('helm status todo -n todo -o json\n')
    expect(r.stdout).toContain('kubectl get pods -o json -n todo -l app.kubernetes.io/instance=todo\n')
    // the real commands, pasteable: deployments instead of pod names, the real one-liners, the current image tags
    expect(r.stdout).toMatch(/^docker history --no-trunc --format '\{\{json \.\}\}' todo-backend:h-[0-9a-f]{12}$/m)
    expect(r.stdout).toMatch(
      /^kubectl exec -n todo deploy\/todo-backend -c backend -- python -c 'import os, sys, urllib/m,
    )
    // placeholders only in the journey's comment lines: every command is pasteable
    const commands = r.stdout.split('\n').filter((l) => !l.startsWith('#'))
    expect(commands.join('\n')).not.toMatch(/<[a-z -]+>/)
    expect(r.stderr).not.toContain('✔')
    // the journey: through the ingress on minikube ip with the ingress host, /openapi.json read in the backend pod
    expect(r.stdout).toMatch(/^minikube ip -p \S+$/m)
    // PY_BODY spans lines in the printed command; its argument ends it
    expect(r.stdout).toMatch(/e\)' \/openapi\.json$/m)
    expect(r.stdout).toContain(
      '# the journey, through http://todo.local (the ingress on <minikube ip>, Host: todo.local)',
    )
    expect(r.stdout).toMatch(
      /^# journey: POST http:\/\/<minikube ip>\/<register route from \/openapi\.json> {2}Host: todo\.local/m,
    )
    expect(r.stdout).not.toContain(SECRETS.OPENAI_API_KEY)
    expect(r.stdout).not.toMatch(/"password":"(?!<random password>)/)
    const journey = await p.run('validate', ['--dry-run', '--no-journey'])
    expect(journey.stdout).not.toContain('# journey')
  })

  it('--url must be an http(s) URL', async () => {
    const r = await project().run('validate', ['--url', 'localhost:3000'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ --url localhost:3000 is not an http(s) URL')
    expect(r.stderr).toContain('fix: npx zx scripts/validate.ts --url http://localhost:3000')
  })
})

// ---------- the in-pod one-liners, run by real python and node ----------

describe(
  'the in-pod one-liners (real python3 and node against a real HTTP server and TCP port)',
  { timeout: 60_000 },
  () => {
    const run = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<Out> =>
      new Promise((resolve) => {
        execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ ok: !err, exitCode: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        )
      })
    let server: Server
    let port = 0
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/health' || req.url === '/api/health' ? 200 : req.url === '/ready' ? 503 : 404
        res.end('{}')
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((r) => server.close(() => r())))

    it('python GET: 200, 503, and a refused connection', async () => {
      const env = { PORT: String(port) }
      expect(parseProbe(await run('python3', ['-c', PY_GET, '/health'], env))).toEqual({ status: 200 })
      expect(parseProbe(await run('python3', ['-c', PY_GET, '/ready'], env))).toEqual({ status: 503 })
      // the port as the second argument: an app on its own port without $PORT, or with a different one
      expect(parseProbe(await run('python3', ['-c', PY_GET, '/health', String(port)], { PORT: '1' }))).toEqual({
        status: 200,
      })
      const refused = parseProbe(await run('python3', ['-c', PY_GET, 'http://127.0.0.1:1/health']))
      expect(refused.error).toMatch(/URLError.*refused/i)
    })

    it('node GET: 200 on $PORT, a full URL, and a DNS name that does not resolve', async () => {
      expect(parseProbe(await run(process.execPath, ['-e', NODE_GET, '/api/health'], { PORT: String(port) }))).toEqual({
        status: 200,
      })
      expect(parseProbe(await run(process.execPath, ['-e', NODE_GET, `http://127.0.0.1:${port}/ready`]))).toEqual({
        status: 503,
      })
      expect(
        parseProbe(await run(process.execPath, ['-e', NODE_GET, '/api/health', String(port)], { PORT: '1' })),
      ).toEqual({ status: 200 })
      const nx = parseProbe(await run(process.execPath, ['-e', NODE_GET, 'http://todo-backend.invalid:8000/health']))
      expect(nx.error).toMatch(/ENOTFOUND|EAI_AGAIN/)
    })

    it("python DB reachability prints host:port only, never the URL's password", async () => {
      const open = await run('python3', ['-c', PY_DB], {
        DATABASE_URL: `postgresql://todo:s3cret-Pw-123@127.0.0.1:${port}/todo`,
      })
      expect(open.stdout.trim()).toBe(`DB 127.0.0.1:${port} OK`)
      const closed = await run('python3', ['-c', PY_DB], {
        DATABASE_URL: 'postgresql://todo:s3cret-Pw-123@127.0.0.1:1/todo',
      })
      expect(closed.stdout.trim()).toBe('DB 127.0.0.1:1 ERROR ConnectionRefusedError')
      expect(checkDatabase(closed, { ok: true, exitCode: 0, stdout: 'STATUS 503', stderr: '' }).status).toBe('fail')
      for (const r of [open, closed]) expect(r.stdout + r.stderr).not.toContain('s3cret-Pw-123')
      const unset = await run('python3', ['-c', PY_DB], { DATABASE_URL: '' })
      expect(unset.stdout.trim()).toMatch(/^DB \?:5432 ERROR/)
    })
  },
)

describe('an image over its budget names what weighs', () => {
  // captured from the reference backend image and its stand-in base (docker history --format '{{json .}}'; the
  // package list from LARGEST_PACKAGES_SCRIPT run in the image)
  const history = (f: string) => ok(v(`${f}.history.jsonl`))
  const be = ok(v('backend.inspect.json'))
  const base = ok(v('python-base.inspect.json'))
  it('the five largest packages, by name and size', () => {
    expect(largestPackages(ok(v('backend.largest-packages.txt')))).toEqual([
      'openai 29 MB',
      'sqlalchemy 20 MB',
      'cryptography 16 MB',
      'agents 13 MB',
      'psycopg_binary.libs 9.4 MB',
    ])
    expect(
      largestPackages(
        ok('51200\t/app/node_modules/@next/swc-linux-x64-gnu\n800\t/app/node_modules/.pnpm/@img+sharp@0.34.1\n'),
      ),
    ).toEqual(['@next/swc-linux-x64-gnu 51 MB', '@img/sharp@0.34.1 0.8 MB'])
    expect(largestPackages(bad('docker: Error response from daemon: exec: "sh": not found'))).toEqual([])
  })
  it('the layers the Dockerfile added over the base, largest first, without the base image layers', () => {
    const layers = largestLayers(history('backend'), history('python-base'))
    expect(layers).toEqual(['151 MB COPY /opt/venv /opt/venv'])
    // the base's own 153 MB and 111 MB layers are not the app's
    expect(layers.join()).not.toContain('apt-get')
    expect(largestLayers(history('backend'), bad('Error: No such image: python:3.13-slim'))).toEqual([])
  })
  it('the row keeps its verdict and fix and adds the weights; says so when none could be listed', () => {
    const over = checkImageSize('backend', 'todo-backend:h-3f9a1c2b7d4e', 'python:3.13-slim', 120, be, base)
    const c = withWeights(over, ['openai 29 MB'], ['115 MB COPY /opt/venv /opt/venv'])
    expect(c).toMatchObject({ status: 'fail', fix: over.fix })
    expect(c.detail).toBe(
      `${over.detail}; largest packages: openai 29 MB; largest layers: 115 MB COPY /opt/venv /opt/venv`,
    )
    expect(withWeights(over, [], []).detail).toContain('its largest packages and layers could not be listed')
  })
})
