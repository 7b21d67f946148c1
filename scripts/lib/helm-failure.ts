// Why `helm upgrade --install` failed, as the one cause and fix deploy stops with: helm's own refusals (a stuck
// operation, no cluster, a chart that does not render) from its stderr, anything else from the pods.
import { fail } from './errors.ts'
import { diagnose } from './diagnose.ts'
import type { Result } from './run.ts'
import type { RolloutWatch } from './rollout-watch.ts'
import { shownPath, type Ctx } from './stage.ts'

// captured from helm 3.17 and 4.1: a schema refusal, a template's `fail`, a values file that does not parse
const RENDER_ERROR =
  /values don't meet the specifications of the schema|execution error at \(|failed to parse \S+\.ya?ml|parse error|template: |YAML parse error/i
// helm template checks kubeVersion against helm's own default version, not the cluster's: only the upgrade says this
const KUBE_VERSION_REFUSED = /chart requires kubeVersion/i

/** helm's last line of stderr: the cause (its "Use --debug flag" hint under a failed render is no cause) */
function helmCause(output: string): string | undefined {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Use --debug flag/.test(l))
    .pop()
}

/** The cause when helm refused to render the chart with these values, else null. */
export function renderRefusal(stderr: string): string | null {
  return RENDER_ERROR.test(stderr) ? (helmCause(stderr) ?? null) : null
}

const lintCommand = ({ cfg }: Ctx): string =>
  ['helm lint', shownPath(cfg, cfg.chartDir), ...cfg.helmValuesFiles.map((f) => `-f ${shownPath(cfg, f)}`)].join(' ')

/** Renders the chart locally with the release's values (helm template: the schema, the templates) and stops on what
 * helm would refuse, so a bad values file fails before deploy changes anything in the cluster. */
export async function requireChartRenders(ctx: Ctx, helmArgs: string[]): Promise<void> {
  const { cfg } = ctx
  const r = await ctx.query({
    timeoutMs: 60_000,
  })`helm template ${cfg.release} ${shownPath(cfg, cfg.chartDir)} -n ${cfg.namespace} ${helmArgs}`
  // anything else (a helm that cannot run at all) is left to the upgrade, which names its own cause
  const why = r.ok ? null : renderRefusal(r.stderr)
  if (why) fail(`the chart did not render: ${why}`, lintCommand(ctx))
}

export async function explainHelmFailure(ctx: Ctx, r: Result, watch: RolloutWatch): Promise<never> {
  const { cfg } = ctx
  const ns = cfg.namespace
  const why = helmCause(r.stderr || r.stdout) ?? `exit code ${r.exitCode}`

  // failures before anything ran: no pods to look at, the fix is about helm, the chart or the cluster
  if (/another operation \(install\/upgrade\/rollback\) is in progress/.test(why))
    fail(
      `helm upgrade of ${cfg.release} did not start: ${why}`,
      `helm history ${cfg.release} -n ${ns}   (then: helm rollback ${cfg.release} -n ${ns})`,
    )
  if (/Kubernetes cluster unreachable/i.test(why))
    fail(
      `helm cannot reach the cluster: ${why}`,
      cfg.cluster === 'minikube' ? 'npx zx scripts/setup.ts' : 'kubectl cluster-info',
    )
  if (RENDER_ERROR.test(r.stderr) || KUBE_VERSION_REFUSED.test(r.stderr))
    fail(`the chart did not render: ${why}`, lintCommand(ctx))

  // the rollback has deleted the new pods by now: what the watch saw during the wait is the better diagnosis
  const now = await diagnose(ctx).catch((e: Error) => [`  ! could not diagnose: ${e.message}`])
  const before = watch.lastFailing()
  const diagnosis =
    now.some((l) => l.includes('✗')) || before.length === 0
      ? now
      : ['(pods as they were before the rollback)', ...before]
  for (const l of diagnosis) ctx.log.detail(l)
  const fix =
    diagnosis
      .find((l) => l.trim().startsWith('fix:'))
      ?.trim()
      .replace(/^fix:\s*/, '') ?? `kubectl get pods -n ${ns}   (then: npx zx scripts/deploy.ts)`
  if (watch.gaveUpOn())
    fail(`helm upgrade of ${cfg.release} stopped early and was rolled back (--fail-fast): ${watch.gaveUpOn()}`, fix)
  fail(`helm upgrade of ${cfg.release} failed and was rolled back: ${why}`, fix)
}
