import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  assertSafe,
  classifyKubectlAi,
  FORBIDDEN_FLAGS,
  keyStates,
  parseGordonVersion,
  parseK8sgptVersion,
  parseKagentVersion,
  parseKubectlAiVersion,
  prompts,
  toolCommand,
  transcript,
  type Out,
} from '../../scripts/lib/ai-tools.ts'
import { project, SECRETS, type Call, type Project } from './harness.ts'
import { fixture, useCanned, type Answer } from './canned.ts'

const ai = (f: string): string => readFileSync(fixture('ai', f), 'utf8')
const ok = (stdout: string): Out => ({ ok: true, exitCode: 0, stdout, stderr: '' })
const bad = (stdout: string, stderr = '', exitCode = 1): Out => ({ ok: false, exitCode, stdout, stderr })

describe('detection parsers', () => {
  it("tells Google's kubectl-ai from the older OpenAI plugin of the same name", () => {
    expect(classifyKubectlAi(ok(ai('kubectl-ai-google-help.txt')))).toBe('google')
    expect(classifyKubectlAi(ok(ai('kubectl-ai-legacy-help.txt')))).toBe('legacy')
    // the older plugin refuses even --help without a key
    expect(classifyKubectlAi(bad('Please provide an OpenAI key.\n'))).toBe('legacy')
    expect(classifyKubectlAi(ok('Usage: something else\n'))).toBe('unknown')
  })
  it('reads versions', () => {
    expect(parseKubectlAiVersion(ok(ai('kubectl-ai-google-version.txt')))).toBe('0.0.19')
    expect(parseK8sgptVersion(ok(ai('k8sgpt-version.txt')))).toBe('0.4.22')
    expect(
      parseKagentVersion(ok('{"kagent_version":"0.6.3","git_commit":"a1b2c3d","build_date":"2025-08-20"}\n')),
    ).toBe('0.6.3')
    expect(
      parseGordonVersion(bad('', "docker: unknown command: docker ai\n\nRun 'docker --help' for more information")),
    ).toBeUndefined()
    expect(parseGordonVersion(bad('', "docker: 'ai' is not a docker command.\nSee 'docker --help'"))).toBeUndefined()
    expect(parseGordonVersion(ok('v1.9.11\n'))).toBe('v1.9.11')
  })
})

