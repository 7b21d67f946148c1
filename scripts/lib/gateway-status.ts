// What the cluster says about the Gateway API objects of ROUTING=gateway, as pure functions over kubectl's JSON: the
// Gateway's address (deploy's access hints, validate's journey) and whether the release's HTTPRoute is attached
// (validate's check), each failure with its one-line cause and fix.
import { CLUSTER_FIX, DEPLOY, UNREACHABLE, lastLine, one, type Check, type Out } from './checks.ts'
import type { GatewayRef } from './routing.ts'

/**
 * Resource names with their API group: `kubectl get gateway` means Istio's networking.istio.io Gateway on a cluster
 * that has both, which is not the object the HTTPRoute attaches to.
 */
export const GATEWAY_RESOURCE = 'gateways.gateway.networking.k8s.io'
export const HTTPROUTE_RESOURCE = 'httproutes.gateway.networking.k8s.io'

export const gatewayGet = (gw: GatewayRef): string[] => [
  'kubectl',
  'get',
  GATEWAY_RESOURCE,
  gw.name,
  '-n',
  gw.namespace,
]
export const routeGet = (name: string, namespace: string): string[] => [
  'kubectl',
  'get',
  HTTPROUTE_RESOURCE,
  name,
  '-n',
  namespace,
]
/** The command a user pastes to see the Gateway's address. */
export const addressCommand = (gw: GatewayRef): string =>
  `${gatewayGet(gw).join(' ')} -o jsonpath='{.status.addresses[0].value}'`

type Condition = { type?: string; status?: string; reason?: string; message?: string }
type Gateway = {
  spec?: { gatewayClassName?: string; listeners?: { name?: string }[] }
  status?: { addresses?: { type?: string; value?: string }[]; conditions?: Condition[] }
}
type ParentStatus = {
  parentRef?: { name?: string; namespace?: string; sectionName?: string }
  controllerName?: string
  conditions?: Condition[]
}
type HttpRoute = { status?: { parents?: ParentStatus[] } }

const NO_API = /doesn't have a resource type|no matches for kind|the server could not find the requested resource/i

/** The Gateway's first address (an IP or a host name), or '' when it has none yet or could not be read. */
export function gatewayAddress(r: Out | null): string {
  if (!r?.ok) return ''
  try {
    return (JSON.parse(r.stdout) as Gateway).status?.addresses?.[0]?.value ?? ''
  } catch {
    return ''
  }
}

const condition = (list: Condition[] | undefined, type: string): Condition | undefined =>
  (list ?? []).find((c) => c.type === type)
