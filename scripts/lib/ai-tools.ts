// The AI assistants ai-examples knows: how to tell each one is installed (and which kubectl-ai it is), which API keys
// they would find, the read-only prompts worth asking them, and the exact non-interactive command for each.
// Pure except `runTool` and `detect`, which starts a tool with stdin closed and a time limit, so it can never wait for a human.
import { spawnArgv } from './proc.ts'
import type { Ctx } from './stage.ts'

export type ToolId = 'kubectl-ai' | 'kagent' | 'gordon' | 'k8sgpt'
export type Detected = {
  id: ToolId
  label: string
  installed: boolean
  /** false when installed but not the tool we mean (the older kubectl-ai plugin) or not usable */
  usable: boolean
  version?: string
  note: string
}

/** What a command printed; the kit's runner returns the same shape. */
export type Out = { ok: boolean; exitCode: number | null; stdout: string; stderr: string }

export const TOOLS: Record<ToolId, { label: string; install: string }> = {
  'kubectl-ai': {
    label: 'kubectl-ai (Google)',
    install: 'https://github.com/GoogleCloudPlatform/kubectl-ai#installation (or: kubectl krew install ai)',
  },
  kagent: {
    label: 'kagent',
    install: 'https://kagent.dev/docs/kagent/getting-started/quickstart (CLI + controller in the cluster)',
  },
  gordon: {
    label: 'Docker AI (Gordon)',
    install: 'Docker Desktop 4.38+ with "Docker AI" enabled in Settings > Beta features',
  },
  k8sgpt: { label: 'k8sgpt', install: 'https://docs.k8sgpt.ai/getting-started/installation/ (brew install k8sgpt)' },
}

// ---------- detection (pure parsers of --help / version output) ----------

/**
 * Google's kubectl-ai and the older OpenAI plugin (sozercan/kubectl-ai) install the same binary name. Only `--help`
 * is safe to ask both: the older one treats any other word, even `version`, as a prompt for the model.
 */
export function classifyKubectlAi(help: Out): 'google' | 'legacy' | 'unknown' {
  const text = `${help.stdout}\n${help.stderr}`
  if (/--llm-provider|--skip-permissions|--mcp-server|interact with Kubernetes using natural language/i.test(text))
    return 'google'
  if (
    /OpenAI GPT|--openai-api-key|--openai-deployment-name|--require-confirmation|Please provide an OpenAI key/i.test(
      text,
    )
  )
    return 'legacy'
  return 'unknown'
}

/** `kubectl-ai version` → "version: 0.0.19\ncommit: …\ndate: …" */
export const parseKubectlAiVersion = (o: Out): string | undefined => /^version:\s*(\S+)/m.exec(o.stdout)?.[1]
/** `kagent version` → {"kagent_version":"0.6.3","git_commit":…} (possibly after other lines) */
export const parseKagentVersion = (o: Out): string | undefined => /"kagent_version"\s*:\s*"([^"]+)"/.exec(o.stdout)?.[1]
/** `k8sgpt version` → "k8sgpt: 0.4.22 (a1b2c3d), built at: 2025-06-01T10:00:00Z" */
export const parseK8sgptVersion = (o: Out): string | undefined => /k8sgpt:\s*(\S+)/.exec(o.stdout)?.[1]
/** `docker ai version`: the plugin prints its version; without it docker says "'ai' is not a docker command" */
export function parseGordonVersion(o: Out): string | undefined {
  if (!o.ok || /is not a docker command|unknown command/i.test(o.stderr + o.stdout)) return undefined
  const line = o.stdout
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean)
  return line ? (/v?\d+\.\d+(\.\d+)?\S*/.exec(line)?.[0] ?? line) : 'unknown version'
}

// ---------- keys ----------

/** The provider keys the tools read from the environment (names only ever printed, never values). */
export const AI_KEYS = [
  'GEMINI_API_KEY',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'GROK_API_KEY',
  'OPENROUTER_API_KEY',
] as const

export type KeyState = { key: string; state: 'set' | 'in .env only' | 'not set' }

/**
 * Which keys the tools would find. The tools read the environment, not the kit's .env, so OPENAI_API_KEY in .env
 * (the app's key) is reported apart: it would have to be exported to reach them.
 */
export function keyStates(
  env: Record<string, string | undefined>,
  dotenvSecrets: Record<string, string | undefined> = {},
): KeyState[] {
  return AI_KEYS.map((key) => ({
    key,
    state: env[key] ? 'set' : dotenvSecrets[key] ? 'in .env only' : 'not set',
  }))
}

/** The values to hide from anything printed (the tools' output could echo a key). */
export const keyValues = (env: Record<string, string | undefined>): string[] =>
  AI_KEYS.map((k) => env[k]).filter((v): v is string => !!v && v.length >= 8)

