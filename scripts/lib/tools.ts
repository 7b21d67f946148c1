// Preflight: are the tools there, new enough, and is the Docker engine answering. Install hints per OS.
//
// Exported API (stable):
//   MIN_VERSIONS                         — { kubectl, helm, minikube, docker }
//   installHint(tool): string            — the install command for this OS
//   parseVersion(text): [maj, min, patch] | null
//   requireTools(tools: Tool[]): Promise<Record<Tool, string>>  — versions found; fail()s with hint otherwise
//   helmMajor(): Promise<number>         — 3 or 4 (runs `helm version` even under --dry-run; 3 when helm is missing)
//   rollbackFlag(major): string          — `--atomic` (Helm 3) or `--rollback-on-failure` (Helm 4)
//   requireContext(cfg): Promise<void>   — CLUSTER=minikube: kubectl's current context is the profile, else fail
import type { Config } from './config.ts'
import { fail } from './log.ts'
import { hasTool, query } from './run.ts'

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
  docker: { darwin: 'brew install --cask docker', win32: 'winget install Docker.DockerDesktop', linux: 'https://docs.docker.com/engine/install/ (or: sudo apt-get install docker.io)' },
  kubectl: { darwin: 'brew install kubectl', win32: 'winget install Kubernetes.kubectl', linux: 'https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/' },
  helm: { darwin: 'brew install helm', win32: 'winget install Helm.Helm', linux: 'https://helm.sh/docs/intro/install/' },
  minikube: { darwin: 'brew install minikube', win32: 'winget install Kubernetes.minikube', linux: 'https://minikube.sigs.k8s.io/docs/start/' },
  kind: { darwin: 'brew install kind', win32: 'winget install Kubernetes.kind', linux: 'go install sigs.k8s.io/kind@latest' },
  ctr: { darwin: 'ctr ships with containerd (LOAD_METHOD=containerd is for Linux nodes)', win32: 'ctr ships with containerd', linux: 'sudo apt-get install containerd' },
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

async function versionOf(tool: Tool): Promise<{ ok: boolean; text: string; stderr: string }> {
  const r =
    tool === 'docker' ? await query({ always: true, timeoutMs: 20_000 })`docker version --format {{.Server.Version}}`
    : tool === 'kubectl' ? await query({ always: true, timeoutMs: 20_000 })`kubectl version --client -o json`
    : tool === 'helm' ? await query({ always: true, timeoutMs: 20_000 })`helm version --short`
    : tool === 'minikube' ? await query({ always: true, timeoutMs: 20_000 })`minikube version --short`
    : tool === 'kind' ? await query({ always: true, timeoutMs: 20_000 })`kind version`
    : await query({ always: true, timeoutMs: 20_000 })`ctr --version`
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

export async function requireTools(tools: Tool[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {}
  for (const tool of tools) {
    if (!(await hasTool(tool))) fail(`${tool} is not installed (or not on PATH)`, installHint(tool))
    const v = await versionOf(tool)
    if (tool === 'docker' && !v.ok)
      fail(
        `the Docker engine is not answering: ${v.stderr.split('\n').pop() ?? 'docker version failed'}`,
        process.platform === 'linux' ? 'sudo systemctl start docker' : 'start Docker Desktop, then rerun',
      )
    const parsed = parseVersion(v.text)
    if (!v.ok || !parsed) fail(`could not read the version of ${tool}: ${v.stderr || v.text || 'no output'}`, `${tool} version`)
    if (!atLeast(parsed, MIN_VERSIONS[tool])) fail(`${tool} ${parsed.join('.')} is too old: the kit needs ${MIN_VERSIONS[tool]} or newer`, installHint(tool))
    found[tool] = parsed.join('.')
  }
  return found
}

export async function helmMajor(): Promise<number> {
  const r = await query({ always: true, timeoutMs: 20_000 })`helm version --short`
  return parseVersion(r.stdout)?.[0] ?? 3
}

export const rollbackFlag = (major: number): string => (major >= 4 ? '--rollback-on-failure' : '--atomic')

/** Never deploy to or delete from a cluster the user did not mean: with minikube, the context must be the profile. */
export async function requireContext(cfg: Config): Promise<void> {
  if (cfg.cluster !== 'minikube') return
  const ctx = await query`kubectl config current-context`
  if (ctx.dry) return
  const current = ctx.stdout.trim()
  if (current !== cfg.minikube.profile)
    fail(
      current
        ? `kubectl points at context ${current}, not at minikube profile ${cfg.minikube.profile} (CLUSTER=minikube)`
        : `kubectl has no current context; minikube profile ${cfg.minikube.profile} is not set up`,
      current ? `kubectl config use-context ${cfg.minikube.profile}   (or CLUSTER=existing to use ${current})` : 'npx zx scripts/setup.ts',
    )
}
