#!/usr/bin/env zx
// ai-examples: which AI assistants for Kubernetes are installed (Google's kubectl-ai, kagent, Docker AI "Gordon",
// k8sgpt), which provider keys they would find, and read-only questions about the deployed app with the plain
// kubectl that answers each. Only with --run are the tools asked, one at a time, with stdin closed and a time limit,
// and never with a flag that skips their permission prompts. A Markdown transcript is written every time.
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { fail } from './lib/errors.ts'
import { toolEnv, type Config } from './lib/config.ts'
import { allSecrets } from './lib/config-secrets.ts'
import { createRedactor } from './lib/redact.ts'
import {
  AI_KEYS,
  TRANSCRIPT_HEADING,
  detect,
  keyStates,
  prompts as allPrompts,
  runTool,
  toolCommand,
  transcript,
  TOOLS,
  type Detected,
  type Exchange,
  type ToolId,
} from './lib/ai-tools.ts'

export const aiExamples = defineStage({
  name: 'ai-examples',
  summary: 'detect AI assistants for Kubernetes and show read-only prompts with their kubectl equivalents',
  checkPaths: false,
  flags: {
    run: {
      type: 'boolean',
      description: 'ask the installed tools the prompts (non-interactive, stdin closed, time-limited)',
    },
    tool: { type: 'string', description: 'only this tool: kubectl-ai, kagent, gordon or k8sgpt (comma list)' },
    prompts: { type: 'string', description: 'only these prompt numbers, e.g. 1,3' },
    timeout: { type: 'string', description: 'time limit per tool call in seconds (default 120)' },
    transcript: {
      type: 'string',
      description: 'write the transcript here (default test-output/ai-transcript-<time>.md, git-ignored)',
    },
  },
  description: `
Never runs a tool without --run, never with a permission-skipping flag (--skip-permissions and the like): a tool
that wants to change the cluster asks, finds stdin closed, and does not. The prompts only ask about state.`,
  run,
})

async function run(ctx: Ctx, flags: Flags): Promise<void> {
  const { cfg, dryRun, query } = ctx
  const { out, info, ok, warn, step } = ctx.log
  const opt = (name: string): string | undefined =>
    typeof flags[name] === 'string' ? (flags[name] as string) : undefined
  const ids = Object.keys(TOOLS) as ToolId[]
  const pick =
    opt('tool') !== undefined
      ? opt('tool')!
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : ids
  for (const t of pick)
    if (!ids.includes(t as ToolId)) fail(`unknown tool ${t}`, `npx zx scripts/ai-examples.ts --tool ${ids.join(',')}`)
  const tools = pick as ToolId[]

  const all = allPrompts(cfg.namespace, cfg.release)
  const wanted =
    opt('prompts') !== undefined
      ? opt('prompts')!
          .split(',')
          .map((s) => Number(s.trim()))
      : all.map((p) => p.n)
  for (const n of wanted)
    if (!all.some((p) => p.n === n))
      fail(`no prompt number ${n} (there are ${all.length})`, `npx zx scripts/ai-examples.ts --prompts 1,2`)
  const prompts = all.filter((p) => wanted.includes(p.n))

  const timeoutS = opt('timeout') !== undefined ? Number(opt('timeout')) : 120
  // a timer longer than ~24 days fires at once: the limit is an hour
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600)
    fail(
      `--timeout ${opt('timeout')} is not a number of seconds from 1 to 3600`,
      'npx zx scripts/ai-examples.ts --run --timeout 120',
    )
  const runTools = Boolean(flags.run)
  // checked before any tool runs: the one file this stage writes must never land on .env, the app or the chart
  const file = transcriptPath(cfg, opt('transcript'))

  // The tools read the environment, not .env: these are their own variables, read here only to say set / not set.
  const env = toolEnv(AI_KEYS)
  const keys = keyStates(env, allSecrets(cfg))
  // the tools' output could echo a provider key: hide those as well as the kit's own secrets
  const redactAll = createRedactor({ ...env, ...allSecrets(cfg) })

  // ---- detection (asks only --help / version, with stdin closed) ----
  const s = step('detect tools')
  const found: Detected[] = []
  for (const id of tools) found.push(await detect(ctx, id))
  s.done(
    found
      .filter((t) => t.usable)
      .map((t) => t.label)
      .join(', ') || 'none found',
  )
  for (const t of found)
    (t.usable ? ok : warn)(`${t.label}: ${t.usable ? `${t.version ?? 'version unknown'} — ${t.note}` : t.note}`)
  info('API keys the tools would find: ' + keys.map((k) => `${k.key} ${k.state}`).join(', '))

  // ---- the prompts and their plain kubectl ----
  const usable = found.filter((t) => t.usable).map((t) => t.id)
  const exchanges: Exchange[] = []
  for (const p of prompts) {
    if (!dryRun) {
      out(`\n${p.n}. ${p.prompt}`)
      for (const c of p.kubectl) out(`   kubectl: ${c}`)
    }
    for (const id of usable) {
      const argv = toolCommand(id, p, cfg.namespace)
      if (argv) exchanges.push({ tool: id, prompt: p, argv })
    }
  }
  for (const id of usable) {
    const argv = toolCommand(id, null, cfg.namespace)
    if (argv) exchanges.push({ tool: id, argv })
  }

  if (dryRun) {
    // what --run would execute, one line each
    for (const e of exchanges) out(ctx.commandLine(e.argv))
    return
  }

  if (runTools) {
    if (exchanges.length === 0) warn('no usable tool found: nothing to run (the prompts above work with plain kubectl)')
    for (const e of exchanges) {
      const st = step(`${TOOLS[e.tool].label}${e.prompt ? ` — prompt ${e.prompt.n}` : ''}`)
      e.result = await runTool(ctx, e.argv, timeoutS * 1000)
      st.done(e.result.timedOut ? `stopped at the ${timeoutS}s limit` : `exit ${e.result.exitCode}`)
      // the answer, as the tool gave it (redacted); stderr only when it says why nothing came
      out(
        `\n── ${TOOLS[e.tool].label}${e.prompt ? ` · ${e.prompt.n}. ${e.prompt.prompt}` : ` · ${ctx.commandLine(e.argv)}`}`,
      )
      for (const l of (e.result.stdout.trim() || e.result.stderr.trim() || '(no output)').split('\n'))
        out(redactAll(`   ${l}`))
    }
  } else if (usable.length) {
    info(`to ask ${usable.map((id) => TOOLS[id].label).join(', ')} these prompts: npx zx scripts/ai-examples.ts --run`)
  }

  // ---- transcript ----
  const current = await query({ timeoutMs: 10_000 })`kubectl config current-context`
  const when = new Date()
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(
    file,
    transcript({
      when,
      context: current.ok ? current.stdout.trim() : 'unknown',
      namespace: cfg.namespace,
      release: cfg.release,
      ran: runTools,
      tools: found,
      keys,
      prompts,
      exchanges,
      redact: redactAll,
    }),
  )
  ok(`transcript: ${shownPath(cfg, file)}`)
}

