// npm run dev against the fake tools: what it decides to run (the first cycle, the trusted origin of its port-forward,
// the dry run), the bad input it refuses before touching anything, deploy --fail-fast, and the file watcher on a real
// file system. The loop itself (edits, logs, port-forward across rollouts) is proven on a real cluster in
// test/e2e/dev.test.ts.
import { existsSync, mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { mutating, project, root, SECRETS, type Project, type RunResult } from './harness.ts'
import { watchSources } from '../../scripts/lib/watch-sources.ts'
import { startArgv } from '../../scripts/lib/proc.ts'
import type { ImageSpec } from '../../scripts/lib/config.ts'

const fixture = (kind: string, file: string): string => path.join(root, 'test/kit/fixtures/diagnose', kind, file)
const deployable = (): Project => {
  const p = project()
  p.seedImages()
  return p
}
const noSecrets = (r: RunResult): void => {
  for (const v of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(v)
}
const upgrade = (r: RunResult): string | undefined => mutating(r.calls).find((l) => l.startsWith('helm upgrade'))

function listen(): Promise<{ port: number; close(): void }> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() })
    })
  })
}

describe('npm run dev', { timeout: 120_000 }, () => {
  it('--dry-run prints the first cycle with the port-forward origin trusted, then what keeps running; runs nothing', async () => {
    const p = project()
    // the Service port the chart's values give (not the default 3000)
    p.write('values-extra.yaml', 'frontend:\n  service:\n    port: 3100\n')
    p.env.HELM_VALUES_FILES = path.join(p.dir, 'values-extra.yaml')
    const r = await p.run('dev', ['--dry-run', '--port', '3400'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^docker build /m)
    // quoted: zsh would read the brackets as a glob
    expect(r.stdout).toMatch(
      /^helm upgrade --install todo .* --set-string 'extraOrigins\[0\]=http:\/\/localhost:3400'/m,
    )
    expect(r.stdout).toContain('kubectl port-forward -n todo svc/todo-frontend 3400:3100 --address 127.0.0.1')
    expect(r.stderr).toContain('then, until Ctrl-C, a real run would:')
    expect(r.stderr).toMatch(
      /watch \S+\/frontend \(minus what \S+\/docker\/frontend\.Dockerfile\.dockerignore excludes\) and \S+\/docker\/frontend\.Dockerfile: a change runs build, load and deploy --fail-fast for frontend/,
    )
    expect(r.stderr).toMatch(/watch \S+\/backend \(every file: no ignore file\)/)
    for (const c of r.calls) expect([c.tool, ...c.args].join(' ')).toMatch(/^helm version --short$/)
    noSecrets(r)
  })

  it.each([['0'], ['70000'], ['http']])(
    '--port %s is refused before anything runs, on a first run too (no .env written)',
    async (port) => {
      const p = project()
      unlinkSync(path.join(p.dir, '.env'))
      const r = await p.run('dev', ['--port', port])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`--port ${port} is not a port (1 to 65535)`)
      expect(r.calls).toEqual([])
      expect(existsSync(path.join(p.dir, '.env'))).toBe(false)
    },
  )

  it('a port already in use: says so with the flag to pick another, and touches nothing', async () => {
    const busy = await listen()
    try {
      const p = project()
      unlinkSync(path.join(p.dir, '.env'))
      const r = await p.run('dev', ['--port', String(busy.port)])
      expect(existsSync(path.join(p.dir, '.env'))).toBe(false)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`something already listens on 127.0.0.1:${busy.port}`)
      expect(r.stderr).toContain(`fix: npm run dev -- --port ${busy.port + 1}`)
      expect(r.calls).toEqual([])
    } finally {
      busy.close()
    }
  })

  it('--once: one cycle (no watcher, logs or port-forward); a second --once upgrades nothing; --cleanup uninstalls', async () => {
    const p = deployable()
    const first = await p.run('dev', ['--once'])
    expect(first.code, first.stderr).toBe(0)
    expect(upgrade(first)).toContain('--set-string extraOrigins[0]=http://localhost:3000')
    const kubectl = first.calls.filter((c) => c.tool === 'kubectl').map((c) => c.args.join(' '))
    expect(kubectl.filter((a) => /^(port-forward|logs -f)/.test(a))).toEqual([])
    expect(first.stderr).toMatch(/release todo is up to date/)
    // deploy's own hint names the trusted port, without asking for PUBLIC_URL
    expect(first.stderr).toContain(
      'or without ingress: kubectl port-forward -n todo svc/todo-frontend 3000:3000  (then http://localhost:3000)\n',
    )

    // the trusted origin is part of what the release already has: nothing to roll
    const again = await p.run('dev', ['--once'])
    expect(again.code, again.stderr).toBe(0)
    expect(upgrade(again)).toBeUndefined()
    expect(again.stderr).toContain('nothing to upgrade')

    const gone = await p.run('dev', ['--once', '--cleanup'])
    expect(gone.code, gone.stderr).toBe(0)
    expect(mutating(gone.calls)).toContain('helm uninstall todo -n todo --wait')
  })

  it('--once: a release that fails to roll out exits 1 with the diagnosis', async () => {
    const p = deployable()
    p.setState({
      fail: { 'helm upgrade': { stderr: 'Error: UPGRADE FAILED: context deadline exceeded', code: 1 } },
      podsFixture: fixture('crashloop', 'pods.json'),
      eventsFixture: fixture('crashloop', 'events.json'),
    })
    const r = await p.run('dev', ['--once'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('CrashLoopBackOff')
  })
})

describe('deploy --fail-fast', { timeout: 120_000 }, () => {
  it('a pod that crashed twice stops helm at once (it rolls back) instead of waiting out DEPLOY_TIMEOUT', async () => {
    const p = deployable()
    // helm would wait 60 s; the crash-looping pod (5 restarts) is a settled failure
    p.setState({
      fail: {
        'helm upgrade': {
          delayMs: 60_000,
          stderr:
            'Error: UPGRADE FAILED: release todo failed, and has been rolled back due to rollback-on-failure being set: context canceled',
          code: 1,
        },
      },
      podsFixture: fixture('crashloop', 'pods.json'),
      eventsFixture: fixture('crashloop', 'events.json'),
    })
    const t0 = Date.now()
    const r = await p.run('deploy', ['--fail-fast'])
    expect(r.code).toBe(1)
    expect(Date.now() - t0).toBeLessThan(30_000)
    expect(r.stderr).toMatch(
      /stopped early and was rolled back \(--fail-fast\): pod\/\S+: container \S+ keeps crashing/,
    )
  })
})

describe('interrupting a command', () => {
  it('an aborted command gets SIGINT, so it can clean up (helm rolls back) and exit on its own', async () => {
    const ac = new AbortController()
    const child = startArgv(
      [
        process.execPath,
        '-e',
        'process.on("SIGINT", () => { console.log("cleaned up"); process.exit(7) }); console.log("ready"); setInterval(() => {}, 1000)',
      ],
      {
        interrupt: ac.signal,
        onStdout: (s) => {
          if (s.includes('ready')) ac.abort()
        },
      },
    )
    const r = await child.exited
    expect(r.exitCode).toBe(7)
    expect(r.stdout).toContain('cleaned up')
  })
})

describe('watchSources', () => {
  let close: (() => Promise<void>) | null = null
  afterEach(async () => {
    await close?.()
    close = null
  })

  it("wakes on files the image would get, not on what its ignore file excludes; the ignore file's own edits count", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-watch-'))
    const w = (rel: string, text: string): void => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
      writeFileSync(path.join(dir, rel), text)
    }
    w('web/src/page.tsx', 'a\n')
    w('web/node_modules/pkg/index.js', 'a\n')
    w('docker/web.Dockerfile', 'FROM x\n')
    w('docker/web.Dockerfile.dockerignore', 'node_modules\n*.log\n')
    const spec = {
      component: 'frontend',
      contextDir: path.join(dir, 'web'),
      dockerfile: path.join(dir, 'docker/web.Dockerfile'),
    } as ImageSpec
    const seen: string[] = []
    close = (await watchSources([spec], (c, f) => seen.push(`${c}:${path.relative(dir, f)}`))).close
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 700))

    w('web/node_modules/pkg/index.js', 'b\n')
    w('web/debug.log', 'b\n')
    await settle()
    expect(seen).toEqual([])

    w('web/src/page.tsx', 'b\n')
    await settle()
    expect(seen).toEqual(['frontend:web/src/page.tsx'])

    w('docker/web.Dockerfile', 'FROM y\n')
    w('docker/web.Dockerfile.dockerignore', 'node_modules\n*.log\nsrc/drafts\n')
    await settle()
    expect(seen).toContain('frontend:docker/web.Dockerfile')
    expect(seen).toContain('frontend:docker/web.Dockerfile.dockerignore')

    seen.length = 0
    w('web/src/drafts/idea.tsx', 'x\n')
    w('web/src/new.tsx', 'x\n')
    await settle()
    expect(seen).toEqual(['frontend:web/src/new.tsx'])
  })
})
