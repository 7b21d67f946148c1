// LOAD_METHOD=docker-env: the images are built by the minikube profile's own Docker daemon, so the node already has
// them and there is nothing to copy. Instead of `eval $(minikube docker-env)` (a shell, and every later command in it
// pointed at minikube), the kit asks `minikube -p <profile> docker-env --shell none` for its KEY=VALUE lines, keeps the
// DOCKER_* ones the docker CLI needs, and gives them to docker commands only: kubectl, helm and minikube run unchanged.
import type { Config } from './config.ts'
import { KitError } from './errors.ts'
import { showArg, type Result, type ToolEnv } from './run.ts'
import type { Ctx } from './stage.ts'
import { requireTools } from './tools.ts'

// MINIKUBE_ACTIVE_DOCKERD only tells minikube itself which daemon a shell points at; MINIKUBE_EXISTING_* carry the
// user's previous DOCKER_* (possibly another host's address); SSH_* belong to an ssh-agent. None of them is docker's.
export const DOCKER_ENV_KEYS = ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH'] as const

const FIX_METHOD = 'set LOAD_METHOD=minikube in .env (build locally, then minikube image load)'

/** minikube v1.38 `docker-env --shell none`: `KEY=VALUE` lines, unquoted, in a fixed order (cmd/minikube/cmd/docker-env.go). */
export function parseDockerEnv(stdout: string): Record<string, string> | string {
  const vars: Record<string, string> = {}
  for (const raw of stdout.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(raw.replace(/\r$/, ''))
    if (m && (DOCKER_ENV_KEYS as readonly string[]).includes(m[1]!)) vars[m[1]!] = m[2]!
  }
  const host = vars.DOCKER_HOST
  if (!host) return 'it printed no DOCKER_HOST line'
  if (!/^(tcp|unix|ssh|npipe):\/\/\S+$/.test(host))
    return `its DOCKER_HOST is not a docker address (${JSON.stringify(host.slice(0, 80))})`
  if (vars.DOCKER_TLS_VERIFY !== undefined && !/^[01]?$/.test(vars.DOCKER_TLS_VERIFY))
    return 'its DOCKER_TLS_VERIFY is not 1 or empty'
  return vars
}

const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^false exit code \d+$/.test(l))
    .pop() ?? ''

/**
 * Outside a terminal minikube prints its tips nowhere and ends with "false exit code N" on stdout, so the exit code
 * (reason/exitcodes.go: 83 guest not running, 85 guest not found) and the MK_USAGE line on stderr are what to go by.
 */
export function dockerEnvFailure(r: Result, profile: string): KitError {
  const said = lastLine(r.stderr) || lastLine(r.stdout)
  const text = `${r.stderr}\n${r.stdout}`
  const start = 'npx zx scripts/setup.ts   (starts it)'
  if (r.timedOut)
    return new KitError(
      `minikube docker-env -p ${profile} did not answer in time`,
      `minikube status -p ${profile}   (stuck? npx zx scripts/setup.ts, or ${FIX_METHOD})`,
    )
  if (r.exitCode === 85 || /Profile ".*" not found|host does not exist/.test(text))
    return new KitError(
      `minikube profile ${profile} does not exist, so there is no minikube Docker to build in (LOAD_METHOD=docker-env)`,
      start,
    )
  if (r.exitCode === 83 || /is not running/.test(text))
    return new KitError(
      `minikube profile ${profile} is not running, so its Docker cannot build the images (LOAD_METHOD=docker-env)`,
      `${start}   or ${FIX_METHOD}`,
    )
  if (/only supports the (docker and containerd runtimes|containerd runtime with the docker driver)/.test(text))
    return new KitError(
      `minikube profile ${profile} does not run the docker container runtime, which LOAD_METHOD=docker-env builds with (${said})`,
      runtimeFix(profile),
    )
  if (/'none' driver|multi-node/.test(text))
    return new KitError(`minikube profile ${profile} cannot lend its Docker: ${said}`, FIX_METHOD)
  return new KitError(
    `minikube docker-env -p ${profile} failed: ${said || `exit code ${r.exitCode}`}`,
    `minikube -p ${profile} docker-env --shell none   (to see why; or ${FIX_METHOD})`,
  )
}

const runtimeFix = (profile: string): string =>
  `${FIX_METHOD}   or recreate the profile with docker: minikube delete -p ${profile}, then npx zx scripts/setup.ts`

// One answer per configuration: inside `up` build, load and deploy share it (and a dry run prints the line once).
type Answer = { toolEnv: ToolEnv; daemon: string }
const asked = new WeakMap<Config, Promise<Answer>>()

export function imageDaemon(ctx: Ctx): Promise<Ctx> {
  if (ctx.cfg.loadMethod !== 'docker-env') return Promise.resolve(ctx)
  return nodeDocker(ctx)
}

/** The context whose docker commands go to the minikube profile's own Docker daemon (whatever LOAD_METHOD is). */
export function nodeDocker(ctx: Ctx): Promise<Ctx> {
  let p = asked.get(ctx.cfg)
  if (!p) {
    const fresh = ask(ctx)
    // a failure is not remembered: the next stage asks again (the user may have started the profile meanwhile)
    fresh.catch(() => asked.delete(ctx.cfg))
    asked.set(ctx.cfg, fresh)
    p = fresh
  }
  // the runner is the caller's own (up marks its context), only docker's environment comes from the answer
  return p.then((d) => ({ ...ctx, ...ctx.withToolEnv(d.toolEnv), daemon: d.daemon }))
}

async function ask(ctx: Ctx): Promise<Answer> {
  const profile = ctx.cfg.minikube.profile
  const argv = ['minikube', '-p', profile, 'docker-env', '--shell', 'none']
  const daemon = `minikube profile ${profile}'s Docker`
  if (ctx.dryRun) {
    // what a shell does to get the same: the kit itself never evals, it gives docker the parsed DOCKER_* lines only
    ctx.log.out(
      `eval $(minikube -p ${profile} docker-env)  # the docker commands below go to the node's Docker (PowerShell: & minikube -p ${profile} docker-env --shell powershell | Invoke-Expression)`,
    )
    return { toolEnv: { tool: 'docker', vars: {}, shown: '' }, daemon }
  }
  await requireTools(ctx, ['minikube'])
  const r = await ctx.query({ timeoutMs: 120_000 })`${argv}`
  if (!r.ok) throw dockerEnvFailure(r, profile)
  const vars = parseDockerEnv(r.stdout)
  if (typeof vars === 'string')
    throw new KitError(
      `minikube -p ${profile} docker-env printed nothing the kit can use: ${vars}`,
      `minikube -p ${profile} docker-env --shell none   (to see it; or ${FIX_METHOD})`,
    )
  // minikube serves docker-env from a containerd profile through nerdctld over ssh (experimental, and the images
  // would go to containerd, not to a Docker the kit's checks can see): only a docker profile answers with tcp://
  if (/^ssh:\/\//.test(vars.DOCKER_HOST!) || /^SSH_AUTH_SOCK=./m.test(r.stdout))
    throw new KitError(
      `minikube profile ${profile} runs the containerd runtime, not docker: LOAD_METHOD=docker-env needs minikube's Docker daemon`,
      runtimeFix(profile),
    )
  const shown = DOCKER_ENV_KEYS.filter((k) => vars[k] !== undefined)
    .map((k) => `${k}=${showArg(vars[k]!)}`)
    .join(' ')
  ctx.log.detail(`docker commands go to ${daemon} (${vars.DOCKER_HOST})`)
  return { toolEnv: { tool: 'docker', vars, shown }, daemon }
}
