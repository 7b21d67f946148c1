// Two nodes on the containerd runtime, on a real minikube the kit starts itself (E2E_CLUSTER=minikube, after
// minikube.test.ts deleted the docker profile): `up` with MINIKUBE_CONTAINER_RUNTIME=containerd and MINIKUBE_NODES=2
// starts a profile of its own, picks `minikube image load` and puts the app's images on both nodes; two replicas of
// the frontend and the backend spread over the nodes and the database stays on the node its volume is on (both by the
// kit's own values for a multi-node minikube, nothing added here); validate and its journey pass; `dev --once` rolls an edited
// backend on containerd; `kubectl drain` of the node without the database, under the chart's PDBs, loses no request
// of a user polling through the ingress, and the database keeps its volume; cleanup deletes the profile.
// One cluster start for both cases (a second runtime and a second node), in this one ordered file.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { injectCluster, type E2ECluster } from './support/cluster.ts'
import {
  AppClient,
  backendCopy,
  freePort,
  kitEnvironment,
  kubectl,
  NS,
  pods,
  RELEASE,
  runKit,
  tail,
  waitFor,
  type PodInfo,
} from './support/kit.ts'

const run = promisify(execFile)
const suite = injectCluster(inject('cluster'))
// a profile of its own: nothing of the suite's docker profile (deleted by now, or another run's) is used or touched
const profile = `${suite.minikube!.profile}-nodes`
const cluster: E2ECluster = { ...suite, minikube: { ...suite.minikube!, profile } }
const backend = backendCopy('todo-e2e-nodes-backend-')
const healthFile = path.join(backend, 'app/routes/health.py')
const original = readFileSync(healthFile, 'utf8')
const kit = kitEnvironment(cluster, { BACKEND_DIR: backend })
// the profile's own kubeconfig: minikube start makes its context current there, and no other profile's is changed
const kubeconfig = path.join(kit.dir, 'kubeconfig')
const env = {
  ...kit.env,
  KUBECONFIG: kubeconfig,
  MINIKUBE_CONTAINER_RUNTIME: 'containerd',
  MINIKUBE_NODES: '2',
  // two nodes on a shared CI machine: 3 GiB each is plenty for the app (the default is 4 GiB)
  MINIKUBE_MEMORY: '3072mb',
  FRONTEND_REPLICAS: '2',
  BACKEND_REPLICAS: '2',
}
// the profile flag first: after `ssh --` it would belong to the remote command
const minikube = async (...args: string[]) =>
  (await run('minikube', ['-p', profile, ...args], { env, encoding: 'utf8', timeout: 300_000 })).stdout
const phases: string[] = []
const phase = (what: string, ms: number) => {
  phases.push(`${what}: ${(ms / 1000).toFixed(1)} s`)
  console.log(`[nodes e2e] ${what}: ${(ms / 1000).toFixed(1)} s`)
}

