// LOAD_METHOD=docker-env: the images are built by the minikube profile's Docker. What minikube's answer is turned
// into, and, against the fake tools, which commands get minikube's DOCKER_* (docker only) and what each failure says.
import { describe, expect, it } from 'vitest'
import { DOCKER_ENV_KEYS, dockerEnvFailure, parseDockerEnv } from '../../scripts/lib/docker-env.ts'
import type { Result } from '../../scripts/lib/run.ts'
import { lines, mutating, project, type Call, type Project } from './harness.ts'

const MINIKUBE_DOCKER = 'tcp://127.0.0.1:32771'
const ENV = { LOAD_METHOD: 'docker-env' }
const running = (p: Project, extra: Record<string, unknown> = {}): void =>
  p.setState({
    minikube: { running: true, addons: { ingress: 'enabled' }, images: [], ...extra },
    namespaces: ['todo'],
  })
const docker = (calls: Call[]): Call[] => calls.filter((c) => c.tool === 'docker')
const others = (calls: Call[]): Call[] => calls.filter((c) => c.tool !== 'docker')

describe('parseDockerEnv', () => {
  // minikube v1.38.1 docker-env_test.go, shell "none", with the user's earlier DOCKER_HOST and an ssh-agent
  const out = [
    'DOCKER_TLS_VERIFY=1',
    'DOCKER_HOST=tcp://127.0.0.1:32842',
    'DOCKER_CERT_PATH=/home/dev/.minikube/certs',
    'MINIKUBE_EXISTING_DOCKER_HOST=ssh://deploy@build.example.com',
    'MINIKUBE_ACTIVE_DOCKERD=noneshell',
    'SSH_AUTH_SOCK=/tmp/ssh-KCQt1sNqrCPI/agent.29227',
    'SSH_AGENT_PID=29228',
    '',
  ].join('\n')

  it('keeps only the DOCKER_* variables docker needs', () => {
    expect(parseDockerEnv(out)).toEqual({
      DOCKER_TLS_VERIFY: '1',
      DOCKER_HOST: 'tcp://127.0.0.1:32842',
      DOCKER_CERT_PATH: '/home/dev/.minikube/certs',
    })
    expect(DOCKER_ENV_KEYS).toEqual(['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH'])
  })

  it('reads Windows line ends and a cert path with spaces as they are', () => {
    expect(
      parseDockerEnv(
        'DOCKER_TLS_VERIFY=1\r\nDOCKER_HOST=tcp://127.0.0.1:5000\r\nDOCKER_CERT_PATH=C:\\Users\\A B\\.minikube\\certs\r\n',
      ),
    ).toEqual({
      DOCKER_TLS_VERIFY: '1',
      DOCKER_HOST: 'tcp://127.0.0.1:5000',
      DOCKER_CERT_PATH: 'C:\\Users\\A B\\.minikube\\certs',
    })
  })

  it('refuses output without a usable DOCKER_HOST (a shell script, a stray message)', () => {
    expect(parseDockerEnv('export DOCKER_HOST="tcp://127.0.0.1:32842"\n')).toBe('it printed no DOCKER_HOST line')
    expect(parseDockerEnv('false exit code 83\n')).toBe('it printed no DOCKER_HOST line')
    expect(parseDockerEnv('DOCKER_HOST=127.0.0.1:2376; rm -rf /\n')).toMatch(/^its DOCKER_HOST is not a docker address/)
    expect(parseDockerEnv('DOCKER_HOST=tcp://h:1\nDOCKER_TLS_VERIFY=yes\n')).toBe(
      'its DOCKER_TLS_VERIFY is not 1 or empty',
    )
  })
})

describe('dockerEnvFailure', () => {
  const failed = (exitCode: number, stderr = ''): Result => ({
    ok: false,
    exitCode,
    stdout: `false exit code ${exitCode}\n`,
    stderr,
    dry: false,
  })

  it('a stopped profile (exit 83) and a missing one (exit 85) say to start it', () => {
    const stopped = dockerEnvFailure(failed(83), 'todo')
    expect(stopped.message).toBe(
      'minikube profile todo is not running, so its Docker cannot build the images (LOAD_METHOD=docker-env)',
    )
    expect(stopped.fix).toContain('npx zx scripts/setup.ts')
    expect(stopped.fix).toContain('LOAD_METHOD=minikube')
    expect(dockerEnvFailure(failed(85), 'dev').message).toBe(
      'minikube profile dev does not exist, so there is no minikube Docker to build in (LOAD_METHOD=docker-env)',
    )
  })

  it("minikube's refusal for another runtime names LOAD_METHOD=minikube", () => {
    const e = dockerEnvFailure(
      failed(
        14,
        '❌  Exiting due to MK_USAGE: the docker-env command only supports the docker and containerd runtimes',
      ),
      'todo',
    )
    expect(e.message).toBe(
      'minikube profile todo does not run the docker container runtime, which LOAD_METHOD=docker-env builds with (❌  Exiting due to MK_USAGE: the docker-env command only supports the docker and containerd runtimes)',
    )
    expect(e.fix).toMatch(/^set LOAD_METHOD=minikube in \.env/)
    expect(e.fix).toContain('minikube delete -p todo')
  })
})