describe('keys, prompts, commands', () => {
  it('reports key names and where they are, never values', () => {
    const states = keyStates({ GEMINI_API_KEY: 'gm-value-123456789' }, { OPENAI_API_KEY: 'sk-value-123456789' })
    expect(states.find((k) => k.key === 'GEMINI_API_KEY')!.state).toBe('set')
    expect(states.find((k) => k.key === 'OPENAI_API_KEY')!.state).toBe('in .env only')
    expect(states.find((k) => k.key === 'ANTHROPIC_API_KEY')!.state).toBe('not set')
    expect(JSON.stringify(states)).not.toMatch(/value-123456789/)
  })
  it('every prompt has a plain kubectl equivalent that only reads', () => {
    const ps = prompts('todo', 'todo')
    expect(ps.length).toBeGreaterThanOrEqual(6)
    for (const p of ps) {
      expect(p.kubectl.length).toBeGreaterThan(0)
      for (const c of p.kubectl) expect(c).toMatch(/^kubectl (get|describe|logs|top) /)
      expect(p.prompt).toContain('todo')
    }
  })
  it('commands are non-interactive and never skip permissions', () => {
    const p = prompts('todo', 'todo')[0]!
    expect(toolCommand('kubectl-ai', p, 'todo')).toEqual(['kubectl-ai', '--quiet', p.prompt])
    expect(toolCommand('k8sgpt', null, 'todo')).toEqual(['k8sgpt', 'analyze', '--namespace', 'todo'])
    expect(toolCommand('k8sgpt', p, 'todo')).toBeNull()
    for (const id of ['kubectl-ai', 'kagent', 'gordon', 'k8sgpt'] as const) {
      for (const argv of [toolCommand(id, p, 'todo'), toolCommand(id, null, 'todo')]) {
        for (const a of argv ?? []) expect(FORBIDDEN_FLAGS).not.toContain(a)
      }
    }
    expect(() => assertSafe(['kubectl-ai', '--quiet', '--skip-permissions', 'x'])).toThrow(/never skips/)
    expect(() => assertSafe(['kubectl-ai', '--skip-permissions=true', 'x'])).toThrow()
  })
  it('the transcript is redacted and fences output', () => {
    const p = prompts('todo', 'todo')[0]!
    const md = transcript({
      when: new Date('2026-11-21T23:00:00Z'),
      context: 'todo',
      namespace: 'todo',
      release: 'todo',
      ran: true,
      tools: [],
      keys: [],
      prompts: [p],
      exchanges: [
        {
          tool: 'kubectl-ai',
          prompt: p,
          argv: ['kubectl-ai', '--quiet', p.prompt],
          result: { ok: true, exitCode: 0, stdout: 'key is SECRET123 ```', stderr: '', ms: 1500, timedOut: false },
        },
      ],
      redact: (s) => s.split('SECRET123').join('***'),
    })
    expect(md).toContain('# AI examples — 2026-11-21T23:00:00.000Z')
    expect(md).toContain(
      "**kubectl-ai (Google)**: `kubectl-ai --quiet 'Which pods in namespace todo are not ready or restarting, and why?'`",
    )
    expect(md).toContain('exit 0 after 1.5s')
    expect(md).toContain('````text\nkey is *** ```\n````')
    expect(md).not.toContain('SECRET123')
  })
})

// ---------- the stage as a subprocess against fake AI tools ----------

