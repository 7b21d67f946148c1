// What only minikube has, on a real minikube the kit started itself (runs after kit.test.ts, E2E_CLUSTER=minikube):
// the node is a Docker container minikube runs, the ingress addon serves http://todo.local on `minikube ip` with sign-in
// working through it, and cleanup stops and deletes the profile.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import { AppClient, httpRequest, kitEnvironment, NS, ORIGIN, runKit, tail, waitFor } from './support/kit.ts'

const run = promisify(execFile)
const cluster = injectCluster(inject('cluster'))
const profile = cluster.minikube!.profile
// the kit's defaults: INGRESS_ENABLED=true, MINIKUBE_ADDONS=ingress
const kit = kitEnvironment(cluster)
const env = kit.env
const minikube = async (...args: string[]) => (await run('minikube', [...args, '-p', profile], { env, encoding: 'utf8', timeout: 300_000 })).stdout
const status = async () => {
  const r = await run('minikube', ['status', '-p', profile, '-o', 'json'], { env, encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))
  try { return JSON.parse(r.stdout) as { Host?: string; APIServer?: string } } catch { return {} }
}
const nodeContainers = async () =>
  (await run('docker', ['ps', '-a', '--filter', `label=name.minikube.sigs.k8s.io=${profile}`, '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })).stdout.trim()

describe(`minikube itself (profile ${profile})`, () => {
  it('the kit started a real minikube: its node is a Docker container, and minikube reports it running', async () => {
    expect(await nodeContainers()).toBe(`${profile} running`)
    expect(await status()).toMatchObject({ Host: 'Running', APIServer: 'Running' })
  })

  it('up (ingress on by default) has the ingress addon enabled, and the app signs in through http://todo.local', async () => {
    const r = await runKit(env, ['up'])
    expect(r.code, tail(r)).toBe(0)
    const addons = JSON.parse(await minikube('addons', 'list', '-o', 'json')) as Record<string, { Status: string }>
    expect(addons.ingress?.Status).toBe('enabled')

    // the line deploy tells the user to add to /etc/hosts: `<minikube ip> todo.local`
    const ip = (await minikube('ip')).trim()
    expect(r.stdout).toContain(`${ip} todo.local`)
    const through = new AppClient(`http://${ip}`, { host: 'todo.local' })
    // the app answers (its page, or its redirect to sign-in); the controller alone would say 404 or 503
    await waitFor('the ingress answering for todo.local', async () => {
      const { status } = await through.call('GET', '/')
      return status === 200 || (status >= 300 && status < 400)
    }, 120_000, 2000)

    // the controller passes Better Auth's cookies and the Origin check (PUBLIC_URL=http://todo.local) untouched
    await through.signUp(`mk-${Date.now()}@example.com`, 'minikube-password-123456')
    expect(through.cookie).toMatch(/better-auth/)
    const created = await through.api('POST', '/tasks', { title: 'through the ingress' })
    expect(created.status, created.text).toBe(201)
    const list = await through.api('GET', '/tasks')
    expect(list.json.map((t: { title: string }) => t.title)).toEqual(['through the ingress'])
    // a host the Ingress does not name is not the app
    const other = await httpRequest(`http://${ip}/`, { headers: { host: 'other.local' } })
    expect(other.status).toBe(404)
    expect(ORIGIN).toBe('http://todo.local')
  })

  it('cleanup --stop-minikube stops the profile; setup starts it again and the release is still there', async () => {
    const r = await runKit(env, ['cleanup', '--', '--stop-minikube'])
    expect(r.code, tail(r)).toBe(0)
    expect(await status()).toMatchObject({ Host: 'Stopped' })
    expect(await nodeContainers()).toMatch(new RegExp(`^${profile} exited$`))

    const s = await runKit(env, ['setup'])
    expect(s.code, tail(s)).toBe(0)
    expect(await status()).toMatchObject({ Host: 'Running', APIServer: 'Running' })
    // down removed the release but kept the namespace and the database volume
    const { stdout } = await run('kubectl', ['get', 'pvc', '-n', NS, '-o', 'name'], { env, encoding: 'utf8' })
    expect(stdout.trim()).not.toBe('')
  })

  it('cleanup --delete-minikube --yes deletes the profile: no node container, no profile', async () => {
    const r = await runKit(env, ['cleanup', '--', '--delete-minikube', '--yes'])
    expect(r.code, tail(r)).toBe(0)
    await waitFor('the node container gone', async () => (await nodeContainers()) === '', 60_000)
    const profiles = JSON.parse((await run('minikube', ['profile', 'list', '-o', 'json'], { env, encoding: 'utf8' }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '{}' }))).stdout || '{}') as
      { valid?: { Name: string }[] }
    expect((profiles.valid ?? []).map((p) => p.Name)).not.toContain(profile)
  })
})