const said = (c: Condition | undefined): string =>
  c ? `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${one(c.message)}` : ''}` : ''

/**
 * The release's HTTPRoute is Accepted and its backend refs resolved by the Gateway it names. `route` and `gateway`
 * are `kubectl get <resource> <name> -n <ns> -o json`; the Gateway is read for the cause when the route has no
 * status from it.
 */
export function checkRoute(
  route: Out,
  gateway: Out | null,
  gw: GatewayRef,
  name: string,
  namespace: string,
  host: string,
): Check {
  const base = { id: 'gateway-route', name: 'HTTPRoute attached to the Gateway' }
  const fail = (detail: string, fix: string): Check => ({ ...base, status: 'fail', detail, fix })
  const gwName = `${gw.namespace}/${gw.name}`
  const describe = `kubectl describe ${HTTPROUTE_RESOURCE} ${name} -n ${namespace}`
  if (!route.ok) {
    if (UNREACHABLE.test(route.stderr)) return fail(`cluster unreachable: ${lastLine(route.stderr)}`, CLUSTER_FIX)
    if (NO_API.test(route.stderr))
      return fail(
        'the cluster has no Gateway API: HTTPRoute is not a resource it knows',
        'install the Gateway API CRDs and a Gateway controller (docs/other-clusters.md#gateway-api-instead-of-ingress), or set ROUTING=ingress',
      )
    if (/NotFound/.test(route.stderr)) return fail(`no HTTPRoute ${name} in namespace ${namespace}`, DEPLOY)
    return fail(`kubectl get httproute failed: ${lastLine(route.stderr) || `exit ${route.exitCode}`}`, describe)
  }
  const parents = (JSON.parse(route.stdout) as HttpRoute).status?.parents ?? []
  const mine = parents.find(
    (p) =>
      p.parentRef?.name === gw.name &&
      (p.parentRef.namespace ?? namespace) === gw.namespace &&
      (gw.section === null || p.parentRef.sectionName === gw.section),
  )
  if (!mine) return noStatus(gateway, gw, gwName, fail)
  const accepted = condition(mine.conditions, 'Accepted')
  const resolved = condition(mine.conditions, 'ResolvedRefs')
  if (accepted?.status !== 'True') {
    const why = said(accepted) || 'no Accepted condition'
    switch (accepted?.reason) {
      case 'NotAllowedByListeners':
        return fail(
          `Gateway ${gwName} does not take routes from namespace ${namespace}: ${why}`,
          `let its listener admit routes from ${namespace} (spec.listeners[].allowedRoutes.namespaces.from: All, or a Selector matching it), or set GATEWAY_NAME/GATEWAY_NAMESPACE to a Gateway that does`,
        )
      case 'NoMatchingListenerHostname':
        return fail(
          `no listener of Gateway ${gwName} serves host ${host}: ${why}`,
          `set INGRESS_HOST to a host the listener's hostname matches, or add a listener for ${host}, then ${DEPLOY}`,
        )
      case 'NoMatchingParent':
        return fail(
          `Gateway ${gwName} has no ${gw.section ? `listener ${gw.section}` : 'listener'} for the route: ${why}`,
          `set GATEWAY_SECTION to one of its listeners (${gatewayGet(gw).join(' ')} -o jsonpath='{.spec.listeners[*].name}') or unset it, then ${DEPLOY}`,
        )
      default:
        return fail(`Gateway ${gwName} did not accept the route: ${why}`, describe)
    }
  }
  if (resolved?.status !== 'True')
    return fail(
      `Gateway ${gwName} cannot resolve the route's backends: ${said(resolved) || 'no ResolvedRefs condition'}`,
      `the Services ${name}-frontend and ${name}-backend must exist in ${namespace} (kubectl get services -n ${namespace}); ${DEPLOY}`,
    )
  return {
    ...base,
    status: 'pass',
    detail: `Accepted, ResolvedRefs by Gateway ${gwName}${mine.controllerName ? ` (${mine.controllerName})` : ''}`,
  }
}

/** The route has no status from its Gateway: say why from the Gateway itself. */
function noStatus(
  gateway: Out | null,
  gw: GatewayRef,
  gwName: string,
  fail: (detail: string, fix: string) => Check,
): Check {
  const setGateway = `set GATEWAY_NAME/GATEWAY_NAMESPACE to an existing Gateway (kubectl get ${GATEWAY_RESOURCE} -A), then ${DEPLOY}`
  if (gateway && !gateway.ok && /NotFound/.test(gateway.stderr))
    return fail(`Gateway ${gwName} does not exist, so nothing attaches the route`, setGateway)
  if (!gateway?.ok)
    return fail(
      `the route has no status from Gateway ${gwName}, and the Gateway could not be read: ${lastLine(gateway?.stderr ?? '') || 'no answer'}`,
      `${gatewayGet(gw).join(' ')} -o yaml`,
    )
  const g = JSON.parse(gateway.stdout) as Gateway
  const cls = g.spec?.gatewayClassName ?? '?'
  const accepted = condition(g.status?.conditions, 'Accepted')
  if (accepted?.status !== 'True')
    return fail(
      `Gateway ${gwName} is not accepted by the controller of GatewayClass ${cls}: ${said(accepted) || 'no status yet (is its controller running?)'}`,
      `kubectl get gatewayclass ${cls} (ACCEPTED must be True: install or start the Gateway controller that owns it)`,
    )
  return fail(
    `Gateway ${gwName} is accepted but has not reported on the route yet (no status.parents entry for it)`,
    `wait a moment and re-run npx zx scripts/validate.ts; else check the logs of the controller of GatewayClass ${cls}`,
  )
}
