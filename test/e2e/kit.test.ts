// The whole kit on a real cluster, as a user runs it: `npm run up` from a fresh cluster, the real app through the
// frontend Service, a second `up` that changes nothing, a one-line backend change, faults, scaling and cleanup.
// One ordered file: every case builds on the cluster state the previous one left.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import {
  AppClient, clusterIp, helm, kitEnvironment, kubectl, NS, pods, RELEASE, requestLoop, root, runKit, tail, waitFor,
  type KitRun, type PodInfo,
} from './support/kit.ts'

const cluster = injectCluster(inject('cluster'))

// the backend is built from a copy, so the suite can change a source line without touching app/
const backendCopy = path.join(mkdtempSync(path.join(tmpdir(), 'todo-e2e-backend-')), 'backend')
cpSync(path.join(root, 'app/backend'), backendCopy, {
  recursive: true,
  filter: (src) => !/[/\\](\.venv|\.pytest_cache|\.ruff_cache|__pycache__)$/.test(src),
})
const kit = kitEnvironment(cluster, { BACKEND_DIR: backendCopy })
const env = kit.env

const uids = (list: PodInfo[]) => Object.fromEntries(list.map((p) => [p.name, p.uid]))
const byComponent = (list: PodInfo[], c: string) => list.filter((p) => p.component === c && !p.deleting)
const revision = async () => (JSON.parse(await helm(env, 'status', RELEASE, '-n', NS, '-o', 'json')) as { version: number }).version
const healthFile = path.join(backendCopy, 'app/routes/health.py')

async function releaseExists(): Promise<boolean> {
  return helm(env, 'status', RELEASE, '-n', NS).then(() => true, () => false)
}

async function up(overrides: Record<string, string> = {}): Promise<KitRun> {
  const r = await runKit(env, ['up'], overrides)
  expect(r.code, tail(r)).toBe(0)
  return r
}

const app = { frontend: '', backend: '' }
let user: AppClient

describe(`the kit on a real cluster (${cluster.kind})`, () => {
  beforeAll(async () => {
    // a fresh cluster: no release, Secret or database volume left by an earlier run on a kept cluster
    if (await releaseExists()) {
      const r = await runKit(env, ['down', '--', '--purge-data', '--yes'])
      expect(r.code, tail(r)).toBe(0)
    }
  })

  it('npm run up deploys the reference app; validate passes every check; the app works through the cluster', async () => {
    const r = await up()
    expect(r.stderr).toContain('validate')

    const v = await runKit(env, ['validate', '--', '--json'])
    expect(v.code, tail(v)).toBe(0)
    const result = JSON.parse(v.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
    expect(result.ok).toBe(true)
    expect(result.checks.length).toBeGreaterThanOrEqual(12)
    expect(result.checks.filter((c) => c.status !== 'pass')).toEqual([])

    app.frontend = `http://${await clusterIp(env, `${RELEASE}-frontend`)}:3000`
    app.backend = `http://${await clusterIp(env, `${RELEASE}-backend`)}:8000`
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
    expect(r.stderr).not.toMatch(/\$ docker build/)
    expect(r.stderr).not.toMatch(/\$ (docker save|ctr .* images import)/)
    expect(r.stderr).not.toMatch(/\$ helm upgrade/)
    expect(r.stderr.match(/nothing to build/g)).toHaveLength(2)
    expect(r.stderr).toMatch(/nothing to upgrade/)
    expect(await revision()).toBe(rev)
    expect(uids(await pods(env))).toEqual(uids(before))
  })

  it('one changed backend source line: only the backend rolls, and the new code answers', async () => {
    const before = await pods(env)
    writeFileSync(healthFile, readFileSync(healthFile, 'utf8').replace('return {"status": "ok"}', 'return {"status": "ok", "e2e": "changed"}'))
    expect(readFileSync(healthFile, 'utf8')).toContain('"e2e": "changed"')
    const r = await up()
    expect(r.stderr.match(/\$ docker build/g), tail(r)).toHaveLength(1)
    expect(r.stderr).toMatch(/\$ docker build .*todo-backend:h-/)
    expect(r.stderr).toMatch(/nothing to build/)

    const after = await pods(env)
    for (const c of ['frontend', 'postgresql']) expect(uids(byComponent(after, c)), c).toEqual(uids(byComponent(before, c)))
    const oldBackend = new Set(byComponent(before, 'backend').map((p) => p.uid))
    expect(byComponent(after, 'backend').every((p) => !oldBackend.has(p.uid))).toBe(true)
    const res = await fetch(`${app.backend}/health`)
    expect(await res.json()).toEqual({ status: 'ok', e2e: 'changed' })
  })
})
