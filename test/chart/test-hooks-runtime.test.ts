// The `helm test` pods' scripts, run for real in Docker as rendered (command, env, read-only root,
// uid 10001, tmpfs /tmp), against a fixture server standing in for the two Services: they pass when
// the apps answer and fail, naming the URL, when one does not.
//
// Runtimes: the stand-ins local/node:24 and local/python:3.13 (what the app images are built on; made
// by ../shared/rig/base-images.sh), or TEST_NODE_IMAGE / TEST_PYTHON_IMAGE.
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { find, TAGS, template } from './helm.ts'

const NODE = process.env.TEST_NODE_IMAGE ?? 'local/node:24'
const PYTHON = process.env.TEST_PYTHON_IMAGE ?? 'local/python:3.13'
const fixture = `chart-hooks-fixture-${process.pid}`

function docker(args: string[], check = true) {
  const res = spawnSync('docker', args, { encoding: 'utf8' })
  if (res.error)
    throw new Error(
      `docker is not available (${res.error.message}): start the Docker engine and rerun npm run test:chart`,
    )
  if (check && res.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} … failed: ${res.stderr}`)
  return res
}

// One process answering as both Services; FAIL=<path> makes that path answer 503.
const FIXTURE = `
const http = require('node:http');
const ok = new Set(['/api/health', '/health', '/ready']);
for (const port of [3000, 8000]) http.createServer((req, res) => {
  const fail = (process.env.FAIL || '').split(',').includes(req.url);
  res.writeHead(ok.has(req.url) && !fail ? 200 : fail ? 503 : 404).end('{}');
}).listen(port, '0.0.0.0');
`

describe('helm test pods, run in Docker as rendered', () => {
  const rendered = template({ label: 'helm 4.1', bin: layerV35().helm }, { set: TAGS })
  const pod = (name: string) => find(rendered.objects, 'Pod', name)!
  let ip = ''

  const startFixture = async (fail: string) => {
    docker(['rm', '--force', fixture], false)
    docker(['run', '--detach', '--name', fixture, '--env', `FAIL=${fail}`, '--entrypoint', 'node', NODE, '-e', FIXTURE])
    ip = docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', fixture]).stdout.trim()
    await new Promise((r) => setTimeout(r, 1000))
  }

  /** Runs a rendered test pod's container with `image` in place of the app image. */
  const runPod = (name: string, image: string) => {
    const p = pod(name)
    const c = p.spec.containers[0]
    const psc = p.spec.securityContext
    const args = [
      'run',
      '--rm',
      '--read-only',
      `--user=${psc.runAsUser}:${psc.runAsGroup}`,
      '--cap-drop=ALL',
      '--security-opt=no-new-privileges',
      '--tmpfs=/tmp:mode=1777',
    ]
    for (const host of ['todo-frontend', 'todo-backend']) args.push(`--add-host=${host}:${ip}`)
    for (const e of c.env ?? []) args.push('--env', `${e.name}=${e.value}`)
    return docker([...args, '--entrypoint', c.command[0], image, ...c.command.slice(1)], false)
  }

  beforeAll(() => {
    for (const image of [NODE, PYTHON])
      if (docker(['image', 'inspect', image], false).status !== 0)
        throw new Error(`${image} is missing: run bash ../shared/rig/base-images.sh`)
  })
  afterAll(() => {
    docker(['rm', '--force', fixture], false)
  })

  it('all pass while both Services answer', async () => {
    await startFixture('')
    const be = runPod('todo-test-backend-health', PYTHON)
    expect(be.stderr).toBe('')
    expect(be.stdout).toContain('/ready 200')
    expect(be.status).toBe(0)
    const fe = runPod('todo-test-frontend-backend', NODE)
    expect(fe.stderr).toBe('')
    expect(fe.stdout).toContain('http://todo-backend:8000/health 200')
    expect(fe.status).toBe(0)
  }, 60_000)

  it('the backend test fails when the backend is not ready (database unreachable)', async () => {
    await startFixture('/ready')
    const be = runPod('todo-test-backend-health', PYTHON)
    expect(be.status).not.toBe(0)
    expect(be.stderr).toContain('503')
  }, 60_000)

  it('the frontend → backend test fails when the backend does not answer', async () => {
    await startFixture('/health')
    const fe = runPod('todo-test-frontend-backend', NODE)
    expect(fe.status).toBe(1)
    expect(fe.stderr).toContain('http://todo-backend:8000/health answered 503')
  }, 60_000)
})