describe('stages with LOAD_METHOD=docker-env', { timeout: 120_000 }, () => {
  it("build runs docker with minikube's DOCKER_* only; deploy's kubectl and helm run unchanged", async () => {
    // the user's own DOCKER_HOST must not win over minikube's, and must still reach the other tools as it was
    const own = 'unix:///home/dev/.docker/run/docker.sock'
    const p = project({ env: { ...ENV, DOCKER_HOST: own } })
    running(p)
    const r = await p.run('build')
    expect(r.stderr).toContain('✔ build done')
    expect(r.code).toBe(0)
    // minikube is asked before any docker command: docker's own version check goes to minikube's daemon too
    expect(lines(r.calls).slice(0, 3)).toEqual([
      'minikube version --short',
      'minikube -p todo docker-env --shell none',
      'docker version --format {{.Server.Version}}',
    ])
    const builds = docker(r.calls).filter((c) => c.args[0] === 'build')
    expect(builds).toHaveLength(2)
    // every docker call (version, the "nothing to build" look, build) went to minikube's daemon
    for (const c of docker(r.calls)) expect(c.dockerHost, lines([c])[0]).toBe(MINIKUBE_DOCKER)
    for (const c of others(r.calls)) expect(c.dockerHost).toBe(own)
    expect(r.stderr).toContain("docker engine 28.4.0 (minikube profile todo's Docker)")
    // the images are where the node's runtime sees them, not in the local engine
    expect(p.state().minikube.images).toEqual([
      expect.stringMatching(/^docker\.io\/library\/todo-frontend:h-\w{12}$/),
      expect.stringMatching(/^docker\.io\/library\/todo-backend:h-\w{12}$/),
    ])
    expect(p.state().images ?? []).toEqual([])

    const again = await p.run('build')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toMatch(/todo-frontend:h-\w{12} is up to date/)

    const d = await p.run('deploy')
    expect(d.stderr).toContain('✔ deploy done')
    expect(d.calls.some((c) => c.tool === 'helm' && c.args[0] === 'upgrade')).toBe(true)
    expect(docker(d.calls).map((c) => c.args.slice(0, 2).join(' '))).toEqual(['image inspect', 'image inspect'])
    for (const c of docker(d.calls)) expect(c.dockerHost).toBe(MINIKUBE_DOCKER)
    for (const c of others(d.calls)) expect(c.dockerHost, lines([c])[0]).toBe(own)
    const values = p.state().releases['todo/todo'].values
    // the node has the image under exactly this name: it must never try to pull it
    expect(values.frontend.image).toMatchObject({ repository: 'todo-frontend', pullPolicy: 'IfNotPresent' })
    expect(values.backend.image).toMatchObject({ repository: 'todo-backend', pullPolicy: 'IfNotPresent' })
  })

  it('a stopped profile: a clear error with the fix, nothing built', async () => {
    const p = project({ env: ENV })
    p.setState({ minikube: { running: false, addons: {}, images: [] } })
    const r = await p.run('build')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      '✖ minikube profile todo is not running, so its Docker cannot build the images (LOAD_METHOD=docker-env)',
    )
    expect(r.stderr).toContain('fix: npx zx scripts/setup.ts   (starts it)   or set LOAD_METHOD=minikube in .env')
    expect(docker(r.calls)).toEqual([])
  })

  it.each([
    [
      'containerd on the docker driver (minikube answers over ssh)',
      { runtime: 'containerd' },
      /✖ minikube profile todo runs the containerd runtime, not docker/,
    ],
    [
      'containerd on another driver (minikube refuses)',
      { runtime: 'containerd', driver: 'kvm2' },
      /✖ minikube profile todo does not run the docker container runtime.*only supports the containerd runtime with the docker driver/,
    ],
    [
      'cri-o (minikube refuses)',
      { runtime: 'crio' },
      /✖ minikube profile todo does not run the docker container runtime/,
    ],
  ])('%s: names LOAD_METHOD=minikube, builds nothing', async (_, mk, cause) => {
    const p = project({ env: ENV })
    running(p, mk)
    const r = await p.run('build')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(cause)
    expect(r.stderr).toContain('fix: set LOAD_METHOD=minikube in .env')
    expect(docker(r.calls)).toEqual([])
    // the ssh-agent socket minikube printed is nowhere in the output
    expect(r.stderr).not.toContain('/tmp/ssh-XXXXfake')
  })

  it("load copies nothing and checks minikube's Docker has the images; missing ones name build", async () => {
    const p = project({ env: ENV })
    running(p)
    await p.run('build')
    const r = await p.run('load')
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([])
    expect(r.stderr).toMatch(
      /✔ todo-frontend:h-\w{12} is in minikube profile todo's Docker \(built there\): nothing to copy/,
    )
    const inspected = docker(r.calls).filter((c) => c.args[1] === 'inspect')
    expect(inspected).toHaveLength(2)
    for (const c of inspected) expect(c.dockerHost).toBe(MINIKUBE_DOCKER)

    // the local engine has them, the node does not: that is still "not built" for this method
    const images = p.state().minikube.images.map((i: string) => i.replace('docker.io/library/', ''))
    p.setState({ images, minikube: { ...p.state().minikube, images: [] } })
    const missing = await p.run('load')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/✖ image todo-frontend:h-\w{12} is not built in minikube profile todo's Docker/)
    expect(missing.stderr).toContain('fix: npx zx scripts/build.ts')
  })

  it("deploy refuses images missing from minikube's Docker before helm runs", async () => {
    const p = project({ env: ENV })
    p.seedImages(ENV)
    p.setState({ minikube: { ...p.state().minikube, images: [] } })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /✖ the cluster does not have todo-frontend:h-\w{12} and todo-backend:h-\w{12} \(LOAD_METHOD=docker-env\)/,
    )
    expect(r.stderr).toContain("fix: npx zx scripts/build.ts   (it builds them in minikube profile todo's Docker)")
    expect(mutating(r.calls)).toEqual([])
  })

  it("cleanup --images removes the tags from minikube's Docker, not the local one", async () => {
    const p = project({ env: ENV })
    running(p)
    await p.run('build')
    p.setState({ images: ['todo-frontend:keep'] })
    const r = await p.run('cleanup', ['--images'])
    expect(r.code).toBe(0)
    const removed = docker(r.calls).filter((c) => c.args[1] === 'rm')
    expect(removed.map((c) => c.args[2])).toEqual([
      expect.stringMatching(/^todo-frontend:h-/),
      expect.stringMatching(/^todo-backend:h-/),
    ])
    for (const c of removed) expect(c.dockerHost).toBe(MINIKUBE_DOCKER)
    expect(p.state().minikube.images).toEqual([])
    expect(p.state().images).toEqual(['todo-frontend:keep'])
  })

  it('cleanup --images --stop-minikube on a stopped profile: images left alone with the way to remove them, the rest still done', async () => {
    const p = project({ env: ENV })
    p.setState({
      minikube: { running: false, addons: {}, images: ['docker.io/library/todo-frontend:h-0123456789ab'] },
      namespaces: ['todo'],
    })
    const r = await p.run('cleanup', ['--images', '--stop-minikube'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(
      /! images left alone: minikube profile todo is not running.*; to remove them: npx zx scripts\/setup\.ts .*, then npx zx scripts\/cleanup\.ts --images/,
    )
    expect(docker(r.calls)).toEqual([])
    expect(mutating(r.calls)).toContain('minikube stop -p todo')
  })

  it('--dry-run prints what a shell runs instead (eval, once, before the docker commands), and runs nothing', async () => {
    const p = project({ env: ENV })
    const r = await p.run('build', ['--dry-run'])
    expect(r.code).toBe(0)
    expect(r.calls).toEqual([])
    const out = r.stdout.trim().split('\n')
    expect(out[0]).toBe(
      "eval $(minikube -p todo docker-env)  # the docker commands below go to the node's Docker (PowerShell: & minikube -p todo docker-env --shell powershell | Invoke-Expression)",
    )
    expect(out.slice(1)).toEqual([
      expect.stringMatching(
        /^docker build --progress=plain -f \S+frontend\.Dockerfile --build-arg NODE_IMAGE=node:24-slim -t todo-frontend:h-\w{12} /,
      ),
      expect.stringMatching(/^docker build --progress=plain -f \S+backend\.Dockerfile .* -t todo-backend:h-\w{12} /),
    ])

    // setup asks for the runtime docker-env needs
    const s = await p.run('setup', ['--dry-run'])
    expect(s.stdout).toContain(
      'minikube start -p todo --driver=docker --cpus=2 --memory=4096mb --kubernetes-version=stable --container-runtime=docker\n',
    )
    expect(s.stderr).toContain(
      "new profile: the docker runtime (LOAD_METHOD=docker-env builds in the node's own Docker; minikube 1.39 would otherwise pick containerd)",
    )
    const up = await p.run('up', ['--dry-run'])
    expect(up.code).toBe(0)
    expect(mutating(up.calls)).toEqual([])
    // asked once for the whole run, before its first docker command
    const upLines = up.stdout.split('\n')
    expect(upLines.filter((l) => l.startsWith('eval $(minikube -p todo docker-env)'))).toHaveLength(1)
    expect(upLines.findIndex((l) => l.startsWith('eval $('))).toBeLessThan(
      upLines.findIndex((l) => l.startsWith('docker ')),
    )
    // validate reads the images from minikube's Docker too
    const v = await p.run('validate', ['--dry-run'])
    expect(v.calls).toEqual([])
    const vout = v.stdout.split('\n')
    expect(vout[0]).toMatch(/^eval \$\(minikube -p todo docker-env\)  # /)
    expect(vout).toContainEqual(expect.stringMatching(/^docker image inspect todo-frontend:h-\w{12}$/))
    expect(vout.filter((l) => /^(kubectl|helm) /.test(l)).length).toBeGreaterThan(0)
  })
})
