// The stages' decisions against fake tools: which commands, in which order, what a second run skips, and what each
// failure prints. Every stage runs as a real `zx scripts/<stage>.ts` subprocess.
import { describe, expect, it } from 'vitest'
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { lines, mutating, project, root, SECRETS, type RunResult } from './harness.ts'

const buildLogs = path.join(import.meta.dirname, 'fixtures', 'build-logs')

const noSecrets = (r: RunResult): void => {
  for (const v of Object.values(SECRETS)) {
    expect(r.stdout).not.toContain(v)
    expect(r.stderr).not.toContain(v)
    for (const c of r.calls) expect(c.args.join(' ')).not.toContain(v)
  }
}

describe('setup', { timeout: 120_000 }, () => {
  it('starts minikube with the configured profile, enables addons, creates the namespace; a second run changes nothing', async () => {
    const p = project({ env: { MINIKUBE_CPUS: '4', MINIKUBE_MEMORY: '6g', HPA_ENABLED: 'true' } })
    const r = await p.run('setup')
    expect(r.stderr).toContain('✔ setup done')
    noSecrets(r)
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([
      'minikube start -p todo --driver=docker --cpus=4 --memory=6g --kubernetes-version=stable',
      'minikube addons enable ingress -p todo',
      'minikube addons enable metrics-server -p todo',
      'kubectl create namespace todo',
    ])
    const again = await p.run('setup')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toContain('minikube profile todo is running')
  })

  it('a new profile on containerd with two nodes: minikube image load, the runtime said in one line; a running one is left alone', async () => {
    const p = project({ env: { LOAD_METHOD: '', MINIKUBE_CONTAINER_RUNTIME: 'containerd', MINIKUBE_NODES: '2' } })
    const r = await p.run('setup')
    expect(r.code, r.stderr).toBe(0)
    expect(mutating(r.calls)[0]).toBe(
      'minikube start -p todo --driver=docker --cpus=2 --memory=4096mb --kubernetes-version=stable --container-runtime=containerd --nodes=2',
    )
    expect(r.stderr).toContain('images: LOAD_METHOD=minikube (no profile todo yet: setup starts it on containerd')
    expect(r.stderr).toContain('new profile: containerd, 2 nodes; images reach every node by LOAD_METHOD=minikube')
    // minikube status answers one object per node now; the profile runs, so nothing starts again
    const again = await p.run('setup')
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toContain('minikube profile todo is running')
  })

  it('MINIKUBE_CNI picks the network minikube starts with (NetworkPolicies need one that enforces them); a bad value changes nothing', async () => {
    const r = await project({ env: { MINIKUBE_CNI: 'calico' } }).run('setup')
    expect(r.code).toBe(0)
    expect(mutating(r.calls)[0]).toBe(
      'minikube start -p todo --driver=docker --cpus=2 --memory=4096mb --kubernetes-version=stable --cni=calico',
    )
    const bad = await project({ env: { MINIKUBE_CNI: 'weave net' } }).run('setup')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(
      /MINIKUBE_CNI.*auto, bridge, calico, cilium, flannel, kindnet, false or a CNI manifest path/,
    )
    expect(mutating(bad.calls)).toEqual([])
  })

  it('points kubectl at the profile when another context is current', async () => {
    const p = project()
    p.setState({
      minikube: { running: true, addons: { ingress: 'enabled' }, images: [] },
      context: 'kind-other',
      namespaces: ['todo'],
    })
    const r = await p.run('setup')
    expect(mutating(r.calls)).toEqual(['kubectl config use-context todo'])
  })

  it('fails with a cause and a fix when the Docker engine is down', async () => {
    const p = project()
    p.setState({ dockerDown: true })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/✖ the Docker engine is not answering: Cannot connect to the Docker daemon/)
    expect(r.stderr).toMatch(/fix: (sudo systemctl start docker|start Docker Desktop)/)
    expect(mutating(r.calls)).toEqual([])
  })

  it('names a missing tool and how to install it', async () => {
    const p = project({ tools: ['docker', 'kubectl', 'helm'] })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ minikube is not installed (or not on PATH)')
    expect(r.stderr).toMatch(/fix: .*minikube/)
  })

  it('rejects a tool older than the minimum', async () => {
    const p = project()
    p.setState({ helmVersion: 'v3.8.0+gd141386' })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ helm 3.8.0 is too old: the kit needs 3.12.0 or newer')
  })

  it("refuses a Kubernetes older than the chart's kubeVersion before anything changes: a setting, a running profile, a context", async () => {
    const setting = await project({ env: { MINIKUBE_K8S_VERSION: 'v1.29.6' } }).run('setup')
    expect(setting.code).toBe(1)
    expect(setting.stderr).toContain(
      '✖ MINIKUBE_K8S_VERSION=v1.29.6 is older than the chart supports (Kubernetes 1.30 or newer: its Chart.yaml kubeVersion)',
    )
    // the fix says where the value came from: the environment here, the env file below
    expect(setting.stderr).toContain('fix: unset MINIKUBE_K8S_VERSION (it comes from the environment')
    expect(mutating(setting.calls)).toEqual([])
    const inFile = project({
      envFile:
        Object.entries(SECRETS)
          .map(([k, v]) => `${k}=${v}\n`)
          .join('') + 'MINIKUBE_K8S_VERSION=v1.29.6\n',
    })
    const fromFile = await inFile.run('setup')
    expect(fromFile.code).toBe(1)
    expect(fromFile.stderr).toMatch(/fix: set MINIKUBE_K8S_VERSION=stable in \S*\.env \(or remove the line\)/)
    expect(mutating(fromFile.calls)).toEqual([])

    const running = project()
    running.setState({
      minikube: { running: true, addons: { ingress: 'enabled' }, images: [] },
      context: 'todo',
      serverVersion: 'v1.28.3',
    })
    const r = await running.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ profile todo runs Kubernetes v1.28.3, older than the chart supports (1.30 or newer')
    expect(r.stderr).toMatch(/fix: minikube delete -p todo && npx zx scripts\/setup\.ts/)
    expect(mutating(r.calls)).toEqual([])

    const existing = project({ env: { CLUSTER: 'existing' } })
    existing.setState({ context: 'k3s-old', serverVersion: 'v1.29.15+k3s1' })
    const e = await existing.run('setup')
    expect(e.code).toBe(1)
    expect(e.stderr).toContain('✖ context k3s-old runs Kubernetes v1.29.15+k3s1, older than the chart supports')
    expect(e.stderr).toMatch(/fix: kubectl config use-context <a cluster on Kubernetes 1\.30 or newer>/)
    expect(mutating(e.calls)).toEqual([])

    // the minimum is the chart's: a supported suffixed version passes
    existing.setState({ serverVersion: 'v1.30.14-eks-931bdca' })
    expect((await existing.run('setup')).code).toBe(0)
  })

  it('with CLUSTER=existing checks the current context and starts nothing', async () => {
    const p = project({ env: { CLUSTER: 'existing' } })
    p.setState({ context: 'kind-kind' })
    const r = await p.run('setup')
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('using context kind-kind (Kubernetes v1.34.0), LOAD_METHOD=none')
    expect(mutating(r.calls)).toEqual(['kubectl create namespace todo'])
    expect(lines(r.calls).some((l) => l.startsWith('minikube'))).toBe(false)
  })

  it('with CLUSTER=existing and no context says how to pick one', async () => {
    const p = project({ env: { CLUSTER: 'existing' } })
    p.setState({ context: null })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ kubectl has no current context')
    expect(r.stderr).toContain('fix: kubectl config use-context')
  })
})