type NodeInfo = { name: string; ready: boolean; runtime: string; primary: boolean; unschedulable: boolean }
async function nodes(): Promise<NodeInfo[]> {
  const list = JSON.parse(await kubectl(env, 'get', 'nodes', '-o', 'json')) as {
    items: {
      metadata: { name: string; labels: Record<string, string> }
      spec: { unschedulable?: boolean }
      status: { conditions: { type: string; status: string }[]; nodeInfo: { containerRuntimeVersion: string } }
    }[]
  }
  return list.items.map((n) => ({
    name: n.metadata.name,
    ready: n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    runtime: n.status.nodeInfo.containerRuntimeVersion,
    primary: n.metadata.labels['minikube.k8s.io/primary'] === 'true',
    unschedulable: Boolean(n.spec.unschedulable),
  }))
}
type Placed = PodInfo & { node: string }
/** the release's pods with the node each runs on */
async function placed(): Promise<Placed[]> {
  const where = JSON.parse(
    await kubectl(env, 'get', 'pods', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'),
  ) as { items: { metadata: { uid: string }; spec: { nodeName?: string } }[] }
  const node = new Map(where.items.map((p) => [p.metadata.uid, p.spec.nodeName ?? '']))
  return (await pods(env)).map((p) => ({ ...p, node: node.get(p.uid) ?? '' }))
}
const live = (list: Placed[], c: string) =>
  list.filter((p) => p.component === c && !p.deleting && p.phase === 'Running')
/** the images containerd on one node holds, as `crictl images` names them */
async function nodeImages(node: string): Promise<string[]> {
  const out = await minikube('ssh', '-n', node, '--', 'sudo', 'crictl', 'images', '-o', 'json')
  return (JSON.parse(out) as { images: { repoTags: string[] }[] }).images.flatMap((i) => i.repoTags)
}
const fullName = (image: string) => (image.includes('/') ? image : `docker.io/library/${image}`)

let user: AppClient
let ip = ''

describe(`two nodes on containerd (profile ${profile})`, () => {
  afterAll(async () => {
    writeFileSync(healthFile, original)
    // hermetic: the profile goes whatever happened (the last case deletes it through the kit; this is the net)
    await run('minikube', ['delete', '-p', profile], { env, timeout: 300_000 }).catch(() => {})
    console.log(`[nodes e2e] phases\n  ${phases.join('\n  ')}`)
  })

  it('up starts a 2-node containerd profile, picks minikube image load, and the app images reach both nodes', async () => {
    const r = await runKit(env, ['up', '--', '--no-journey'], {}, 1_500_000)
    expect(r.code, tail(r)).toBe(0)
    phase('up (profile start, addons, build, image load, deploy)', r.ms)
    expect(r.stderr).toContain(
      `images: LOAD_METHOD=minikube (no profile ${profile} yet: setup starts it on containerd; set LOAD_METHOD to choose)`,
    )
    expect(r.stderr).toMatch(/\$ minikube start .*--container-runtime=containerd --nodes=2/)

    const all = await nodes()
    expect(all).toHaveLength(2)
    for (const n of all) {
      expect(n.ready, n.name).toBe(true)
      expect(n.runtime, n.name).toMatch(/^containerd:\/\//)
    }
    // the images of the pods that run: every node has every one, whichever node each pod landed on
    const images = [
      ...new Set((await placed()).filter((p) => /todo-(frontend|backend):h-/.test(p.image)).map((p) => p.image)),
    ]
    expect(images.some((i) => i.includes('todo-frontend'))).toBe(true)
    expect(images.some((i) => i.includes('todo-backend'))).toBe(true)
    for (const image of images)
      expect(r.stderr).toContain(`$ minikube image load ${image.replace(/^docker\.io\/library\//, '')} -p ${profile}`)
    for (const n of all) {
      const have = await nodeImages(n.name)
      for (const image of images) expect(have, `${image} on ${n.name}`).toContain(fullName(image))
    }
  })

  it('two replicas of the frontend and of the backend spread over both nodes; the PDBs guard them', async () => {
    const list = await placed()
    const names = (await nodes()).map((n) => n.name).sort()
    for (const c of ['frontend', 'backend']) {
      const pods = live(list, c)
      expect(pods.map((p) => p.ready)).toEqual([true, true])
      expect(pods.map((p) => p.node).sort(), c).toEqual(names)
      const pdb = JSON.parse(await kubectl(env, 'get', 'pdb', '-n', NS, `${RELEASE}-${c}`, '-o', 'json')) as {
        spec: { maxUnavailable: number }
        status: { currentHealthy: number; disruptionsAllowed: number }
      }
      expect(pdb.spec.maxUnavailable).toBe(1)
      expect(pdb.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 })
    }
  })

  it('validate passes every check, its journey through the ingress included', async () => {
    const v = await runKit(env, ['validate', '--', '--json'])
    expect(v.code, tail(v)).toBe(0)
    phase('validate with the journey', v.ms)
    const result = JSON.parse(v.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
    expect(result.ok).toBe(true)
    expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([])
    expect(result.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['journey-sign-up', 'journey-create']))
  })

  it('dev --once on containerd: an edited backend is built, loaded into both nodes, and only the backend rolls', async () => {
    const port = String(await freePort())
    // the first cycle brings the release to dev's settings (its port-forward's origin trusted)
    const first = await runKit(env, ['dev', '--', '--once', '--port', port])
    expect(first.code, tail(first)).toBe(0)
    phase('dev --once, first cycle', first.ms)
    const before = await placed()

    const marker = `nodes-${Date.now().toString(36)}`
    writeFileSync(
      healthFile,
      original.replace('return {"status": "ok"}', `return {"status": "ok", "e2e": "${marker}"}`),
    )
    const r = await runKit(env, ['dev', '--', '--once', '--port', port])
    expect(r.code, tail(r)).toBe(0)
    phase('dev --once after a backend edit (build, image load to 2 nodes, roll)', r.ms)
    const tag = /todo-backend:h-[0-9a-f]{12}/.exec(r.stderr)?.[0]
    expect(tag, tail(r)).toBeTruthy()
    expect(r.stderr).toContain(`$ minikube image load ${tag} -p ${profile}`)
    for (const n of await nodes()) expect(await nodeImages(n.name), n.name).toContain(fullName(tag!))

    await waitFor(
      'the backend rolled: two new pods, ready, on both nodes',
      async () => {
        const b = live(await placed(), 'backend')
        return b.length === 2 && b.every((p) => p.ready && p.image.endsWith(tag!))
      },
      180_000,
      1000,
    )
    const after = await placed()
    const uids = (list: Placed[], c: string) =>
      live(list, c)
        .map((p) => p.uid)
        .sort()
    expect(uids(after, 'frontend')).toEqual(uids(before, 'frontend'))
    expect(new Set(live(after, 'backend').map((p) => p.node)).size).toBe(2)
    for (const p of live(after, 'backend')) {
      const health = await kubectl(
        env,
        'exec',
        '-n',
        NS,
        p.name,
        '--',
        'python',
        '-c',
        'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8000/health").read().decode())',
      )
      expect(JSON.parse(health), p.name).toEqual({ status: 'ok', e2e: marker })
    }
  })

  it('kubectl drain of the node without the database, under the PDBs, loses no request; the database keeps its volume', async () => {
    const all = await nodes()
    const primary = all.find((n) => n.primary)!.name
    const before = await placed()
    const [db] = live(before, 'postgresql')
    expect(db, JSON.stringify(before)).toBeTruthy()
    expect(db!.node).toBe(primary)
    const target = all.find((n) => n.name !== db!.node)!.name
    expect(live(before, 'frontend').some((p) => p.node === target)).toBe(true)
    expect(live(before, 'backend').some((p) => p.node === target)).toBe(true)

    // the database's volume: minikube's hostPath PV, its data on the database's node (and not on the other)
    const pod = JSON.parse(await kubectl(env, 'get', 'pod', '-n', NS, db!.name, '-o', 'json')) as {
      spec: { volumes: { persistentVolumeClaim?: { claimName: string } }[] }
    }
    const claim = pod.spec.volumes.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName
    expect(claim).toBeTruthy()
    const pvName = (await kubectl(env, 'get', 'pvc', '-n', NS, claim!, '-o', 'jsonpath={.spec.volumeName}')).trim()
    const pv = JSON.parse(await kubectl(env, 'get', 'pv', pvName, '-o', 'json')) as {
      spec: { hostPath?: { path: string }; nodeAffinity?: unknown }
    }
    const dir = pv.spec.hostPath?.path
    expect(dir, JSON.stringify(pv.spec)).toBeTruthy()
    const pgVersion = (node: string) =>
      // one remote command line: a node without the directory prints nothing (find's error is not a failure here)
      minikube('ssh', '-n', node, '--', `sudo find ${dir} -maxdepth 3 -name PG_VERSION 2>/dev/null || true`).then((o) =>
        o.trim(),
      )
    expect(await pgVersion(db!.node)).toMatch(/PG_VERSION/)
    expect(await pgVersion(target)).toBe('')

    // a user, signed in through the ingress, with a task written before the drain
    ip = (await minikube('ip')).trim()
    user = new AppClient(`http://${ip}`, { host: 'todo.local' })
    await user.signUp(`nodes-${Date.now()}@example.com`, 'nodes-password-123456')
    const created = await user.api('POST', '/tasks', { title: 'before the drain' })
    expect(created.status, created.text).toBe(201)

    // their task list through the ingress, frontend, backend and database, every 100 ms, a new connection each
    let polling = true
    let sent = 0
    const failures: string[] = []
    const loop = (async () => {
      while (polling) {
        sent++
        const r = await user.api('GET', '/tasks').catch((e: Error) => ({ status: 0, text: e.message }))
        if (r.status !== 200) failures.push(`${new Date().toISOString()} ${r.status} ${r.text.slice(0, 200)}`)
        await new Promise((res) => setTimeout(res, 100))
      }
    })()
    let drained = 0
    try {
      await new Promise((res) => setTimeout(res, 3000))
      const t0 = Date.now()
      await kubectl(env, 'drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=300s')
      drained = Date.now() - t0
      phase(`kubectl drain ${target}`, drained)
      expect((await nodes()).find((n) => n.name === target)?.unschedulable).toBe(true)
      // the evicted replicas run again on the node that is left before the polling stops
      await waitFor(
        'two ready replicas of each component on the node left',
        async () => {
          const now = await placed()
          return ['frontend', 'backend'].every((c) => {
            const p = live(now, c)
            return p.length === 2 && p.every((x) => x.ready && x.node === db!.node)
          })
        },
        180_000,
        1000,
      )
      await new Promise((res) => setTimeout(res, 3000))
    } finally {
      polling = false
      await loop
      await kubectl(env, 'uncordon', target).catch(() => {})
    }
    console.log(`[nodes e2e] drain: ${sent} requests through the ingress, ${failures.length} failed`)
    expect(sent).toBeGreaterThan(20)
    expect(failures).toEqual([])
    expect(drained).toBeGreaterThan(0)
    expect((await nodes()).filter((n) => n.unschedulable)).toEqual([])

    // the database never moved: same pod, same node, its data where it was, the task still there
    const [dbAfter] = live(await placed(), 'postgresql')
    expect(dbAfter).toMatchObject({ uid: db!.uid, node: db!.node, ready: true })
    expect(await pgVersion(db!.node)).toMatch(/PG_VERSION/)
    const list = await user.api('GET', '/tasks')
    expect(list.json.map((t: { title: string }) => t.title)).toEqual(['before the drain'])
  })

  it('cleanup --delete-minikube --yes deletes the 2-node profile: no node container left', async () => {
    const r = await runKit(env, ['cleanup', '--', '--delete-minikube', '--yes'])
    expect(r.code, tail(r)).toBe(0)
    phase('cleanup --delete-minikube', r.ms)
    const left = (
      await run(
        'docker',
        ['ps', '-a', '--filter', `label=name.minikube.sigs.k8s.io=${profile}`, '--format', '{{.Names}}'],
        {
          encoding: 'utf8',
        },
      )
    ).stdout.trim()
    expect(left).toBe('')
  })
})
