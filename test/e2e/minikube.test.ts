// What only minikube has, on a real minikube the kit started itself (runs after kit.test.ts, E2E_CLUSTER=minikube):
// the node is a Docker container minikube runs, the ingress addon serves http://todo.local on `minikube ip` with sign-in
// working through it, and cleanup stops and deletes the profile.
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import { AppClient, httpRequest, kitEnvironment, kubectl, NS, ORIGIN, pods, RELEASE, root, runKit, tail, waitFor } from './support/kit.ts'

const run = promisify(execFile)
const cluster = injectCluster(inject('cluster'))
const profile = cluster.minikube!.profile
// the backend is built from a copy, so a case can change a source line without touching app/
const backendCopy = path.join(mkdtempSync(path.join(tmpdir(), 'todo-e2e-mk-backend-')), 'backend')
cpSync(path.join(root, 'app/backend'), backendCopy, {
  recursive: true,
  filter: (src) => !/[/\\](\.venv|\.pytest_cache|\.ruff_cache|__pycache__)$/.test(src),
})
const healthFile = path.join(backendCopy, 'app/routes/health.py')
// the kit's defaults otherwise: INGRESS_ENABLED=true, MINIKUBE_ADDONS=ingress, LOAD_METHOD=minikube
const kit = kitEnvironment(cluster, { BACKEND_DIR: backendCopy })
const env = kit.env
// the profile flag first: after `ssh --` it would belong to the remote command
const minikube = async (...args: string[]) => (await run('minikube', ['-p', profile, ...args], { env, encoding: 'utf8', timeout: 300_000 })).stdout
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

  it('LOAD_METHOD=docker-env: a changed backend line is built in the node\'s own Docker, nothing is copied, only the backend rolls', async () => {
    // a user's node pulls the base image itself; nothing can be pulled here, so the stand-in goes in first
    await minikube('image', 'load', env.PYTHON_IMAGE!)
    const before = await pods(env)
    const marker = `docker-env-${Date.now().toString(36)}`
    writeFileSync(healthFile, readFileSync(healthFile, 'utf8').replace('return {"status": "ok"}', `return {"status": "ok", "e2e": "${marker}"}`))
    const r = await runKit(env, ['up'], { LOAD_METHOD: 'docker-env' })
    expect(r.code, tail(r)).toBe(0)
    // the build went to the node's daemon (minikube docker-env's DOCKER_HOST), and there was nothing to copy
    expect(r.stderr).toMatch(/docker commands go to minikube profile \S+'s Docker \(tcp:\/\//)
    expect(r.stderr.match(/\$ DOCKER_TLS_VERIFY=\S* DOCKER_HOST=tcp:\/\/\S+ .*docker build/g), tail(r)).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\$ minikube image load/)
    const tag = /todo-backend:h-[0-9a-f]{12}/.exec(r.stderr.match(/docker build .*/)![0])![0]
    expect(await minikube('ssh', '--', 'docker', 'image', 'inspect', '--format', '{{.Id}}', tag)).toMatch(/sha256:/)
    await expect(run('docker', ['image', 'inspect', tag])).rejects.toThrow()

    const after = await pods(env)
    const same = (c: string) => (list: typeof before) => list.filter((p) => p.component === c && !p.deleting).map((p) => p.uid).sort()
    expect(same('frontend')(after)).toEqual(same('frontend')(before))
    const [backend] = after.filter((p) => p.component === 'backend' && !p.deleting)
    expect(backend!.image).toContain(tag)
    const health = await kubectl(env, 'exec', '-n', NS, backend!.name, '--', 'python', '-c',
      'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8000/health").read().decode())')
    expect(JSON.parse(health)).toEqual({ status: 'ok', e2e: marker })
  })

  it('HPA_ENABLED=true: setup enables metrics-server; CPU load on the backend scales it out, and back in when it stops', async () => {
    // the chart's autoscaling knobs, as a user would set them in a values file; a short scale-down window (the
    // default waits 5 minutes) and one replica at rest keep the case bounded
    const values = path.join(kit.dir, 'hpa.yaml')
    writeFileSync(values, JSON.stringify({
      backend: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50,
        behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } } },
      frontend: { autoscaling: { minReplicas: 1, maxReplicas: 2 } },
    }))
    Object.assign(env, { HPA_ENABLED: 'true', HELM_VALUES_FILES: values })
    const r = await runKit(env, ['up'])
    expect(r.code, tail(r)).toBe(0)
    const addons = JSON.parse(await minikube('addons', 'list', '-o', 'json')) as Record<string, { Status: string }>
    expect(addons['metrics-server']?.Status).toBe('enabled')

    type Hpa = { status: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] } }
    const hpa = async () => JSON.parse(await kubectl(env, 'get', 'hpa', '-n', NS, `${RELEASE}-backend`, '-o', 'json')) as Hpa
    const utilization = (h: Hpa) => h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization
    await waitFor('metrics for the backend HPA', async () => utilization(await hpa()) !== undefined, 240_000, 5000)
    expect((await hpa()).status.currentReplicas).toBe(1)

    // load: a busy loop in the backend pod (bounded, so nothing outlives the case)
    const [pod] = (await pods(env)).filter((p) => p.component === 'backend' && !p.deleting)
    const burn = 'import time\nend = time.time() + 300  # burn-cpu\nwhile time.time() < end: pass'
    const load = run('kubectl', ['exec', '-n', NS, pod!.name, '--', 'python', '-c', burn], { env, timeout: 330_000 }).catch(() => {})
    const t0 = Date.now()
    await waitFor('the backend scaled out', async () => ((await hpa()).status.currentReplicas ?? 0) > 1, 300_000, 5000)
    const outMs = Date.now() - t0
    const stop = 'import os, signal\nfor p in filter(str.isdigit, os.listdir("/proc")):\n  try:\n    if b"burn-cpu" in open(f"/proc/{p}/cmdline", "rb").read() and int(p) != os.getpid(): os.kill(int(p), signal.SIGKILL)\n  except OSError: pass'
    await kubectl(env, 'exec', '-n', NS, pod!.name, '--', 'python', '-c', stop)
    await load
    const t1 = Date.now()
    await waitFor('the backend back to one replica', async () => (await hpa()).status.currentReplicas === 1, 300_000, 5000)
    console.info(`HPA: scaled out ${Math.round(outMs / 1000)} s after the load began, back in ${Math.round((Date.now() - t1) / 1000)} s after it stopped`)
    Object.assign(env, { HPA_ENABLED: 'false', HELM_VALUES_FILES: '' })
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