// ---------- prompts ----------

export type Prompt = { n: number; prompt: string; kubectl: string[] }

/** Read-only questions about the deployed app, each with the plain kubectl that answers it without AI. */
export function prompts(namespace: string, release: string): Prompt[] {
  const sel = `app.kubernetes.io/instance=${release}`
  const list: Omit<Prompt, 'n'>[] = [
    {
      prompt: `Which pods in namespace ${namespace} are not ready or restarting, and why?`,
      kubectl: [`kubectl get pods -n ${namespace} -l ${sel}`, `kubectl describe pods -n ${namespace} -l ${sel}`],
    },
    {
      prompt: `Show the last 50 log lines of the backend in namespace ${namespace} and summarize any errors.`,
      kubectl: [`kubectl logs -n ${namespace} -l app.kubernetes.io/component=backend,${sel} --tail=50`],
    },
    {
      prompt: `List the Warning events in namespace ${namespace}, newest first.`,
      kubectl: [`kubectl get events -n ${namespace} --field-selector type=Warning --sort-by=.lastTimestamp`],
    },
    {
      prompt: `Which services in namespace ${namespace} have no ready endpoints?`,
      kubectl: [`kubectl get services,endpointslices -n ${namespace}`],
    },
    {
      prompt: `How much CPU and memory do the pods in namespace ${namespace} use compared with their requests and limits?`,
      kubectl: [`kubectl top pods -n ${namespace}`, `kubectl describe pods -n ${namespace} -l ${sel}`],
    },
    {
      prompt: `Does any container in namespace ${namespace} run as root or without resource limits?`,
      kubectl: [`kubectl get pods -n ${namespace} -l ${sel} -o yaml`],
    },
    {
      prompt: `Why might the ingress in namespace ${namespace} not route traffic to the frontend?`,
      kubectl: [`kubectl describe ingress -n ${namespace}`, `kubectl get pods -n ingress-nginx`],
    },
  ]
  return list.map((p, i) => ({ n: i + 1, ...p }))
}

// ---------- commands ----------

/** Flags that let an assistant act without asking; ai-examples never passes them (a test checks every argv). */
export const FORBIDDEN_FLAGS = [
  '--skip-permissions',
  '--dangerously-skip-permissions',
  '--yolo',
  '--auto-approve',
  '--approve-all',
  '--yes',
  '-y',
  '--force',
]

export function assertSafe(argv: readonly string[]): readonly string[] {
  const bad = argv.find((a) => FORBIDDEN_FLAGS.includes(a.split('=')[0]!))
  if (bad)
    throw new Error(`refusing to run ${argv[0]} with ${bad}: ai-examples never skips a tool's permission prompts`)
  return argv
}

/**
 * The non-interactive command for one prompt; null when the tool takes no free-form question (k8sgpt analyses the
 * namespace as a whole, once).
 */
export function toolCommand(id: ToolId, p: Prompt | null, namespace: string): string[] | null {
  switch (id) {
    case 'kubectl-ai':
      return p ? [...assertSafe(['kubectl-ai', '--quiet', p.prompt])] : null
    case 'kagent':
      return p ? [...assertSafe(['kagent', 'invoke', '--agent', 'k8s-agent', '--task', p.prompt])] : null
    case 'gordon':
      return p ? [...assertSafe(['docker', 'ai', p.prompt])] : null
    case 'k8sgpt':
      return p ? null : [...assertSafe(['k8sgpt', 'analyze', '--namespace', namespace])]
  }
}

// ---------- running ----------

export type Ran = Out & { ms: number; timedOut: boolean }

/**
 * Run a tool with stdin closed (never a prompt waiting for a human) and a time limit; never throws. It goes through
 * the kit's one process runner (no shell, its own process group, so the limit also stops what the tool started).
 */
export async function runTool(ctx: Pick<Ctx, 'env'>, argv: readonly string[], timeoutMs: number): Promise<Ran> {
  assertSafe(argv)
  const r = await spawnArgv(argv, { env: ctx.env, timeoutMs })
  return { ok: r.ok, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: r.ms, timedOut: r.timedOut }
}

