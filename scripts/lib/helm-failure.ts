// Why `helm upgrade --install` failed, as the one cause and fix deploy stops with: helm's own refusals (a stuck
// operation, no cluster, a chart that does not render) from its stderr, anything else from the pods.
import { fail } from './errors.ts'
import { diagnose } from './diagnose.ts'
import type { Result } from './run.ts'
import type { RolloutWatch } from './rollout-watch.ts'
import { shownPath, type Ctx } from './stage.ts'

export async function explainHelmFailure(ctx: Ctx, r: Result, watch: RolloutWatch): Promise<never> {
  const { cfg } = ctx
  const ns = cfg.namespace
  const lines = (r.stderr || r.stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const why = lines.pop() ?? `exit code ${r.exitCode}`

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
  if (
    /values don't meet the specifications of the schema|parse error|template: |YAML parse error|chart requires kubeVersion/i.test(
      r.stderr,
    )
  ) {
    const valuesFiles = cfg.helmValuesFiles.map((f) => `-f ${shownPath(cfg, f)}`)
    fail(`the chart did not render: ${why}`, ['helm lint', shownPath(cfg, cfg.chartDir), ...valuesFiles].join(' '))
  }

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