const tagOf = (calls: string[], image: string): string => {
  const m = new RegExp(`${image}:(h-[0-9a-f]{12})`).exec(calls.join('\n'))
  if (!m) throw new Error(`no ${image} tag in ${calls.join('\n')}`)
  return m[1] as string
}

/** a frontend Dockerfile with the auth-migrate stage, as frontend-docker's */
const STAGED_DOCKERFILE =
  'ARG NODE_IMAGE=node:24-slim\nFROM ${NODE_IMAGE} AS build\nCOPY . /app\nFROM build AS auth-migrate\nCMD ["auth-migrate"]\nFROM ${NODE_IMAGE}\nCOPY --from=build /app /app\n'

describe('build', { timeout: 120_000 }, () => {
  it('FRONTEND_AUTH_MIGRATE: the auth-migrate target too, as <FRONTEND_IMAGE>-migrate, right after the frontend', async () => {
    const env = {
      NODE_IMAGE: 'local/node:24',
      PYTHON_IMAGE: 'local/python:3.13',
      FRONTEND_AUTH_MIGRATE: 'better-auth:lib/auth.ts',
    }
    const p = project({ env })
    // the throwaway Dockerfile has no auth-migrate stage: build says so before docker runs
    const refused = await p.run('build')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /✖ .*FRONTEND_AUTH_MIGRATE is set, but \S*docker\/frontend\.Dockerfile has no stage auth-migrate/,
    )
    expect(refused.stderr).toMatch(/fix: unset FRONTEND_DOCKERFILE .*or remove FRONTEND_AUTH_MIGRATE/)
    // nothing of that stage ran; the backend was built anyway
    expect(mutating(refused.calls).filter((c) => c.includes('--target'))).toEqual([])
    expect(mutating(refused.calls)).toContainEqual(expect.stringMatching(/-t todo-backend:h-\w{12} /))
    p.write('docker/frontend.Dockerfile', STAGED_DOCKERFILE)
    // the config file it names must be in the app dir
    const noFile = await p.run('build')
    expect(noFile.code).toBe(1)
    expect(noFile.stderr).toMatch(
      /✖ .*FRONTEND_AUTH_MIGRATE=better-auth:lib\/auth\.ts, but \S*frontend\/lib\/auth\.ts does not exist/,
    )
    expect(noFile.stderr).toMatch(/fix: set FRONTEND_AUTH_MIGRATE=better-auth:<the file that calls betterAuth\(\)/)
    p.write('frontend/lib/auth.ts', 'export const auth = betterAuth({})\n')
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    const m = mutating(r.calls)
    expect(m).toHaveLength(2) // the backend is built already
    expect(m[0]).toMatch(
      /^docker build --progress=plain -f \S+ --build-arg NODE_IMAGE=local\/node:24 -t todo-frontend:h-\w{12} /,
    )
    expect(m[1]).toMatch(
      new RegExp(
        `^docker build --progress=plain -f ${p.dir}/docker/frontend.Dockerfile --target auth-migrate --build-arg NODE_IMAGE=local/node:24 --build-arg AUTH_CONFIG=lib/auth.ts --build-arg AUTH_MIGRATE_OPTIONS -t todo-frontend-migrate:h-[0-9a-f]{12} ${p.dir}/frontend$`,
      ),
    )
    // its own tag: the frontend's inputs plus the stage and the config path
    expect(tagOf(m, 'todo-frontend-migrate')).not.toBe(tagOf(m, 'todo-frontend'))
    const again = await p.run('build')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
  })

  it("FRONTEND_DB_DRIVER=neon: the kit's neon-proxy as <FRONTEND_IMAGE>-neon-proxy on NODE_IMAGE; not with DATABASE_URL", async () => {
    const env = { NODE_IMAGE: 'local/node:24', PYTHON_IMAGE: 'local/python:3.13', FRONTEND_DB_DRIVER: 'neon' }
    const p = project({ env })
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    const m = mutating(r.calls)
    expect(m).toHaveLength(3)
    // the kit's own sources, shown relative to the project
    const dir = 'frontend-docker/neon-proxy'
    expect(m[1]).toBe(
      `docker build --progress=plain -f ${dir}/Dockerfile --build-arg NODE_IMAGE=local/node:24 -t todo-frontend-neon-proxy:${tagOf(m, 'todo-frontend-neon-proxy')} ${dir}`,
    )
    expect(m[2]).toMatch(/-t todo-backend:h-\w{12} /)
    expect(mutating((await p.run('build')).calls)).toEqual([])
    // an external database (Neon itself, say) is reached as the app always did
    const external = project({
      env: { ...env, DATABASE_URL: 'postgresql://u:p4ssw0rd-long-enough@db.example.com:5432/todo' },
    })
    const e = mutating((await external.run('build')).calls)
    expect(e.filter((c) => c.includes('neon-proxy'))).toEqual([])
  })

  it('builds both images with content-hash tags and the base images as build args; a second run builds nothing', async () => {
    const p = project({ env: { NODE_IMAGE: 'local/node:24', PYTHON_IMAGE: 'local/python:3.13' } })
    const r = await p.run('build')
    expect(r.code).toBe(0)
    const m = mutating(r.calls)
    expect(m).toHaveLength(2)
    expect(m[0]).toMatch(
      new RegExp(
        `^docker build --progress=plain -f ${p.dir}/docker/frontend.Dockerfile --build-arg NODE_IMAGE=local/node:24 -t todo-frontend:h-[0-9a-f]{12} ${p.dir}/frontend$`,
      ),
    )
    expect(m[1]).toMatch(
      new RegExp(
        `^docker build --progress=plain -f ${p.dir}/docker/backend.Dockerfile --build-arg PYTHON_IMAGE=local/python:3.13 -t todo-backend:h-[0-9a-f]{12} ${p.dir}/backend$`,
      ),
    )
    noSecrets(r)
    const again = await p.run('build')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toMatch(/todo-frontend:h-[0-9a-f]{12} is up to date/)
  })

  it('rebuilds only the image whose inputs changed; ignored files do not count', async () => {
    const p = project()
    const first = mutating((await p.run('build')).calls)
    p.write('frontend/node_modules/big/index.js', 'changed, but ignored\n')
    expect(mutating((await p.run('build')).calls)).toEqual([])
    p.write('frontend/app/page.tsx', 'export default function Page() { return "changed" }\n')
    const r = await p.run('build')
    const m = mutating(r.calls)
    expect(m).toHaveLength(1)
    expect(m[0]).toContain('todo-frontend:')
    expect(tagOf(m, 'todo-frontend')).not.toBe(tagOf(first, 'todo-frontend'))
  })

  it('--force builds even when the tag exists', async () => {
    const p = project()
    await p.run('build')
    expect(mutating((await p.run('build', ['--force'])).calls)).toHaveLength(2)
  })

  it("stops before docker when the app pins a Python other than PYTHON_IMAGE's, naming the file and the image to set", async () => {
    const p = project({ env: { PYTHON_IMAGE: 'local/python:3.13' } })
    p.write('backend/.python-version', '3.12.4\n')
    const r = await p.run('build')
    expect(r.code).toBe(1)
    // the refusal is the backend's alone: the frontend still builds
    expect(mutating(r.calls)).toEqual([expect.stringMatching(/^docker build .* -t todo-frontend:h-\w{12} /)])
    expect(r.stderr).toContain(
      `✖ the app pins Python 3.12 (${p.dir}/backend/.python-version:1 3.12.4) but PYTHON_IMAGE=local/python:3.13 has 3.13`,
    )
    expect(r.stderr).toContain('fix: set PYTHON_IMAGE=local/python:3.12 in .env')
    // a range that admits the image's version, or a pin that matches it, builds
    p.write('backend/.python-version', '3.13\n')
    expect((await p.run('build')).code).toBe(0)
    const q = project({ env: { PYTHON_IMAGE: 'python:3.13-slim' } })
    q.write('backend/pyproject.toml', '[project]\nname = "be"\nversion = "0.1.0"\nrequires-python = ">=3.10,<3.13"\n')
    const s = await q.run('build')
    expect(s.code).toBe(1)
    expect(s.stderr).toContain(
      `✖ the app pins Python 3.12 (${q.dir}/backend/pyproject.toml:4 requires-python = ">=3.10,<3.13") but PYTHON_IMAGE=python:3.13-slim has 3.13`,
    )
    expect(s.stderr).toContain('fix: set PYTHON_IMAGE=python:3.12-slim in .env')
  })

  it("stops before docker when a pin has no wheel for PYTHON_IMAGE's Python, naming it and the image that has", async () => {
    const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64'
    const p = project({ env: { PYTHON_IMAGE: 'python:3.13-slim' } })
    p.write('backend/requirements.txt', 'fastapi==0.115.0\npydantic==2.5.0\n')
    // PyPI's data from the cache (the harness's PyPI is a closed port)
    cpSync(path.join(import.meta.dirname, 'fixtures/pypi'), path.join(p.dir, '.cache/todo-k8s-kit/pypi'), {
      recursive: true,
    })
    const r = await p.run('build')
    expect(r.code).toBe(1)
    expect(mutating(r.calls)).toEqual([expect.stringMatching(/^docker build .* -t todo-frontend:h-\w{12} /)])
    expect(r.stderr).toContain(
      `✖ pydantic-core 2.14.1 (required by pydantic==2.5.0) has no wheel for Python 3.13 (linux ${arch}), the ` +
        `Python of PYTHON_IMAGE=python:3.13-slim (${p.dir}/backend/requirements.txt:2 pydantic==2.5.0); ` +
        'python:3.12-slim has wheels for every pin',
    )
    expect(r.stderr).toContain('fix: set PYTHON_IMAGE=python:3.12-slim in .env')
    // with that image the pins install: it builds
    const ok = await p.run('build', [], { PYTHON_IMAGE: 'python:3.12-slim' })
    expect(ok.code, ok.stderr).toBe(0)
    expect(mutating(ok.calls)).toContainEqual(expect.stringMatching(/^docker build .* -t todo-backend:h-\w{12} /))

    // the app pins 3.13 itself: the pin must move, not the image
    p.write('backend/.python-version', '3.13\n')
    const pinned = await p.run('build')
    expect(pinned.code).toBe(1)
    expect(pinned.stderr).toContain(
      `fix: raise pydantic 2.5.0 in ${p.dir}/backend/requirements.txt to a release with wheels for Python 3.13 ` +
        '(no Python both the app and the image allow has wheels for every pin)',
    )

    // nothing cached and PyPI out of reach: the check says it did not run, and the build goes on
    const q = project({ env: { PYTHON_IMAGE: 'python:3.13-slim' } })
    q.write('backend/requirements.txt', 'pydantic==2.5.0\n')
    const off = await q.run('build')
    expect(off.code, off.stderr).toBe(0)
    expect(off.stderr).toContain(
      "could not check the wheels of the backend's pinned dependencies for Python 3.13 (1 of 1 not in the cache): " +
        '127.0.0.1:47 not reachable (ECONNREFUSED); building without the check',
    )
  })

  it('a failed build prints the cause read from its log and the fix, never the shell line; the whole log is saved', async () => {
    // a unique image name: the log file is per image name in the project's .cache, which other test files share
    const name = `bf-${Math.random().toString(36).slice(2, 10)}`
    const p = project({ env: { FRONTEND_IMAGE: name } })
    const log = readFileSync(path.join(buildLogs, 'npm-lock-out-of-sync.log'), 'utf8')
    p.setState({ fail: { 'docker build': { stderr: log, code: 1 } } })
    const file = path.join(root, '.cache', 'build-logs', `${name}.log`)
    try {
      const r = await p.run('build')
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(
        '✖ the frontend image did not build: package-lock.json is out of sync with package.json, so npm ci stopped (Missing: next@16.0.7 from lock file',
      )
      expect(r.stderr).toContain(`fix: cd ${p.dir}/frontend && npm install`)
      expect(r.stderr).toContain(`whole log: .cache/build-logs/${name}.log`)
      expect(r.stderr).not.toContain('/bin/sh -c')
      expect(readFileSync(file, 'utf8')).toBe(log)
    } finally {
      rmSync(file, { force: true })
    }
  })

  it("builds the backend although the frontend failed, and exits 1 with the frontend's cause", async () => {
    const p = project()
    const log = readFileSync(path.join(buildLogs, 'google-font.log'), 'utf8')
    p.setState({
      fail: { [`docker build --progress=plain -f ${p.dir}/docker/frontend.Dockerfile`]: { stderr: log, code: 1 } },
    })
    const r = await p.run('build')
    expect(r.code).toBe(1)
    const m = mutating(r.calls)
    expect(m).toEqual([
      expect.stringMatching(/-t todo-frontend:h-\w{12} /),
      expect.stringMatching(/-t todo-backend:h-\w{12} /),
    ])
    expect(r.stderr).toContain('building the backend image anyway')
    expect(r.stderr).toMatch(/✔ build todo-backend:h-\w{12}/)
    expect(r.stderr).toContain(
      '✖ the frontend image did not build: next build could not download the Google Font Inter',
    )
    expect(r.stderr).not.toContain('/bin/sh -c')
    expect(p.state().images).toEqual([expect.stringMatching(/^todo-backend:h-/)])
  })

  it('app code that demands a server setting while next build collects page data: built again with a placeholder for it', async () => {
    const p = project()
    const log = readFileSync(path.join(buildLogs, 'build-time-setting.log'), 'utf8')
    const frontendBuild = `docker build --progress=plain -f ${p.dir}/docker/frontend.Dockerfile`
    p.setState({ fail: { [frontendBuild]: { stderr: log, code: 1, once: true } } })
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    const builds = mutating(r.calls).filter((c) => c.startsWith(frontendBuild))
    expect(builds).toHaveLength(2)
    expect(builds[0]).not.toContain('BUILD_PLACEHOLDERS')
    expect(builds[1]).toMatch(/ --build-arg BUILD_PLACEHOLDERS=DATABASE_URL -t todo-frontend:h-\w{12} /)
    expect(r.stderr).toContain(
      'next build needs DATABASE_URL while it collects page data (the app reads it at import): building again with a placeholder',
    )
    expect(r.stderr).toMatch(/✔ build todo-frontend:h-\w{12}/)
  })

  it('when both fail, prints both causes and fixes', async () => {
    const p = project()
    p.write('backend/.python-version', '3.12\n')
    const log = readFileSync(path.join(buildLogs, 'npm-lock-out-of-sync.log'), 'utf8')
    p.setState({ fail: { 'docker build': { stderr: log, code: 1 } } })
    const r = await p.run('build')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ the frontend image did not build: package-lock.json is out of sync')
    expect(r.stderr).toContain(`✖ the app pins Python 3.12 (${p.dir}/backend/.python-version:1 3.12)`)
    expect(r.stderr).toContain('fix: set PYTHON_IMAGE=python:3.12-slim in .env')
    expect(r.stderr.indexOf('✖ the frontend')).toBeLessThan(r.stderr.indexOf('✖ the app pins'))
  })
})

