// `npm run dev` on a real cluster, as a developer uses it: one cycle with --once, then the long-running loop with a
// backend edit that rolls only the backend, a syntax error and a crash at start that are diagnosed while the previous
// pods keep serving, the new pod's logs in the stream, a port-forward that survives a frontend rollout, and Ctrl-C
// that leaves the release running. One ordered file: each case builds on the state the previous one left.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import {
  backendCopy,
  clusterIp,
  freePort,
  helm,
  importIntoContainerd,
  kitEnvironment,
  kubectl,
  NS,
  pods,
  reachServices,
  RELEASE,
  root,
  runKit,
  tail,
  waitFor,
  type PodInfo,
} from './support/kit.ts'

const cluster = injectCluster(inject('cluster'))
const backend = backendCopy('todo-e2e-dev-')
// the harness's registry: a save pushes only the changed layers (the kit's other e2e files import into containerd)
const kit = kitEnvironment(cluster, {
  BACKEND_DIR: backend,
  ...(cluster.registry ? { LOAD_METHOD: 'registry', REGISTRY: cluster.registry } : {}),
})
const env = kit.env
const healthFile = path.join(backend, 'app/routes/health.py')
const original = readFileSync(healthFile, 'utf8')
const OK_LINE = 'return {"status": "ok"}'
const run = Date.now().toString(36)
const withMarker = (m: string): string => original.replace(OK_LINE, `return {"status": "ok", "dev": "${m}-${run}"}`)

const uids = (list: PodInfo[]) => Object.fromEntries(list.map((p) => [p.name, p.uid]))
const live = (list: PodInfo[], c: string) => list.filter((p) => p.component === c && !p.deleting)
let backendUrl = ''
let services = { stop: async () => {} }
// one port for every run: the release trusts dev's origin, so a later dev with the same port rolls nothing for it
let port = 0
// a new connection per request: a kept-alive one stays with the old pod while it drains (its preStop sleep)
const health = (): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const req = http.get(`${backendUrl}/health`, { agent: false, timeout: 5000 }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(JSON.parse(body)))
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timed out')))
  })
/** what a new connection gets; kube-proxy may take a moment to drop the old pod's endpoint after the rollout */
const serves = async (want: unknown): Promise<void> => {
  let got: unknown
  await waitFor(
    `/health to answer ${JSON.stringify(want)}`,
    async () => JSON.stringify((got = await health())) === JSON.stringify(want),
    5_000,
    250,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last answer ${JSON.stringify(got)}`)
  })
}

// the long-running dev process and everything it printed so far
let dev: ChildProcess | null = null
const out = { stdout: '', stderr: '' }
const since = { stderr: 0 }
const newErr = () => out.stderr.slice(since.stderr)
const mark = () => (since.stderr = out.stderr.length)
const said = (what: string, re: RegExp, timeoutMs = 240_000) =>
  waitFor(
    what,
    async () => {
      if (dev?.exitCode !== null) throw new Error(`dev exited ${dev?.exitCode}:\n${out.stderr.slice(-3000)}`)
      return re.test(newErr())
    },
    timeoutMs,
    500,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n--- dev stderr since the edit\n${newErr().slice(-4000)}`)
  })

