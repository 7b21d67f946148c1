// The stage runtime as a user meets it on day one: no shell needed, every missing tool named at once, nothing deleted
// on a guess, special files in a build context, the kit's older image tags pruned, strict flags.
import { describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { firstRunEnv } from '../../scripts/lib/cli.ts'
import { loadConfig } from '../../scripts/lib/config.ts'
import { requireSecrets } from '../../scripts/lib/config-secrets.ts'
import { createLog } from '../../scripts/lib/log.ts'
import { mutating, project, root } from './harness.ts'

describe('runtime', { timeout: 120_000 }, () => {
  it('runs with no shell on PATH: every command is spawned as argv', async () => {
    const p = project()
    for (const dir of p.env.PATH!.split(path.delimiter))
      for (const sh of ['sh', 'bash', 'dash', 'zsh']) expect(existsSync(path.join(dir, sh))).toBe(false)
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    expect(mutating(r.calls).filter((l) => l.startsWith('docker build'))).toHaveLength(2)
  })

  it('lists every missing tool in one message, each with its install command, before changing anything', async () => {
    const p = project({ tools: ['docker'] })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ 3 tools are missing or unusable:')
    for (const t of ['kubectl', 'helm', 'minikube'])
      expect(r.stderr).toMatch(new RegExp(`${t} is not installed \\(or not on PATH\\) — \\S`))
    expect(mutating(r.calls)).toEqual([])
  })

  it('offers CLUSTER=existing when minikube is missing but kubectl has a working context', async () => {
    const p = project({ tools: ['docker', 'kubectl', 'helm'] })
    p.setState({ context: 'kind-dev' })
    const r = await p.run('setup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ minikube is not installed (or not on PATH)')
    expect(r.stderr).toContain('or use the cluster kubectl already points at (kind-dev): set CLUSTER=existing in .env')
  })

  it('cleanup with helm missing deletes nothing: tools are checked first', async () => {
    const p = project()
    p.setState({
      releases: { 'todo/todo': { status: 'deployed', revision: 1, values: {} } },
      secrets: { 'todo/todo-secrets': { kind: 'Secret' } },
      namespaces: ['todo'],
    })
    const noHelm = project({ tools: ['docker', 'minikube', 'kubectl'] })
    noHelm.setState(p.state())
    const r = await noHelm.run('cleanup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ helm is not installed (or not on PATH)')
    expect(r.stderr).not.toContain('is not installed in todo')
    expect(mutating(r.calls)).toEqual([])
    expect(noHelm.state().secrets['todo/todo-secrets']).toBeDefined()
  })

  it('cleanup does not read a failing helm as "no release"', async () => {
    const p = project()
    p.setState({
      secrets: { 'todo/todo-secrets': { kind: 'Secret' } },
      fail: {
        'helm status': {
          stderr: 'Error: Kubernetes cluster unreachable: the server has asked for the client to provide credentials',
          code: 1,
        },
      },
    })
    const r = await p.run('cleanup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ could not ask helm about release todo: Error: Kubernetes cluster unreachable')
    expect(mutating(r.calls)).toEqual([])
  })

  it('a named pipe or a socket in a build context does not hang build or deploy --dry-run; build says what it left out', async () => {
    const p = project()
    execFileSync('mkfifo', [path.join(p.dir, 'frontend', 'events.pipe')])
    const dry = await p.run('deploy', ['--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    const r = await p.run('build')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/! .*frontend: not part of the frontend image \(not regular files\): events\.pipe/)
  })

  it("cleanup --prune-images removes the kit's older h- tags and keeps the current ones and anything else", async () => {
    const p = project()
    await p.run('build')
    const current = p.state().images as string[]
    p.setState({
      images: [
        ...current,
        'todo-frontend:h-000000000000',
        'todo-backend:h-111111111111',
        'todo-frontend:mine',
        'other:h-222222222222',
      ],
    })
    const r = await p.run('cleanup', ['--prune-images'])
    expect(r.code, r.stderr).toBe(0)
    expect(mutating(r.calls).filter((l) => l.startsWith('docker image rm'))).toEqual([
      'docker image rm todo-frontend:h-000000000000',
      'docker image rm todo-backend:h-111111111111',
    ])
    expect((p.state().images as string[]).sort()).toEqual(
      [...current, 'todo-frontend:mine', 'other:h-222222222222'].sort(),
    )
  })

  it('flags: --env-path without a value, or an empty one, stops with the help command; a value-less flag given a value too', async () => {
    const p = project()
    for (const args of [['--env-path'], ['--env-path', ''], ['--env-path='], ['--dry-run=yes']]) {
      const r = await p.run('build', args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.stderr).toMatch(/✖ --(env-path|dry-run) (needs a value|takes no value)/)
      expect(r.stderr).toContain('fix: npx zx scripts/build.ts --help')
      expect(r.calls).toEqual([])
    }
  })
})

describe('the npm scripts launcher (scripts/kit.mjs)', { timeout: 60_000 }, () => {
  // Debian's nodejs package (20.x) is the old Node a user may have; CI installs it next to the current one
  const oldNode = ['/usr/bin/node', '/usr/bin/nodejs'].find((bin) => {
    if (!existsSync(bin)) return false
    const v = execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
    const [major, minor] = v.split('.').map(Number) as [number, number]
    return major < 22 || (major === 22 && minor < 18)
  })
  const launcher = path.join(root, 'scripts', 'kit.mjs')

  it('on a Node older than 22.18: one clear line and the fix, no stack trace', () => {
    expect(oldNode, 'needs an old Node at /usr/bin/node (apt-get install nodejs), as .ci/run installs').toBeDefined()
    const r = spawnSync(oldNode as string, [launcher, 'up', '--dry-run'], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /^✖ Node\.js 2\d\.\d+\.\d+ is too old: the kit runs its TypeScript stages directly and needs Node\.js 22\.18 or newer\n {2}fix: \S/,
    )
    expect(r.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /)
  })

  it('npx zx scripts/<stage>.ts on a Node older than 22.18: the same line, through the project .npmrc, no stack trace', () => {
    expect(oldNode, 'needs an old Node at /usr/bin/node (apt-get install nodejs), as .ci/run installs').toBeDefined()
    const bin = path.dirname(oldNode as string)
    const r = spawnSync(path.join(bin, 'npx'), ['zx', 'scripts/deploy.ts', '--help'], {
      cwd: path.join(root, 'scripts'),
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
      encoding: 'utf8',
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /^✖ Node\.js 2\d\.\d+\.\d+ is too old: the kit runs its TypeScript stages directly and needs Node\.js 22\.18 or newer\n {2}fix: \S/,
    )
    expect(r.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /)
  })

  it('on this Node: runs the named stage with its flags; an unknown stage is named', async () => {
    const p = project()
    const ok = spawnSync(process.execPath, [launcher, 'build', '--dry-run'], {
      cwd: p.dir,
      env: p.env,
      encoding: 'utf8',
    })
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^docker build --progress=plain -f /m)
    const bad = spawnSync(process.execPath, [launcher, 'deplyo'], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain(
      '✖ unknown stage deplyo: one of init, up, dev, setup, build, load, deploy, validate, ai-examples, cleanup',
    )
  })
})

describe('up is built from the stages', { timeout: 60_000 }, () => {
  it('--help lists each stage flag once, with the stages that take it', async () => {
    const r = await project().run('up', ['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--force +build: build even when an image with this tag exists/)
    expect(r.stdout).toMatch(/--json +validate: print the result as JSON/)
    expect(r.stdout).toMatch(/--env-path <value> +read this file instead of \.env/)
    expect(r.stdout.match(/--dry-run/g)).toHaveLength(1)
  })
})

describe('first run', () => {
  const quiet = () => {
    const lines: string[] = []
    return {
      lines,
      log: createLog({
        redact: (s) => s,
        dryRun: false,
        stderr: { write: (s: string) => lines.push(s) },
        stdout: { write: () => true },
      }),
    }
  }
  it('a stage that needs secrets writes a missing .env with generated ones and says so once; a second run leaves it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-first-'))
    const { lines, log } = quiet()
    expect(firstRunEnv({ log, dryRun: false, root: dir, env: {} })).toBeUndefined()
    const text = readFileSync(path.join(dir, '.env'), 'utf8')
    expect(text).toMatch(/^BETTER_AUTH_SECRET=[A-Za-z0-9+/=]{44}$/m)
    expect(text).toMatch(/^POSTGRES_PASSWORD=[0-9a-f]{48}$/m)
    expect(lines.join('')).toMatch(
      /^• created \.env with generated BETTER_AUTH_SECRET and POSTGRES_PASSWORD \(mode 0600/,
    )
    // the values are never printed
    for (const m of text.matchAll(/^(?:BETTER_AUTH_SECRET|POSTGRES_PASSWORD)=(.+)$/gm))
      expect(lines.join('')).not.toContain(m[1])
    const cfg = loadConfig({ root: dir, env: {}, checkPaths: false })
    expect(() => requireSecrets(cfg)).not.toThrow()
    firstRunEnv({ log, dryRun: false, root: dir, env: {} })
    expect(readFileSync(path.join(dir, '.env'), 'utf8')).toBe(text)
    expect(lines).toHaveLength(1)
  })
  it('a dry run writes nothing, plans with in-memory secrets and says so', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-first-'))
    const { lines, log } = quiet()
    const env = firstRunEnv({ log, dryRun: true, root: dir, env: {} })
    expect(existsSync(path.join(dir, '.env'))).toBe(false)
    expect(env?.BETTER_AUTH_SECRET).toHaveLength(44)
    expect(lines.join('')).toContain(
      'dry run: .env does not exist; a real run writes it with generated BETTER_AUTH_SECRET and POSTGRES_PASSWORD',
    )
  })
})
