// Preflight: are the tools there, new enough, and is the Docker engine answering. Install hints per OS. Every problem
// is found before any is reported, so one run lists everything to install.
import { KitError, fail } from './errors.ts'
import type { Ctx } from './stage.ts'

export type Tool = 'docker' | 'kubectl' | 'helm' | 'minikube' | 'kind' | 'ctr'

export const MIN_VERSIONS: Record<Tool, string> = {
  docker: '20.10.0',
  kubectl: '1.28.0',
  helm: '3.12.0',
  minikube: '1.32.0',
  kind: '0.20.0',
  ctr: '1.6.0',
}

const HINTS: Record<Tool, { darwin: string; win32: string; linux: string }> = {
  docker: {
    darwin: 'brew install --cask docker',
    win32: 'winget install Docker.DockerDesktop',
    linux: 'https://docs.docker.com/engine/install/ (or: sudo apt-get install docker.io)',
  },
  kubectl: {
    darwin: 'brew install kubectl',
    win32: 'winget install Kubernetes.kubectl',
    linux: 'https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
  },
  helm: {
    darwin: 'brew install helm   (Helm 4; Helm 3.12+ works too)',
    win32: 'winget install Helm.Helm   (Helm 4; Helm 3.12+ works too)',
    linux: 'install Helm 4: https://helm.sh/docs/intro/install/ (Helm 3.12+ works too)',
  },
  minikube: {
    darwin: 'brew install minikube',
    win32: 'winget install Kubernetes.minikube',
    linux: 'https://minikube.sigs.k8s.io/docs/start/',
  },
  kind: {
    darwin: 'brew install kind',
    win32: 'winget install Kubernetes.kind',
    linux: 'go install sigs.k8s.io/kind@latest',
  },
  ctr: {
    darwin: 'ctr ships with containerd (LOAD_METHOD=containerd is for Linux nodes)',
    win32: 'ctr ships with containerd',
    linux: 'sudo apt-get install containerd',
  },
}

export function installHint(tool: Tool): string {
  const os = process.platform === 'darwin' || process.platform === 'win32' ? process.platform : 'linux'
  return HINTS[tool][os]
}

export function parseVersion(text: string): [number, number, number] | null {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null
}

const atLeast = (v: [number, number, number], min: string): boolean => {
  const m = parseVersion(min) as [number, number, number]
  for (let i = 0; i < 3; i++) if (v[i] !== m[i]) return (v[i] as number) > (m[i] as number)
  return true
}

const VERSION_ARGS: Record<Tool, string[]> = {
  docker: ['version', '--format', '{{.Server.Version}}'],
  kubectl: ['version', '--client', '-o', 'json'],
  helm: ['version', '--short'],
  minikube: ['version', '--short'],
  kind: ['version'],
  ctr: ['--version'],
}

async function versionOf(ctx: Ctx, tool: Tool): Promise<{ ok: boolean; text: string; stderr: string }> {
  const r = await ctx.query({ always: true, timeoutMs: 20_000 })`${tool} ${VERSION_ARGS[tool]}`
  let text = r.stdout.trim()
  if (tool === 'kubectl' && r.ok) {
    try {
      text = (JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? text
    } catch {
      /* keep the raw text */
    }
  }
  return { ok: r.ok, text, stderr: r.stderr.trim() }
}

type Problem = { tool: Tool; line: string; fix: string }

export async function requireTools(ctx: Ctx, tools: Tool[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {}
  const problems: Problem[] = []
  await Promise.all(
    tools.map(async (tool) => {
      if (!ctx.hasTool(tool)) {
        problems.push({ tool, line: `${tool} is not installed (or not on PATH)`, fix: installHint(tool) })
        return
      }
      const v = await versionOf(ctx, tool)
      if (tool === 'docker' && !v.ok) {
        const p = ctx.cfg.minikube.profile
        problems.push({
          tool,
          line: `${ctx.daemon ? `${ctx.daemon} is` : 'the Docker engine is'} not answering: ${v.stderr.split('\n').pop() || 'docker version failed'}`,
          fix: ctx.daemon
            ? `minikube status -p ${p}   (then: npx zx scripts/setup.ts, or set LOAD_METHOD=minikube in .env)`
            : process.platform === 'linux'
              ? 'sudo systemctl start docker'
              : 'start Docker Desktop, then rerun',
        })
        return
      }
      const parsed = parseVersion(v.text)
      if (!v.ok || !parsed) {
        problems.push({
          tool,
          line: `could not read the version of ${tool}: ${v.stderr.split('\n').pop() || v.text || 'no output'}`,
          fix: `${tool} ${VERSION_ARGS[tool].join(' ')}`,
        })
        return
      }
      if (!atLeast(parsed, MIN_VERSIONS[tool])) {
        problems.push({
          tool,
          line: `${tool} ${parsed.join('.')} is too old: the kit needs ${MIN_VERSIONS[tool]} or newer`,
          fix: installHint(tool),
        })
        return
      }
      found[tool] = parsed.join('.')
    }),
  )
  if (problems.length === 0) return found
  // keep the order the stage asked for, so the message reads the same every time
  problems.sort((a, b) => tools.indexOf(a.tool) - tools.indexOf(b.tool))
  const details = problems.map((p) => `${p.line} — ${p.fix}`)
  // a user without minikube may already have a cluster: say how to use it instead
  if (problems.some((p) => p.tool === 'minikube') && ctx.cfg.cluster === 'minikube' && ctx.hasTool('kubectl')) {
    const current = await ctx.query({ always: true, timeoutMs: 10_000 })`kubectl config current-context`
    if (current.ok && current.stdout.trim())
      details.push(
        `or use the cluster kubectl already points at (${current.stdout.trim()}): set CLUSTER=existing in .env`,
      )
  }
  if (problems.length === 1) {
    const p = problems[0] as Problem
    throw new KitError(p.line, p.fix, details.slice(1))
  }
  throw new KitError(
    `${problems.length} tools are missing or unusable:`,
    'install them as listed above, then run this stage again',
    details,
  )
}

export async function helmMajor(ctx: Ctx): Promise<number> {
  const r = await ctx.query({ always: true, timeoutMs: 20_000 })`helm version --short`
  return parseVersion(r.stdout)?.[0] ?? 3
}

/**
 * How `helm upgrade` waits and undoes a failed upgrade. Helm 4 waits on kstatus (`--wait=watcher`: every object's
 * status reports it current, Jobs and custom resources included) and renamed `--atomic`; Helm 3 waits on its own
 * readiness rules. Apply mode is left to Helm 4's `--server-side=auto`: server-side for a new release, client-side for
 * one Helm 3 installed, so an upgrade never meets field-ownership conflicts the earlier client-side applies left.
 */
export const helmWaitFlags = (major: number): string[] =>
  major >= 4 ? ['--wait=watcher', '--rollback-on-failure'] : ['--wait', '--atomic']

/** Never deploy to or delete from a cluster the user did not mean: with minikube, the context must be the profile. */
export async function requireContext(ctx: Ctx): Promise<void> {
  if (ctx.cfg.cluster !== 'minikube') return
  const r = await ctx.query`kubectl config current-context`
  if (r.dry) return
  const current = r.stdout.trim()
  const profile = ctx.cfg.minikube.profile
  if (current !== profile)
    fail(
      current
        ? `kubectl points at context ${current}, not at minikube profile ${profile} (CLUSTER=minikube)`
        : `kubectl has no current context; minikube profile ${profile} is not set up`,
      current
        ? `kubectl config use-context ${profile}   (or CLUSTER=existing to use ${current})`
        : 'npx zx scripts/setup.ts',
    )
}