// subprocesses (zx + fake tools) take seconds each; on a loaded 2-core machine more than the project's 30 s default
describe('ai-examples stage (fake kubectl-ai, k8sgpt, docker, kubectl on PATH)', { timeout: 120_000 }, () => {
  const GEMINI = 'gm-test-key-0a1b2c3d4e5f'
  const AI_TOOLS = new Set(['kubectl-ai', 'k8sgpt', 'kagent'])
  const google: Answer[] = [
    { match: '^kubectl-ai --help$', file: fixture('ai', 'kubectl-ai-google-help.txt') },
    { match: '^kubectl-ai version$', file: fixture('ai', 'kubectl-ai-google-version.txt') },
    { match: '^kubectl-ai --quiet ', file: fixture('ai', 'kubectl-ai-answer.txt') },
    { match: '^k8sgpt version$', file: fixture('ai', 'k8sgpt-version.txt') },
    { match: '^k8sgpt analyze --namespace todo$', file: fixture('ai', 'k8sgpt-analyze.txt') },
    // captured from docker 20.10.24 (Debian) without the AI plugin
    {
      match: '^docker ai',
      stderr: "docker: unknown command: docker ai\n\nRun 'docker --help' for more information",
      code: 1,
    },
  ]
  const setup = (answers: Answer[], tools = ['kubectl', 'docker', 'kubectl-ai', 'k8sgpt']): Project => {
    const p = project({ tools: tools.filter((t) => ['kubectl', 'docker'].includes(t)) })
    useCanned(p, tools)
    p.setState({ answers, context: 'todo' })
    return p
  }
  const aiCalls = (calls: Call[]): Call[] =>
    calls.filter((c) => AI_TOOLS.has(c.tool) || (c.tool === 'docker' && c.args[0] === 'ai'))
  const noSecrets = (...texts: string[]): void => {
    for (const t of texts) for (const s of [GEMINI, ...Object.values(SECRETS)]) expect(t).not.toContain(s)
  }

  it('without --run: detects, prints prompts with kubectl, writes a transcript, asks no tool anything', async () => {
    const p = setup(google)
    const file = path.join(p.dir, 'out', 'ai.md')
    const r = await p.run('ai-examples', ['--transcript', file], { GEMINI_API_KEY: GEMINI })
    expect(r.code).toBe(0)
    expect(aiCalls(r.calls).map((c) => [c.tool, ...c.args].join(' '))).toEqual([
      'kubectl-ai --help',
      'kubectl-ai version',
      'docker ai version',
      'k8sgpt version',
    ])
    expect(r.stderr).toContain('kubectl-ai (Google): 0.0.19')
    expect(r.stderr).toContain('k8sgpt: 0.4.22')
    expect(r.stderr).toMatch(/kagent: not installed/)
    expect(r.stderr).toMatch(/Docker AI \(Gordon\): docker has no "ai" command/)
    expect(r.stderr).toContain('GEMINI_API_KEY set, OPENAI_API_KEY in .env only, ANTHROPIC_API_KEY not set')
    expect(r.stdout).toContain('1. Which pods in namespace todo are not ready or restarting, and why?')
    expect(r.stdout).toContain('   kubectl: kubectl get pods -n todo -l app.kubernetes.io/instance=todo')
    expect(r.stderr).toContain('npx zx scripts/ai-examples.ts --run')
    const md = readFileSync(file, 'utf8')
    expect(md).toContain('Nothing was run (pass --run to run the tools).')
    expect(md).toContain('- GEMINI_API_KEY: set')
    noSecrets(r.stdout, r.stderr, md)
  })

  it('--run: each prompt once per tool, stdin closed, no permission-skipping flag, output redacted into the transcript', async () => {
    const p = setup(google)
    const file = path.join(p.dir, 'ai.md')
    const r = await p.run('ai-examples', ['--run', '--transcript', file], { GEMINI_API_KEY: GEMINI })
    expect(r.code).toBe(0)
    const calls = aiCalls(r.calls)
    const asked = calls.filter((c) => c.tool === 'kubectl-ai' && c.args[0] === '--quiet')
    expect(asked).toHaveLength(prompts('todo', 'todo').length)
    expect(asked.map((c) => c.args[1])).toEqual(prompts('todo', 'todo').map((x) => x.prompt))
    expect(calls.filter((c) => c.tool === 'k8sgpt' && c.args[0] === 'analyze')).toHaveLength(1)
    for (const c of calls) {
      for (const a of c.args) expect(FORBIDDEN_FLAGS).not.toContain(a.split('=')[0])
      expect((c as Call & { stdinKind?: string }).stdinKind).toBe('null-or-tty') // /dev/null: nothing to read, no pipe to wait on
    }
    expect(r.stdout).toContain(
      '── kubectl-ai (Google) · 1. Which pods in namespace todo are not ready or restarting, and why?',
    )
    expect(r.stdout).toContain('   The backend pod todo-backend-6d5f7c9b8-x7k2p is in CrashLoopBackOff')
    expect(r.stdout).toContain('── k8sgpt · k8sgpt analyze --namespace todo')
    const md = readFileSync(file, 'utf8')
    expect(md).toContain('The tools were run')
    expect(md).toContain('The backend pod todo-backend-6d5f7c9b8-x7k2p is in CrashLoopBackOff')
    expect(md).toContain('OPENAI_API_KEY=*** and the provider key')
    expect(md).toContain('GEMINI_API_KEY=***.')
    expect(md).toContain('## Namespace analysis')
    expect(md).toContain('1: Service todo/todo-backend()')
    noSecrets(r.stdout, r.stderr, md)
  })

  it('--run stops a tool at the time limit and carries on', async () => {
    const slow = [{ match: '^kubectl-ai --quiet ', stdout: 'never printed', sleepMs: 20_000 }, ...google]
    const p = setup(slow, ['kubectl', 'docker', 'kubectl-ai'])
    const file = path.join(p.dir, 'ai.md')
    const t0 = Date.now()
    const r = await p.run('ai-examples', ['--run', '--prompts', '1,2', '--timeout', '1', '--transcript', file])
    expect(r.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(15_000)
    const md = readFileSync(file, 'utf8')
    expect(md.match(/stopped at the time limit/g)).toHaveLength(2)
    expect(md).not.toContain('never printed')
  })

  it('the older kubectl-ai plugin is recognised and never asked a prompt', async () => {
    const legacy: Answer[] = [
      { match: '^kubectl-ai --help$', stdout: 'Please provide an OpenAI key.', code: 1 },
      ...google.slice(2),
    ]
    const p = setup(legacy, ['kubectl', 'docker', 'kubectl-ai'])
    const r = await p.run('ai-examples', ['--run', '--transcript', path.join(p.dir, 'ai.md')])
    expect(r.code).toBe(0)
    expect(
      aiCalls(r.calls)
        .filter((c) => c.tool === 'kubectl-ai')
        .map((c) => c.args.join(' ')),
    ).toEqual(['--help'])
    expect(r.stderr).toContain('older OpenAI plugin')
    expect(r.stderr).toContain('no usable tool found')
  })

  it('--dry-run prints what --run would execute and runs no prompt, writes no transcript', async () => {
    const p = setup(google)
    const file = path.join(p.dir, 'ai.md')
    const r = await p.run('ai-examples', ['--dry-run', '--prompts', '1', '--transcript', file])
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual([
      "kubectl-ai --quiet 'Which pods in namespace todo are not ready or restarting, and why?'",
      'k8sgpt analyze --namespace todo',
    ])
    expect(aiCalls(r.calls).some((c) => c.args[0] === '--quiet' || c.args[0] === 'analyze')).toBe(false)
    expect(existsSync(file)).toBe(false)
  })

  it('--transcript never lands on .env, a directory, the app or a file it did not write; a negative --timeout is named', async () => {
    const p = setup(google)
    const envBefore = readFileSync(path.join(p.dir, '.env'), 'utf8')
    const cases: [string[], string][] = [
      [['--transcript', path.join(p.dir, '.env')], 'is not a .md file'],
      [['--transcript', p.dir], 'is a directory'],
      [
        ['--transcript', path.join(p.dir, 'frontend/notes.md')],
        'is inside the app, the chart, the Dockerfiles or .git',
      ],
      [
        ['--timeout', '-5'],
        '--timeout -5: a value that starts with "-" is read as a flag; to pass it, write --timeout=-5',
      ],
      [['--timeout=-5'], '--timeout -5 is not a number of seconds'],
    ]
    p.write('notes.md', 'my own notes\n')
    cases.push([
      ['--transcript', path.join(p.dir, 'notes.md')],
      'exists and is not a transcript this stage wrote: not overwritten',
    ])
    for (const [args, says] of cases) {
      const r = await p.run('ai-examples', args)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(says)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expect(readFileSync(path.join(p.dir, '.env'), 'utf8')).toBe(envBefore)
    expect(readFileSync(path.join(p.dir, 'notes.md'), 'utf8')).toBe('my own notes\n')
    // a transcript it wrote is overwritten
    const file = path.join(p.dir, 'ai.md')
    expect((await p.run('ai-examples', ['--transcript', file])).code).toBe(0)
    expect((await p.run('ai-examples', ['--transcript', file])).code).toBe(0)
  })

  it('rejects an unknown tool or prompt number with the fix', async () => {
    const p = setup(google)
    const r = await p.run('ai-examples', ['--tool', 'chatgpt'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('unknown tool chatgpt')
    expect(r.stderr).toContain('fix: npx zx scripts/ai-examples.ts --tool kubectl-ai,kagent,gordon,k8sgpt')
    const r2 = await p.run('ai-examples', ['--prompts', '99'])
    expect(r2.code).toBe(1)
    expect(r2.stderr).toContain('no prompt number 99')
  })
})