describe('load', { timeout: 120_000 }, () => {
  it('minikube: loads both images, skips what minikube has', async () => {
    const p = project()
    await p.run('build')
    const r = await p.run('load')
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([
      expect.stringMatching(/^minikube image load todo-frontend:h-\w{12} -p todo$/),
      expect.stringMatching(/^minikube image load todo-backend:h-\w{12} -p todo$/),
    ])
    const again = await p.run('load')
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toMatch(/minikube todo already has todo-frontend:h-/)
  })

  it("minikube on a one-node docker profile: one docker save of the images, loaded into the node's Docker", async () => {
    const p = project()
    const profile = path.join(p.dir, '.minikube', 'profiles', 'todo')
    p.write(
      path.relative(p.dir, path.join(profile, 'config.json')),
      JSON.stringify({ Driver: 'docker', Nodes: [{}], KubernetesConfig: { ContainerRuntime: 'docker' } }),
    )
    p.setState({ ...p.state(), minikube: { running: true, addons: { ingress: 'enabled' }, images: [] } })
    await p.run('build')
    const r = await p.run('load')
    expect(r.code, r.stderr).toBe(0)
    expect(mutating(r.calls)).toEqual([
      expect.stringMatching(
        /^docker save -o \.cache\/images\/minikube-todo\.tar todo-frontend:h-\w{12} todo-backend:h-\w{12}$/,
      ),
      'docker load -i .cache/images/minikube-todo.tar',
    ])
    // the save asks the local engine, the load the node's
    const [save, load] = r.calls.filter((c) => c.tool === 'docker' && ['save', 'load'].includes(c.args[0]!))
    expect([save!.dockerHost, load!.dockerHost]).toEqual([undefined, 'tcp://127.0.0.1:32771'])
    expect(p.state().minikube.images).toEqual([
      expect.stringMatching(/^docker\.io\/library\/todo-frontend:h-\w{12}$/),
      expect.stringMatching(/^docker\.io\/library\/todo-backend:h-\w{12}$/),
    ])
    expect(existsSync(path.join(root, '.cache', 'images', 'minikube-todo.tar'))).toBe(false)
  })

  it('minikube on a docker profile whose Docker does not answer: minikube image load, whose failure says why', async () => {
    const p = project()
    p.write(
      '.minikube/profiles/todo/config.json',
      JSON.stringify({ Driver: 'docker', Nodes: [{}], KubernetesConfig: { ContainerRuntime: 'docker' } }),
    )
    await p.run('build')
    p.setState({ ...p.state(), minikube: { running: false, addons: {}, images: [] } })
    const r = await p.run('load')
    expect(lines(r.calls).some((l) => l.startsWith('docker save'))).toBe(false)
    expect(mutating(r.calls)[0]).toMatch(/^minikube image load todo-frontend:h-\w{12} -p todo$/)
    // (the fake minikube loads into a stopped profile: a real one fails there with its own message)
    expect(r.calls.some((c) => c.tool === 'minikube' && c.args.includes('docker-env'))).toBe(true)
  })

  it('FRONTEND_AUTH_MIGRATE: loads the migration image too', async () => {
    const p = project({ env: { FRONTEND_AUTH_MIGRATE: 'better-auth:lib/auth.ts' } })
    p.write('docker/frontend.Dockerfile', STAGED_DOCKERFILE)
    p.write('frontend/lib/auth.ts', 'export const auth = betterAuth({})\n')
    await p.run('build')
    const r = await p.run('load')
    expect(r.code, r.stderr).toBe(0)
    expect(mutating(r.calls)).toEqual([
      expect.stringMatching(/^minikube image load todo-frontend:h-\w{12} -p todo$/),
      expect.stringMatching(/^minikube image load todo-frontend-migrate:h-\w{12} -p todo$/),
      expect.stringMatching(/^minikube image load todo-backend:h-\w{12} -p todo$/),
    ])
  })

  it('says to build first when the image with the current tag does not exist', async () => {
    const p = project()
    const r = await p.run('load')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/✖ image todo-frontend:h-\w{12} is not built/)
    expect(r.stderr).toContain('fix: npx zx scripts/build.ts')
  })

  it('containerd: docker save to a file, ctr import it, skip when containerd has it', async () => {
    const sock = '/run/k8s-proof/containerd.sock'
    const p = project({ env: { CLUSTER: 'existing', LOAD_METHOD: 'containerd', CONTAINERD_ADDRESS: sock } })
    await p.run('build')
    const r = await p.run('load')
    expect(r.code).toBe(0)
    const m = mutating(r.calls)
    expect(m).toHaveLength(4)
    expect(m[0]).toMatch(/^docker save -o \.cache\/images\/todo-frontend_h-\w{12}\.tar todo-frontend:h-\w{12}$/)
    expect(m[1]).toMatch(
      new RegExp(`^ctr --address ${sock} -n k8s.io images import \\.cache/images/todo-frontend_h-\\w{12}\\.tar$`),
    )
    expect(p.state().ctr).toEqual([
      expect.stringMatching(/^docker.io\/library\/todo-frontend:h-/),
      expect.stringMatching(/^docker.io\/library\/todo-backend:h-/),
    ])
    expect(mutating((await p.run('load')).calls)).toEqual([])
  })

  it('containerd: an unreachable socket names the key to fix', async () => {
    const p = project({ env: { CLUSTER: 'existing', LOAD_METHOD: 'containerd' } })
    await p.run('build')
    p.setState({ ctrDown: true })
    const r = await p.run('load')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ ctr cannot reach containerd at /run/containerd/containerd.sock')
    expect(r.stderr).toContain('fix: set CONTAINERD_ADDRESS')
  })

  it('kind and registry methods', async () => {
    const k = project({ env: { CLUSTER: 'existing', LOAD_METHOD: 'kind', KIND_CLUSTER: 'dev' } })
    await k.run('build')
    expect(mutating((await k.run('load')).calls)).toEqual([
      expect.stringMatching(/^kind load docker-image todo-frontend:h-\w{12} --name dev$/),
      expect.stringMatching(/^kind load docker-image todo-backend:h-\w{12} --name dev$/),
    ])

    const reg = project({ env: { CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: 'localhost:5000' } })
    await reg.run('build')
    const m = mutating((await reg.run('load')).calls)
    expect(m[0]).toMatch(/^docker tag todo-frontend:(h-\w{12}) localhost:5000\/todo-frontend:\1$/)
    expect(m[1]).toMatch(/^docker push localhost:5000\/todo-frontend:h-\w{12}$/)
    // a loopback registry speaks plain HTTP: it is asked with --insecure, so the second load pushes nothing
    const again = await reg.run('load')
    expect(mutating(again.calls)).toEqual([])
    expect(again.calls.filter((c) => c.args[0] === 'manifest').map((c) => c.args.slice(0, 3).join(' '))).toEqual([
      expect.stringMatching(/^manifest inspect --insecure$/),
      expect.stringMatching(/^manifest inspect --insecure$/),
    ])

    // any other registry only over TLS
    const remote = project({
      env: { CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: 'registry.example.com/me' },
    })
    await remote.run('build')
    const r = await remote.run('load')
    expect(r.calls.filter((c) => c.args[0] === 'manifest').every((c) => !c.args.includes('--insecure'))).toBe(true)
    expect(mutating(r.calls)).toContainEqual(
      expect.stringMatching(/^docker push registry\.example\.com\/me\/todo-backend:h-\w{12}$/),
    )
  })

  it('none: loads nothing', async () => {
    const p = project({ env: { CLUSTER: 'existing' } })
    const r = await p.run('load')
    expect(r.code).toBe(0)
    expect(r.calls).toEqual([])
  })
})
