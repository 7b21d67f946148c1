#!/usr/bin/env zx
// validate: is the deployed release really working? A pass/fail table (or --json for CI), exit 1 if any check fails.
// Every check runs from outside the app (kubectl, helm, docker) or inside its own pods (kubectl exec with the image's
// own python/node), so it works the same on any cluster and any OS, with no port-forward and no shell pipes.
import chalk from 'chalk'
import { defineStage, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { KitError, fail } from './lib/errors.ts'
import { imageDaemon } from './lib/docker-env.ts'
import { DRY, type Result } from './lib/run.ts'
import { diagnose } from './lib/diagnose.ts'
import { allSecrets } from './lib/config-secrets.ts'
import { requireTools } from './lib/tools.ts'
import { httpSend } from './lib/journey/http-send.ts'
import { journeyPlan } from './lib/journey/journey-target.ts'
import { runJourney } from './lib/journey/journey.ts'
import { checkRoute, gatewayGet, routeGet } from './lib/gateway-status.ts'
import { fromChartValues, observeRelease, type Ask, type Component, type Subject } from './lib/validate-subject.ts'
import { largestLayers, largestPackages, largestPackagesArgv } from './lib/image-weight.ts'
import {
  checkDatabase,
  checkHttp,
  checkImageSize,
  checkLeaks,
  checkNonRoot,
  fallbackNote,
  getArgs,
  guard,
  local,
  manifestSources,
  notChecked,
  NODE_GET,
  PY_DB,
  PY_GET,
  type Check,
  type Source,
  type Target,
  withWeights,
} from './lib/checks.ts'

export const validate = defineStage({
  name: 'validate',
  summary: 'check the deployed release end to end: a pass/fail table, exit 1 on any failure',
  checkPaths: false,
  flags: {
    json: { type: 'boolean', description: 'print the result as JSON on stdout (for CI); progress stays on stderr' },
    once: {
      type: 'boolean',
      description: 'check once instead of waiting up to VALIDATE_TIMEOUT for pods and endpoints to settle',
    },
    'no-journey': {
      type: 'boolean',
      description: "skip the journey (sign up, task create/list/update/delete and chat through the browser's URL)",
    },
    url: {
      type: 'string',
      description:
        'the URL the journey uses instead of the ingress or PUBLIC_URL, e.g. http://localhost:3000 (a port-forward)',
    },
  },
  checkFlags: async (flags) => {
    if (typeof flags.url !== 'string') return
    let ok = false
    try {
      ok = /^https?:$/.test(new URL(flags.url).protocol)
    } catch {
      ok = false
    }
    if (!ok) fail(`--url ${flags.url} is not an http(s) URL`, 'npx zx scripts/validate.ts --url http://localhost:3000')
  },
  description: `
Checks, in order:
  release deployed               helm status <release> -o json
  pods ready, no restarts        kubectl get pods -l app.kubernetes.io/instance=<release>
  services have endpoints        kubectl get services / endpointslices
  backend liveness, readiness    kubectl exec <backend pod> -- python -c <GET 127.0.0.1:<port><path>>
  frontend readiness             kubectl exec <frontend pod> -- node -e <fetch 127.0.0.1:<port><path>>
  frontend → backend             kubectl exec <frontend pod> -- node -e <fetch http://<backend service>:<port><liveness path>>
  HTTPRoute attached (ROUTING=gateway)
                                 kubectl get httproutes.gateway.networking.k8s.io <release> (and the Gateway): its status
                                 for GATEWAY_NAME says Accepted=True and ResolvedRefs=True
  backend → database             kubectl exec <backend pod> -- python -c <TCP to DATABASE_URL's host:port, then the readiness path>
  containers run as non-root     kubectl exec <pod> -c <container> -- id -u (else the securityContext)
  images within budget           docker image inspect <image> <base image> (size over base vs *_SIZE_BUDGET_MB);
                                 over it: its five largest packages (docker run --rm --network none <image> du) and
                                 layers (docker history)
  no secrets in images/manifests docker history / docker image inspect / helm get manifest / helm get values:
                                 no value from .env may appear outside the Kubernetes Secret
  journey (one row per step)     through the browser's URL, from this machine: the backend's routes (GET /openapi.json
                                 in its pod), sign up a throwaway user (Better Auth POST /api/auth/sign-up/email, or
                                 the backend's register route), its token (GET /api/auth/token, or the login route),
                                 create → list → update → complete → delete a task, one chat message (when the app's
                                 LLM key is set; the reference app's offline chatbot needs none), then remove the user
                                 where the app can (else the row says what remains)
The journey's URL: on minikube the ingress on \`minikube ip\` with the ingress host as Host header, with ROUTING=gateway
the Gateway's address with that Host header (https: the host is also the TLS server name), else PUBLIC_URL, or --url (e.g. a port-forward: --url
http://localhost:3000); backend paths go through the ingress's (or HTTPRoute's) backendPaths, else the frontend's
/api/backend proxy. --no-journey skips it.
The paths and ports are those of the pods' own httpGet liveness/readiness probes (a named port through the
container's ports); a container without one gets /health, /ready, /api/health and the detail says so. --dry-run has
no pods: it takes them from the chart values (the chart's values.yaml, then HELM_VALUES_FILES) and says so in a
# comment line.
A check that could not run fails (it never passes unseen).`,
  run,
})

type ValidateCheck = {
  id: string
  name: string
  /** runs inside the app's pods: nothing to say when the release has none */
  inPod?: boolean
  /** a check of one configuration only (a row the others never show) */
  only?: (cfg: Ctx['cfg']) => boolean
  run(s: Subject, ask: Ask, ctx: Ctx): Promise<Check>
}

const getIn = (s: Subject, c: Component, t: Target, ask: Ask): Promise<Result | null> =>
  s.exec[c]
    ? ask([...s.exec[c], ...(c === 'backend' ? ['python', '-c', PY_GET] : ['node', '-e', NODE_GET]), ...getArgs(t)])
    : Promise.resolve(null)
const named = (component: string, t: Target): string => `${component} ${t.probe ? `${t.probe} ` : ''}${t.path} 200`
const onPort = (t: Target): string => (t.port ? `port ${t.port}` : '$PORT')

const READY_FIX =
  'the backend cannot use its database: check POSTGRES_PASSWORD / DATABASE_URL in .env, then npx zx scripts/deploy.ts'

/** A GET from inside a component's pod to its own port, at the path its probe asks; by default the fix is its logs. */
function selfGet(id: string, c: Component, target: (s: Subject) => Target, fix?: string): ValidateCheck {
  return {
    id,
    name: `${c} ${id.split('-')[1]}`,
    inPod: true,
    run: async (s, ask, { cfg }) => {
      const t = target(s)
      const r = await getIn(s, c, t, ask)
      const logs = `the ${c} does not answer ${t.path} on ${onPort(t)}: kubectl logs -n ${cfg.namespace} ${s.podName[c]}`
      return checkHttp(id, named(c, t), `${s.podName[c]} GET ${local(t)}`, r, fix ?? logs, fallbackNote(t))
    },
  }
}

// The table, in order. Each check asks its commands through `ask`, so a dry run prints exactly what a real run runs.
const CHECKS: ValidateCheck[] = [
  ...(['release', 'pods', 'endpoints'] as const).map((id) => ({
    id,
    name: id,
    // decided while waiting for the pods to settle
    run: async (s: Subject) => s.settled.find((c) => c.id === id) ?? notChecked(id, id, 'dry run'),
  })),
  selfGet('backend-health', 'backend', (s) => s.backendLive),
  selfGet('backend-ready', 'backend', (s) => s.backendReady, READY_FIX),
  selfGet('frontend-health', 'frontend', (s) => s.frontendHealth),
  {
    id: 'frontend-to-backend',
    name: 'frontend → backend (Service DNS)',
    inPod: true,
    run: async (s, ask, { cfg }) =>
      checkHttp(
        'frontend-to-backend',
        'frontend → backend (Service DNS)',
        `${s.podName.frontend} GET ${s.backendUrl}`,
        s.exec.frontend ? await ask([...s.exec.frontend, 'node', '-e', NODE_GET, s.backendUrl]) : null,
        `the frontend cannot reach the backend Service: check it has endpoints (kubectl get endpointslices -n ${cfg.namespace}) and that no NetworkPolicy blocks frontend → backend`,
        fallbackNote(s.backendLive, 'the backend has '),
      ),
  },
  {
    id: 'gateway-route',
    name: 'HTTPRoute attached to the Gateway',
    only: (cfg) => cfg.routing === 'gateway',
    run: async (_s, ask, { cfg }) => {
      const gw = cfg.gateway!
      const [route, gateway] = await Promise.all([
        ask([...routeGet(cfg.release, cfg.namespace), '-o', 'json']),
        ask([...gatewayGet(gw), '-o', 'json']),
      ])
      if (!route) return notChecked('gateway-route', 'HTTPRoute attached to the Gateway', 'dry run')
      return guard('gateway-route', 'HTTPRoute attached to the Gateway', () =>
        checkRoute(route, gateway, gw, cfg.release, cfg.namespace, cfg.ingress.host),
      )
    },
  },
  {
    id: 'backend-to-database',
    name: 'backend → database',
    inPod: true,
    run: async (s, ask) => {
      const tcp = s.exec.backend ? await ask([...s.exec.backend, 'python', '-c', PY_DB]) : null
      return checkDatabase(tcp, await getIn(s, 'backend', s.backendReady, ask), s.backendReady.path)
    },
  },
  {
    id: 'non-root',
    name: 'containers run as non-root',
    inPod: true,
    run: async (s, ask) => {
      const uids = new Map<string, Result>()
      await Promise.all(
        s.whoami.map(async ({ key, argv }) => {
          const r = await ask(argv)
          if (r) uids.set(key, r)
        }),
      )
      return checkNonRoot(s.running, uids)
    },
  },
  ...(['frontend', 'backend'] as const).map((c): ValidateCheck => ({
    id: `image-size-${c}`,
    name: `${c} image within budget`,
    run: async (s, ask, { cfg }) => {
      const { ref, local: image, base } = s.image[c]
      const name = `${c} image within budget`
      if (!ref || !image) {
        if (s.noPods) return notChecked(`image-size-${c}`, name, s.noPods)
        return {
          id: `image-size-${c}`,
          name,
          status: 'fail',
          detail: `no ${c} pod, so no deployed image to inspect`,
          fix: 'npx zx scripts/deploy.ts',
        }
      }
      const [img, baseImg] = await Promise.all([
        ask(['docker', 'image', 'inspect', image]),
        ask(['docker', 'image', 'inspect', base]),
      ])
      const check = guard(`image-size-${c}`, name, () =>
        checkImageSize(c, ref, base, cfg[c].sizeBudgetMb, img ?? DRY, baseImg ?? DRY),
      )
      if (check.status !== 'fail' || !check.detail.includes(' over ')) return check
      // over budget: say what weighs, so the fix is a decision rather than a search
      const history = (i: string) => ['docker', 'history', '--no-trunc', '--format', '{{json .}}', i]
      const [pkgs, imgHistory, baseHistory] = await Promise.all([
        ask(largestPackagesArgv(image)),
        ask(history(image)),
        ask(history(base)),
      ])
      return withWeights(check, largestPackages(pkgs), largestLayers(imgHistory, baseHistory))
    },
  })),
  {
    id: 'no-secret-leaks',
    name: 'no secrets in images or manifests',
    run: async (s, ask, { cfg }) => {
      const sources: Source[] = []
      const unchecked: string[] = []
      for (const c of ['frontend', 'backend'] as const) {
        const { ref, local: image } = s.image[c]
        if (!ref || !image) continue
        const [img, hist] = await Promise.all([
          ask(['docker', 'image', 'inspect', image]),
          ask(['docker', 'history', '--no-trunc', '--format', '{{json .}}', image]),
        ])
        if (img?.ok) sources.push({ where: `image ${ref} config (docker image inspect)`, text: img.stdout })
        else unchecked.push(`image ${ref}`)
        if (hist?.ok) sources.push({ where: `image ${ref} history (docker history)`, text: hist.stdout })
        else unchecked.push(`history of ${ref}`)
      }
      const [manifest, values] = await Promise.all([
        ask(['helm', 'get', 'manifest', cfg.release, '-n', cfg.namespace]),
        ask(['helm', 'get', 'values', cfg.release, '-n', cfg.namespace, '-o', 'json']),
      ])
      let docs: Source[] | null = null
      try {
        docs = manifest?.ok ? manifestSources(manifest.stdout) : null
      } catch {
        docs = null
      }
      if (docs) sources.push(...docs)
      else unchecked.push('helm get manifest')
      if (values?.ok) sources.push({ where: 'release values (helm get values)', text: values.stdout })
      else unchecked.push('helm get values')
      return guard('no-secret-leaks', 'no secrets in images or manifests', () =>
        checkLeaks(allSecrets(cfg), sources, unchecked),
      )
    },
  },
]

async function run(ctx: Ctx, flags: Flags): Promise<void> {
  const { cfg, dryRun, log } = ctx
  if (!dryRun) {
    // the tools first: a missing helm is not a missing release
    const tools = log.step('preflight')
    await requireTools(ctx, ['kubectl', 'helm'])
    tools.done()
  }
  const ask = asker(ctx, await dockerOf(ctx))
  const subject = dryRun ? await fromChartValues(ctx, ask) : await observeRelease(ctx, ask, { wait: !flags.once })

  const step = log.step('checks inside the pods, images and manifests')
  const checks = await Promise.all(
    CHECKS.filter((c) => c.only?.(cfg) ?? true).map((c) =>
      c.inPod && subject.noPods ? Promise.resolve(notChecked(c.id, c.name, subject.noPods)) : c.run(subject, ask, ctx),
    ),
  )
  step.done()
  if (!flags['no-journey']) checks.push(...(await journey(ctx, subject, ask, flags)))
  if (dryRun) return

  const diagnosis = subject.needsDiagnosis ? await diagnose(ctx) : []
  report(ctx, checks, diagnosis, Boolean(flags.json))
  const failed = checks.filter((c) => c.status === 'fail')
  if (failed.length)
    fail(
      `${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.id).join(', ')}`,
      'fix what the table says, then: npx zx scripts/validate.ts',
    )
}

/**
 * The journey's rows, after the other checks (it runs from this machine, one request at a time). A dry run prints its
 * requests from the same steps.
 */
async function journey(ctx: Ctx, s: Subject, ask: Ask, flags: Flags): Promise<Check[]> {
  if (s.noPods) return [notChecked('journey', 'journey', s.noPods)]
  const step = ctx.log.step('journey: sign up, tasks and chat through the browser URL')
  const plan = await journeyPlan(ctx, s, ask, { url: typeof flags.url === 'string' ? flags.url : undefined })
  if (ctx.dryRun) ctx.log.out(`# the journey, through ${plan.said}; placeholders stand for what only answers give`)
  const rows = await runJourney(plan, ctx.dryRun ? null : httpSend(JOURNEY_REQUEST_MS), (l) => ctx.log.out(l))
  step.done(ctx.dryRun ? undefined : `through ${plan.said}`)
  return rows
}

/** One journey request; a chat turn with a real model is the slowest. */
const JOURNEY_REQUEST_MS = 30_000

/** Each distinct command once (two checks reading one image share its inspect); a dry run prints it instead. */
function asker(ctx: Ctx, docker: Ctx): Ask {
  const asked = new Map<string, Promise<Result | null>>()
  return (argv) => {
    const via = argv[0] === 'docker' ? docker : ctx
    const line = via.commandLine(argv)
    let r = asked.get(line)
    if (!r) {
      if (ctx.dryRun) ctx.log.out(line)
      r = ctx.dryRun ? Promise.resolve(null) : via.query({ timeoutMs: 30_000 })`${argv}`
      asked.set(line, r)
    }
    return r
  }
}

/** LOAD_METHOD=docker-env: the images (and their base images) are in the minikube profile's Docker. */
async function dockerOf(ctx: Ctx): Promise<Ctx> {
  try {
    return await imageDaemon(ctx)
  } catch (e) {
    if (!(e instanceof KitError) || ctx.dryRun) throw e
    ctx.log.warn(`images are checked against the local Docker instead: ${e.message} (fix: ${e.fix})`)
    return ctx
  }
}

function report(ctx: Ctx, checks: Check[], diagnosis: string[], json: boolean): void {
  const { cfg, log } = ctx
  const failed = checks.filter((c) => c.status === 'fail')
  if (json) {
    log.out(
      JSON.stringify(
        {
          ok: failed.length === 0,
          release: cfg.release,
          namespace: cfg.namespace,
          checks,
          ...(diagnosis.length ? { diagnosis } : {}),
        },
        null,
        2,
      ),
    )
    return
  }
  const word = { pass: chalk.green('PASS'), fail: chalk.red('FAIL'), skip: chalk.yellow('SKIP') }
  const w = Math.max(...checks.map((c) => c.name.length))
  log.out('')
  log.out(`${'CHECK'.padEnd(w)}  RESULT  DETAIL`)
  for (const c of checks) log.out(`${c.name.padEnd(w)}  ${word[c.status]}    ${c.detail}`)
  if (failed.length) {
    log.out('')
    for (const c of failed) log.out(`${chalk.red('✖')} ${c.name}: ${c.fix ?? 'see the detail above'}`)
  }
  for (const l of diagnosis) log.out(l)
  log.out('')
  const skipped = checks.filter((c) => c.status === 'skip').length
  log.out(
    failed.length
      ? chalk.red(`${failed.length} of ${checks.length} checks failed`)
      : chalk.green(`all ${checks.length - skipped} checks passed`) +
          (skipped ? chalk.yellow(` (${skipped} skipped)`) : ''),
  )
}

if (isMain(import.meta.url)) await main(validate)
