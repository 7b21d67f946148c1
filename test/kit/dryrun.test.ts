// --dry-run prints exactly the commands a stage would run on a fresh machine, copy-pasteable, without secret values,
// and runs nothing; docs/stages.md shows that output (What a fresh machine runs). Also --help, unknown flags and config errors per stage.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { mutating, project, root, SECRETS, type RunResult } from './harness.ts'

// tags are content hashes of the sources, fingerprints hash the chart: compare everything else exactly
// and the tests' .env lives in a temp dir
const normal = (s: string): string =>
  s
    .replace(/h-[0-9a-f]{12}/g, 'h-<hash>')
    .replace(/=[0-9a-f]{16}\b/g, '=<hash>')
    .replace(/`[0-9a-f]{16}`/g, '`<hash>`')
    .replace(/--env-file-if-exists=\S+/g, '--env-file-if-exists=.env')
    .trim()
const stagesDoc = readFileSync(path.join(root, 'docs', 'stages.md'), 'utf8')
const block = (stage: string): string => {
  const m = new RegExp(`<!-- dry-run:${stage} -->\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``).exec(stagesDoc)
  if (!m) throw new Error(`docs/stages.md has no dry-run block for ${stage}`)
  return m[1] as string
}
const probesOnly = (r: RunResult): void => {
  for (const c of r.calls) expect([c.tool, ...c.args].join(' ')).toMatch(/^helm version --short$/)
}
// what a new user puts into .env before the quickstart
const quickstartEnv = `BETTER_AUTH_SECRET=${SECRETS.BETTER_AUTH_SECRET}\nPOSTGRES_PASSWORD=${SECRETS.POSTGRES_PASSWORD}\n`
const noSecrets = (r: RunResult): void => {
  for (const v of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(v)
}

describe('--dry-run', { timeout: 120_000 }, () => {
  it.each(['setup', 'build', 'deploy'])(
    '%s: prints what docs/stages.md shows, runs nothing, no secrets',
    async (stage) => {
      // the defaults a new user has: no minikube profile yet, so LOAD_METHOD is docker-env
      const p = project({ repoPaths: true, envFile: quickstartEnv, env: { LOAD_METHOD: '' } })
      const r = await p.run(stage, ['--dry-run'])
      expect(r.code).toBe(0)
      expect(normal(r.stdout)).toBe(normal(block(stage)))
      expect(r.stderr).toContain('(dry run: nothing is executed)')
      probesOnly(r)
      noSecrets(r)
    },
  )

  it('load: with the defaults (docker-env) nothing to run, as docs/stages.md says; a real run only checks', async () => {
    const p = project({ repoPaths: true, envFile: quickstartEnv, env: { LOAD_METHOD: '' } })
    const r = await p.run('load', ['--dry-run'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(
      "LOAD_METHOD=docker-env: build puts the images straight into minikube profile todo's Docker; nothing to copy",
    )
    expect(stagesDoc).toContain(
      'load has nothing to run: the images were built inside the minikube node (`LOAD_METHOD=docker-env`',
    )
    probesOnly(r)
  })

  it('deploy: the Secret step pastes as it is, reads .env itself and puts no value in argv; Helm 3 gets its own flags', async () => {
    const p = project({ repoPaths: true })
    p.setState({ helmVersion: 'v3.17.2+gcc0bbbd' })
    const r = await p.run('deploy', ['--dry-run'])
    expect(r.stdout).toContain(' --create-namespace --wait --atomic --timeout 5m ')
    noSecrets(r)
    const line = r.stdout.split('\n').find((l) => l.startsWith('node --env-file-if-exists='))
    expect(line).toBeDefined()
    expect(line).toContain('const k=[`BETTER_AUTH_SECRET`,`OPENAI_API_KEY`,`POSTGRES_PASSWORD`]')
    // pasted into a POSIX shell with kubectl on PATH: kubectl gets the Secret on stdin, values from the env file
    const pasted = spawnSync('/bin/sh', ['-c', line as string], {
      cwd: p.dir,
      env: { ...p.env, PATH: `${path.join(p.dir, 'bin')}${path.delimiter}${path.dirname(process.execPath)}` },
      encoding: 'utf8',
    })
    expect(pasted.status, pasted.stderr).toBe(0)
    const applied = p.state().stdin as string[]
    const secret = JSON.parse(applied[applied.length - 1] as string) as {
      kind: string
      metadata: { name: string; namespace: string }
      stringData: Record<string, string>
    }
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'todo-secrets', namespace: 'todo' } })
    expect(secret.stringData).toEqual(SECRETS)
    // and the command line itself holds no value
    for (const v of Object.values(SECRETS)) expect(line).not.toContain(v)
  })

  it('npm run up --dry-run (npm eats the flag and sets npm_config_dry_run) runs nothing and claims nothing', async () => {
    const p = project({ repoPaths: true, envFile: quickstartEnv })
    const r = await p.run('up', [], { npm_config_dry_run: 'true' })
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([])
    expect(r.stdout).toContain('minikube start -p todo')
    expect(r.stderr).not.toContain('✔')
    expect(r.stderr).toContain('dry run')
  })

  it('other load methods and cleanup', async () => {
    const c = project({
      env: { CLUSTER: 'existing', LOAD_METHOD: 'containerd', CONTAINERD_ADDRESS: '/run/containerd/containerd.sock' },
    })
    const r = await c.run('load', ['--dry-run'])
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^docker save -o \.cache\/images\/todo-frontend_h-\w{12}\.tar todo-frontend:h-\w{12}$/),
      expect.stringMatching(
        /^ctr --address \/run\/containerd\/containerd.sock -n k8s.io images import \.cache\/images\/todo-frontend_h-\w{12}\.tar$/,
      ),
      expect.stringMatching(/^docker save -o .*todo-backend/),
      expect.stringMatching(/^ctr --address .* images import .*todo-backend/),
    ])
    expect(r.calls).toEqual([])
    const d = await project().run('cleanup', ['--dry-run', '--purge-data'])
    expect(d.stdout.trim().split('\n')).toEqual([
      'helm uninstall todo -n todo --wait',
      'kubectl delete jobs -n todo -l app.kubernetes.io/instance=todo --ignore-not-found --cascade=foreground --wait',
      'kubectl delete secret todo-secrets -n todo --ignore-not-found',
      'kubectl delete pvc -n todo -l app.kubernetes.io/instance=todo,app.kubernetes.io/component=postgresql --ignore-not-found --wait',
    ])
    expect(d.calls).toEqual([])
  })

  it('up: every stage in order, as one script to paste (the namespace is created once)', async () => {
    const p = project({ repoPaths: true, envFile: quickstartEnv, env: { LOAD_METHOD: '' } })
    const r = await p.run('up', ['--dry-run'])
    expect(r.stderr).toMatch(/setup[\s\S]*build[\s\S]*load[\s\S]*deploy[\s\S]*validate/)
    const deployInUp = block('deploy')
      .split('\n')
      .filter((l) => l !== 'kubectl create namespace todo')
      .join('\n')
    expect(normal(r.stdout).startsWith([block('setup'), block('build'), deployInUp].map(normal).join('\n'))).toBe(true)
    expect(r.stdout.split('\n').filter((l) => l.startsWith('kubectl create namespace'))).toHaveLength(1)
    expect(r.stderr).not.toContain('✔')
    noSecrets(r)
    for (const c of r.calls)
      expect([c.tool, ...c.args].join(' ')).not.toMatch(
        /^(minikube start|docker build|helm upgrade|kubectl (apply|create))/,
      )
  })
})

describe('--help, flags and config errors', { timeout: 120_000 }, () => {
  it.each(['setup', 'build', 'load', 'deploy', 'cleanup', 'up'])('%s --help', async (stage) => {
    const r = await project().run(stage, ['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`npx zx scripts/${stage}.ts`)
    expect(r.stdout).toContain('--dry-run')
    expect(r.calls).toEqual([])
  })

  it('an unknown flag fails with the help command', async () => {
    const r = await project().run('build', ['--dryrun'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ unknown flag --dryrun for build')
    expect(r.stderr).toContain('fix: npx zx scripts/build.ts --help')
  })

  it('a malformed config value stops the stage before any command, naming the key', async () => {
    const r = await project({ env: { MINIKUBE_MEMORY: 'lots' } }).run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ MINIKUBE_MEMORY="lots" is invalid: expected a size like 4096mb or 6g')
    // it came from the environment, which overrides .env: the fix says so
    expect(r.stderr).toContain(
      'fix: unset MINIKUBE_MEMORY or export MINIKUBE_MEMORY=<...> (it comes from the environment, which overrides .env)',
    )
    expect(r.calls).toEqual([])
    const fromFile = await project({
      envFile: `BETTER_AUTH_SECRET=${SECRETS.BETTER_AUTH_SECRET}\nMINIKUBE_MEMORY=lots\n`,
    }).run('setup')
    expect(fromFile.code).toBe(1)
    expect(fromFile.stderr).toMatch(/fix: edit MINIKUBE_MEMORY in \S*\.env \(documented in \.env\.example\)/)
  })

  it('an unknown key in .env is a warning, not an error', async () => {
    const p = project({
      envFile: `BETTER_AUTH_SECRET=${SECRETS.BETTER_AUTH_SECRET}\nPOSTGRES_PASSWORD=${SECRETS.POSTGRES_PASSWORD}\nNAMESAPCE=typo\n`,
    })
    const r = await p.run('build', ['--dry-run'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/! unknown key NAMESAPCE in .*\.env is ignored/)
  })

  it('--env-path picks another file; a missing one says how to make it', async () => {
    const r = await project().run('build', ['--dry-run', '--env-path', 'no-such.env'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/fix: cp \.env\.example \S*no-such\.env/)
  })
})

describe('up', { timeout: 120_000 }, () => {
  it('runs setup, build, load and deploy in order and stops at the first failure', async () => {
    const p = project({ env: { NODE_IMAGE: 'local/node:24' } })
    p.setState({
      context: null,
      fail: { 'helm upgrade': { stderr: 'Error: UPGRADE FAILED: context deadline exceeded', code: 1 } },
    })
    const r = await p.run('up')
    expect(r.code).toBe(1)
    const m = mutating(r.calls)
    const first = (re: RegExp): number => m.findIndex((l) => re.test(l))
    const order = [
      /^minikube start/,
      /^minikube addons enable ingress/,
      /^kubectl create namespace todo/,
      /^docker build .*todo-frontend/,
      /^docker build .*todo-backend/,
      /^minikube image load todo-frontend/,
      /^minikube image load todo-backend/,
      /^kubectl apply -n todo -f -/,
      /^helm upgrade --install/,
    ].map(first)
    expect(order.every((i) => i >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    expect(r.stderr).toContain('✖ helm upgrade of todo failed and was rolled back')
    expect(r.stderr).not.toMatch(/^validate/m)
  })

  it('a missing required secret stops up before setup changes anything', async () => {
    const p = project({ envFile: `POSTGRES_PASSWORD=${SECRETS.POSTGRES_PASSWORD}\n` })
    const r = await p.run('up')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ BETTER_AUTH_SECRET is invalid')
    expect(r.calls).toEqual([])
  })

  it('a source file the tags cannot read (a malformed ignore pattern) stops up before setup, in one line', async () => {
    const p = project()
    p.write('docker/frontend.Dockerfile.dockerignore', '**/node_modules\n[\n')
    for (const stage of ['up', 'build']) {
      const r = await p.run(stage)
      expect(r.code, stage).toBe(1)
      expect(r.stderr).toContain(
        'frontend.Dockerfile.dockerignore: malformed pattern "[" (docker build rejects it too)',
      )
      expect(r.stderr).toContain('fix: edit ')
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /)
      // up stops before setup; build alone still builds the image it can (the backend)
      const builds = stage === 'up' ? [] : [expect.stringMatching(/^docker build .* -t todo-backend:h-\w{12} /)]
      expect(mutating(r.calls)).toEqual(builds)
    }
  })

  it('a failure in setup stops everything after it', async () => {
    const p = project()
    p.setState({ dockerDown: true })
    const r = await p.run('up')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ the Docker engine is not answering')
    expect(mutating(r.calls)).toEqual([])
  })

  it('rejects a flag no stage knows', async () => {
    const r = await project().run('up', ['--dryrun'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ unknown flag --dryrun for up')
  })
})