/**
 * Where the transcript goes: a new `.md` file, or one this stage wrote before (its first line says so). Never the env
 * file, a directory, or a file inside the app's sources, the Dockerfiles' folders or the chart.
 */
function transcriptPath(cfg: Config, given: string | undefined): string {
  const fix = 'npx zx scripts/ai-examples.ts --transcript test-output/ai-transcript.md'
  if (given === undefined)
    return path.join(cfg.root, 'test-output', `ai-transcript-${new Date().toISOString().replace(/[:.]/g, '-')}.md`)
  const file = path.resolve(cfg.root, given)
  const shown = shownPath(cfg, file)
  const stat = statSync(file, { throwIfNoEntry: false })
  if (stat?.isDirectory())
    fail(
      `--transcript ${shown} is a directory: it takes the path of a .md file`,
      `npx zx scripts/ai-examples.ts --transcript ${path.join(shown, 'ai-transcript.md')}`,
    )
  if (!file.endsWith('.md')) fail(`--transcript ${shown} is not a .md file: the transcript is Markdown`, fix)
  const inside = (dir: string): boolean => file === dir || file.startsWith(dir + path.sep)
  const guarded = [
    cfg.envFile ?? path.join(cfg.root, '.env'),
    cfg.frontend.contextDir,
    cfg.backend.contextDir,
    cfg.chartDir,
    path.dirname(cfg.frontend.dockerfile),
    path.dirname(cfg.backend.dockerfile),
    path.join(cfg.root, '.git'),
  ]
  if (guarded.some(inside))
    fail(
      `--transcript ${shown} is inside the app, the chart, the Dockerfiles or .git, or is the env file: not written there`,
      fix,
    )
  if (stat && !(stat.isFile() && startsWith(file, TRANSCRIPT_HEADING)))
    fail(`--transcript ${shown} exists and is not a transcript this stage wrote: not overwritten`, fix)
  return file
}

/** Reads only as many bytes as `prefix` has: the file may be large. */
function startsWith(file: string, prefix: string): boolean {
  const want = Buffer.from(prefix)
  const got = Buffer.alloc(want.length)
  const fd = openSync(file, 'r')
  try {
    return readSync(fd, got, 0, want.length, 0) === want.length && got.equals(want)
  } finally {
    closeSync(fd)
  }
}

if (isMain(import.meta.url)) await main(aiExamples)