export async function detect(ctx: Pick<Ctx, 'env' | 'hasTool'>, id: ToolId, timeoutMs = 15_000): Promise<Detected> {
  const base = { id, label: TOOLS[id].label }
  const bin = id === 'gordon' ? 'docker' : id
  if (!ctx.hasTool(bin))
    return { ...base, installed: false, usable: false, note: `not installed: ${TOOLS[id].install}` }
  switch (id) {
    case 'kubectl-ai': {
      const help = await runTool(ctx, ['kubectl-ai', '--help'], timeoutMs)
      const kind = classifyKubectlAi(help)
      if (kind === 'legacy')
        return {
          ...base,
          installed: true,
          usable: false,
          note:
            "this kubectl-ai is the older OpenAI plugin of the same name, not Google's; install Google's: " +
            TOOLS[id].install,
        }
      if (kind === 'unknown')
        return {
          ...base,
          installed: true,
          usable: false,
          note: "a kubectl-ai is on PATH but its --help matches neither Google's tool nor the older plugin",
        }
      const v = parseKubectlAiVersion(await runTool(ctx, ['kubectl-ai', 'version'], timeoutMs))
      return { ...base, installed: true, usable: true, version: v, note: 'Google kubectl-ai' }
    }
    case 'kagent': {
      const v = parseKagentVersion(await runTool(ctx, ['kagent', 'version'], timeoutMs))
      return {
        ...base,
        installed: true,
        usable: true,
        version: v,
        note: 'needs the kagent controller in the cluster (kagent install)',
      }
    }
    case 'gordon': {
      const r = await runTool(ctx, ['docker', 'ai', 'version'], timeoutMs)
      const v = parseGordonVersion(r)
      return v
        ? { ...base, installed: true, usable: true, version: v, note: 'Docker AI agent' }
        : { ...base, installed: false, usable: false, note: `docker has no "ai" command: ${TOOLS[id].install}` }
    }
    case 'k8sgpt': {
      const v = parseK8sgptVersion(await runTool(ctx, ['k8sgpt', 'version'], timeoutMs))
      return {
        ...base,
        installed: true,
        usable: true,
        version: v,
        note: 'analyzes without AI; for explanations configure a backend: k8sgpt auth add',
      }
    }
  }
}

// ---------- transcript ----------

export type Exchange = { tool: ToolId; prompt?: Prompt; argv: string[]; result?: Ran }

const fence = (s: string): string => {
  const ticks = s.includes('```') ? '````' : '```'
  return `${ticks}text\n${s.replace(/\s+$/, '')}\n${ticks}`
}

/** Markdown transcript; `redact` runs over the whole text. */
/** The transcript's first line starts so: ai-examples overwrites only a file that does. */
export const TRANSCRIPT_HEADING = '# AI examples — '

export function transcript(o: {
  when: Date
  context: string
  namespace: string
  release: string
  ran: boolean
  tools: Detected[]
  keys: KeyState[]
  prompts: Prompt[]
  exchanges: Exchange[]
  redact: (s: string) => string
}): string {
  const show = (argv: readonly string[]): string =>
    argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ')
  const L: string[] = [
    `${TRANSCRIPT_HEADING}${o.when.toISOString()}`,
    '',
    `Context \`${o.context}\`, namespace \`${o.namespace}\`, release \`${o.release}\`. ${o.ran ? 'The tools were run (read-only prompts, stdin closed, time-limited).' : 'Nothing was run (pass --run to run the tools).'}`,
    '',
    '## Tools',
    '',
    ...o.tools.map(
      (t) =>
        `- ${t.label}: ${t.usable ? `found${t.version ? ` ${t.version}` : ''}` : t.installed ? 'found, not usable' : 'not found'} — ${t.note}`,
    ),
    '',
    '## API keys (names only)',
    '',
    ...o.keys.map((k) => `- ${k.key}: ${k.state}`),
    '',
    '## Prompts',
    '',
  ]
  for (const p of o.prompts) {
    L.push(`### ${p.n}. ${p.prompt}`, '', 'Plain kubectl:', '', ...p.kubectl.map((c) => `    ${c}`), '')
    for (const e of o.exchanges.filter((x) => x.prompt?.n === p.n)) {
      L.push(`**${TOOLS[e.tool].label}**: \`${show(e.argv)}\``, '')
      if (e.result) {
        const r = e.result
        L.push(
          `${r.timedOut ? 'stopped at the time limit' : `exit ${r.exitCode}`} after ${(r.ms / 1000).toFixed(1)}s`,
          '',
          fence(r.stdout || '(no output)'),
        )
        if (r.stderr.trim()) L.push('', 'stderr:', '', fence(r.stderr))
        L.push('')
      }
    }
  }
  const whole = o.exchanges.filter((x) => !x.prompt)
  if (whole.length) {
    L.push('## Namespace analysis', '')
    for (const e of whole) {
      L.push(`**${TOOLS[e.tool].label}**: \`${show(e.argv)}\``, '')
      if (e.result)
        L.push(
          `${e.result.timedOut ? 'stopped at the time limit' : `exit ${e.result.exitCode}`} after ${(e.result.ms / 1000).toFixed(1)}s`,
          '',
          fence(e.result.stdout || '(no output)'),
          '',
        )
    }
  }
  return o.redact(L.join('\n') + '\n')
}
