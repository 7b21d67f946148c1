// PUBLIC_HOST_IN_PODS: the public host inside the cluster. On minikube no DNS knows INGRESS_HOST (the user's hosts
// file does, on their machine), so server code that calls the public URL fails in the pod with ENOTFOUND: a next.config
// rewrite that next build fixed to NEXT_PUBLIC_API_URL=http://todo.local, a fetch of BETTER_AUTH_URL. The frontend and
// backend pods get an /etc/hosts line (the chart's <component>.hostAliases) that sends the host to the ingress
// controller's ClusterIP: the door the browser goes through, with the same paths behind it.
import type { Value } from './release.ts'
import type { Ctx } from './stage.ts'
import { fail } from './errors.ts'

/** minikube's ingress addon: the controller's Service (the addon names it so on every minikube release since 1.16) */
export const INGRESS_CONTROLLER = { namespace: 'ingress-nginx', service: 'ingress-nginx-controller' }

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/

/** The hostAliases values for both app pods, or none when the setting is off or does not apply. */
export async function publicHostValues(ctx: Ctx): Promise<Value[]> {
  const { cfg, query, log, dryRun } = ctx
  if (!cfg.publicHostInPods) return []
  const host = new URL(cfg.publicUrl).hostname
  if (cfg.cluster !== 'minikube' || cfg.routing !== 'ingress' || host !== cfg.ingress.host || IPV4.test(host)) {
    log.warn(
      `PUBLIC_HOST_IN_PODS=true applies to minikube with ROUTING=ingress and PUBLIC_URL on INGRESS_HOST; here the pods resolve ${host} as the cluster's DNS does`,
    )
    return []
  }
  const { namespace, service } = INGRESS_CONTROLLER
  // a dry run asks nothing: it says what a real run adds to the helm command
  if (dryRun) {
    log.info(
      `PUBLIC_HOST_IN_PODS=true: a real run adds --set-string {frontend,backend}.hostAliases[0].ip=<the ClusterIP of ${namespace}/${service}> and hostnames[0]=${host}`,
    )
    return []
  }
  const r = await query`kubectl get service -n ${namespace} ${service} -o jsonpath={.spec.clusterIP}`
  const ip = r.ok ? r.stdout.trim() : ''
  if (!IPV4.test(ip))
    fail(
      `PUBLIC_HOST_IN_PODS=true, but the ingress controller's Service ${namespace}/${service} has no ClusterIP to send ${host} to${r.ok ? '' : ` (${r.stderr.trim().split('\n').pop() ?? ''})`}`,
      `minikube addons enable ingress -p ${cfg.minikube.profile}   (or npx zx scripts/setup.ts, which enables it)`,
    )
  log.detail(`${host} inside the app pods: ${ip} (${namespace}/${service}), PUBLIC_HOST_IN_PODS=true`)
  return (['frontend', 'backend'] as const).flatMap((c): Value[] => [
    [`${c}.hostAliases[0].ip`, ip],
    [`${c}.hostAliases[0].hostnames[0]`, host],
  ])
}