describe(`npm run dev on a real cluster (${cluster.kind})`, () => {
  beforeAll(async () => {
    port = await freePort()
    // LOAD_METHOD=registry pushes the app's images only: the node gets the in-cluster database's image as the other
    // e2e files give it (the containerd method imports it when docker has it)
    if (cluster.containerdAddress) await importIntoContainerd(cluster.containerdAddress, env.POSTGRES_IMAGE!, kit.dir)
    if (
      await helm(env, 'status', RELEASE, '-n', NS).then(
        () => true,
        () => false,
      )
    ) {
      const r = await runKit(env, ['down', '--', '--purge-data', '--yes'])
      expect(r.code, tail(r)).toBe(0)
    }
  })
  afterAll(async () => {
    await services.stop()
    if (dev && dev.exitCode === null) dev.kill('SIGKILL')
    writeFileSync(healthFile, original)
    await runKit(env, ['down', '--', '--purge-data', '--yes'])
  })

  it('dev --once brings the release up; after a backend edit --once rolls only the backend and the new code answers', async () => {
    const first = await runKit(env, ['dev', '--', '--once', '--port', String(port)])
    expect(first.code, tail(first)).toBe(0)
    expect(first.stderr).toMatch(/release todo is up to date/)
    backendUrl = `http://${await clusterIp(env, `${RELEASE}-backend`)}:8000`
    // the harness's Service addresses are this machine's; minikube's are reached through `minikube tunnel`
    services = await reachServices(cluster, env, `${backendUrl}/health`)
    await waitFor('the backend answers', async () => (await fetch(`${backendUrl}/health`)).ok, 60_000)

    const before = await pods(env)
    writeFileSync(healthFile, withMarker('once'))
    const r = await runKit(env, ['dev', '--', '--once', '--port', String(port)])
    expect(r.code, tail(r)).toBe(0)
    expect(r.stderr.match(/\$ (?:[A-Z_]+=\S* )*docker build/g), tail(r)).toHaveLength(1)
    const after = await pods(env)
    for (const c of ['frontend', 'postgresql']) expect(uids(live(after, c)), c).toEqual(uids(live(before, c)))
    const old = new Set(live(before, 'backend').map((p) => p.uid))
    expect(live(after, 'backend').every((p) => !old.has(p.uid))).toBe(true)
    await serves({ status: 'ok', dev: `once-${run}` })
  })

  it('npm run dev: the port-forward answers, a backend save rolls only the backend, and its new pod logs into the stream', async () => {
    dev = spawn(process.execPath, [path.join(root, 'scripts/kit.mjs'), 'dev', '--port', String(port)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    dev.stdout!.on('data', (d) => (out.stdout += d))
    dev.stderr!.on('data', (d) => (out.stderr += d))
    await said('the port-forward URL', new RegExp(`frontend: http://localhost:${port}`), 180_000)
    expect(out.stderr).toMatch(/watching .* save a file to roll its image/)
    const page = await fetch(`http://localhost:${port}/api/health`)
    expect(page.status).toBe(200)
    // the journey as a browser on this port-forward goes (its origin is trusted while dev runs), from a second terminal
    expect(out.stderr).toContain(`prove it works: npx zx scripts/validate.ts --url http://localhost:${port}`)
    const v = await runKit(env, ['validate', '--', '--json', '--url', `http://localhost:${port}`])
    const rows = (JSON.parse(v.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks
    const journey = rows.filter((c) => c.id.startsWith('journey-'))
    expect(journey.map((c) => c.id)).toEqual(
      expect.arrayContaining(['journey-sign-up', 'journey-create', 'journey-delete']),
    )
    expect(
      rows.filter((c) => c.status === 'fail'),
      tail(v),
    ).toEqual([])
    expect(v.code, tail(v)).toBe(0)

    const before = await pods(env)
    mark()
    writeFileSync(healthFile, withMarker('watch'))
    await said(
      'the cycle line',
      /✔ backend \(app\/routes\/health\.py\) · build [\d.]+s · load [\d.]+s · deploy [\d.]+s · new backend serving [\d.]+s after the save/,
    )
    await serves({ status: 'ok', dev: `watch-${run}` })
    const after = await pods(env)
    for (const c of ['frontend', 'postgresql']) expect(uids(live(after, c)), c).toEqual(uids(live(before, c)))
    const fresh = live(after, 'backend')[0]!
    expect(Object.keys(uids(live(before, 'backend')))).not.toContain(fresh.name)
    // `[backend/<pod without the release-component prefix>]`, from the new pod's own start-up lines
    const prefix = `[backend/${fresh.name.slice(`${RELEASE}-backend-`.length)}]`
    await waitFor(`log lines prefixed ${prefix}`, async () => out.stdout.includes(prefix), 60_000, 500)
    expect(
      out.stdout
        .split('\n')
        .filter((l) => l.startsWith(prefix))
        .join('\n'),
    ).toMatch(/Application startup complete|Uvicorn running/)
  })

  // a failed build and deploy --fail-fast are the kit's own logic, the same whichever cluster runs the pods: the
  // harness proves them, and minikube's share of CI's warm budget goes to what differs there (docker-env, the tunnel)
  if (cluster.kind === 'harness') {
    it('a syntax error is a failed build with the error shown; the previous pods keep serving and dev keeps watching', async () => {
      const before = uids(await pods(env))
      mark()
      writeFileSync(healthFile, withMarker('watch') + '\ndef broken(:\n')
      await said(
        'the failed cycle',
        /backend \(app\/routes\/health\.py\): not deployed; the previous release keeps serving/,
      )
      expect(newErr()).toContain('SyntaxError')
      expect(newErr()).toMatch(/the backend image did not build/)
      await serves({ status: 'ok', dev: `watch-${run}` })
      expect(uids(await pods(env))).toEqual(before)
    })

    it('code that crashes at start: the rollout stops at the crash loop (not DEPLOY_TIMEOUT), rolled back, with the crash logged', async () => {
      mark()
      const t0 = Date.now()
      writeFileSync(healthFile, withMarker('watch') + '\nraise RuntimeError("dev-e2e crash at import")\n')
      await said('the failed rollout', /not deployed; the previous release keeps serving/, 150_000)
      // DEPLOY_TIMEOUT is 3m here: --fail-fast gave up once the pod had crashed twice
      expect(Date.now() - t0).toBeLessThan(150_000)
      expect(newErr()).toMatch(
        /stopped early and was rolled back \(--fail-fast\): pod\/todo-backend-\S+: container backend keeps crashing/,
      )
      expect(newErr()).toContain('dev-e2e crash at import')
      await serves({ status: 'ok', dev: `watch-${run}` })
      const status = JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as {
        info: { status: string }
      }
      expect(status.info.status).toBe('deployed')

      // the loop goes on: the fix deploys
      mark()
      writeFileSync(healthFile, withMarker('fixed'))
      await said('the fixed cycle', /✔ backend \(app\/routes\/health\.py\) .* serving/)
      await serves({ status: 'ok', dev: `fixed-${run}` })
    })
  }

  it('the port-forward survives a frontend rollout; Ctrl-C stops dev and leaves the release running', async () => {
    const old = live(await pods(env), 'frontend').map((p) => p.uid)
    await kubectl(env, 'rollout', 'restart', `deployment/${RELEASE}-frontend`, '-n', NS)
    await kubectl(env, 'rollout', 'status', `deployment/${RELEASE}-frontend`, '-n', NS, '--timeout=180s')
    await waitFor(
      'the old frontend pod to be gone',
      async () => live(await pods(env), 'frontend').every((p) => !old.includes(p.uid)),
      120_000,
    )
    await waitFor(
      `http://localhost:${port}/api/health through the port-forward`,
      async () =>
        (await fetch(`http://localhost:${port}/api/health`, { signal: AbortSignal.timeout(3000) })).status === 200,
      60_000,
      1000,
    )

    const exited = new Promise<number | null>((r) => dev!.once('exit', (code) => r(code)))
    dev!.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(out.stderr).toContain('release todo keeps running; npm run down removes it')
    const status = JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as {
      info: { status: string }
    }
    expect(status.info.status).toBe('deployed')
    // nothing of dev is left listening
    await expect(fetch(`http://localhost:${port}/api/health`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow()
  })
})
