// An app the kit has never seen, deployed as it is, on the default path (a real minikube, docker-env, the ingress):
// `init` reads test/e2e/fixtures/direct-api (the browser calls the backend at NEXT_PUBLIC_API_URL; main:app on 8080,
// JSON-list CORS_ORIGINS, psycopg2 with unpinned SQLAlchemy) and writes .env and a values file, `npm run up` builds and
// deploys it, `validate --json` passes every check against what the release really uses, and the browser's requests
// reach the app's own routes through the ingress on minikube ip. (Other layouts, such as a Poetry backend with a pnpm
// frontend, are built and run against a real PostgreSQL by the images suite; the harness proves the other cluster kind
// with the reference app.)
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse as parseDotenv } from 'dotenv'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { injectCluster } from './support/cluster.ts'
import { httpRequest, kitEnvironment, pods, root, runKit, tail, waitFor } from './support/kit.ts'

const run = promisify(execFile)
const cluster = injectCluster(inject('cluster'))
const fixture = {
  name: 'direct-api',
  frontend: 'test/e2e/fixtures/direct-api/frontend',
  backend: 'test/e2e/fixtures/direct-api/backend',
}
const kit = kitEnvironment(cluster)
const env = kit.env
// an app of the user's, as init leaves it: no size budget (validate reports the sizes, SKIP, and judges nothing)
delete env.FRONTEND_SIZE_BUDGET_MB
delete env.BACKEND_SIZE_BUDGET_MB

describe(`an app the kit has never seen (${fixture.name}, ${cluster.kind})`, () => {
  afterAll(async () => {
    const r = await runKit(env, ['down', '--', '--purge-data', '--yes'])
    expect(r.code, tail(r)).toBe(0)
  })

  it('init reads it and writes .env and the values file; up deploys it; validate --json passes every check', async () => {
    const i = await runKit(env, [
      'init',
      '--',
      '--frontend',
      path.join(root, fixture.frontend),
      '--backend',
      path.join(root, fixture.backend),
    ])
    expect(i.code, tail(i)).toBe(0)
    const written = parseDotenv(readFileSync(kit.envFile, 'utf8'))
    expect(written.FRONTEND_DIR).toBe(fixture.frontend)
    expect(written.BACKEND_DIR).toBe(fixture.backend)
    expect(written.HELM_VALUES_FILES).toBe(path.join(kit.dir, '.kit/app-values.yaml'))

    const r = await runKit(env, ['up', '--', '--no-journey'])
    expect(r.code, tail(r)).toBe(0)
    const v = await runKit(env, ['validate', '--', '--json', '--no-journey'])
    expect(v.code, tail(v)).toBe(0)
    const result = JSON.parse(v.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] }
    expect(result.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}:${c.status}`)).toEqual([
      'image-size-frontend:skip',
      'image-size-backend:skip',
    ])
    expect(result.ok).toBe(true)
    expect(
      (await pods(env))
        .filter((p) => p.ready)
        .map((p) => p.component)
        .sort(),
    ).toEqual(['backend', 'frontend', 'postgresql'])
  })

  it("the browser's direct calls reach the backend through the ingress path init routed; the build baked in the public URL", async () => {
    const profile = cluster.minikube!.profile
    const ip = (await run('minikube', ['-p', profile, 'ip'], { env, encoding: 'utf8' })).stdout.trim()
    const host = { host: 'todo.local' }
    const user = `e2e-${Date.now().toString(36)}`
    // what the browser does: the page from the frontend, then its fetch to NEXT_PUBLIC_API_URL (the same host)
    let page = { status: 0, text: '' }
    await waitFor(
      'the page through the ingress',
      async () => (page = await httpRequest(`http://${ip}/`, { headers: host })).status === 200,
      120_000,
      2000,
    )
    expect(page.text).toContain('data-api="http://todo.local"')
    const created = await httpRequest(`http://${ip}/api/${user}/tasks`, {
      method: 'POST',
      headers: { ...host, 'content-type': 'application/json', origin: 'http://todo.local' },
      body: JSON.stringify({ title: 'straight to the backend' }),
    })
    expect(created.status, created.text).toBe(201)
    // the JSON-list CORS_ORIGINS init wrote was read by pydantic (a comma list would not have parsed), and the
    // URL scheme init chose loads the driver the app installed
    expect(created.headers['access-control-allow-origin']).toBe('http://todo.local')
    expect(JSON.parse(created.text)).toMatchObject({ title: 'straight to the backend', driver: 'psycopg2' })
    const list = await httpRequest(`http://${ip}/api/${user}/tasks`, { headers: host })
    expect(JSON.parse(list.text).map((t: { title: string }) => t.title)).toEqual(['straight to the backend'])
  })
})
