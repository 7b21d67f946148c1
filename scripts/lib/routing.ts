// How users reach the app (ROUTING): the chart's Ingress, a Gateway API HTTPRoute on a Gateway the cluster runs, or
// neither (port-forward, NodePort). The rules across its keys, the resolved setting, and the chart values it becomes.
import type { Value } from './release.ts'
import { Invalid, type Report } from './value-rules.ts'

/** `path` is `prefix` or below it, as an Ingress Prefix path matches (by segment: /apis is not under /api). */
export const underPrefix = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)

export const ROUTINGS = ['ingress', 'gateway', 'none'] as const
export type Routing = (typeof ROUTINGS)[number]

/** The Gateway the HTTPRoute attaches to: the chart's httpRoute.parentRefs[0]. */
export type GatewayRef = {
  name: string
  /** the Gateway's namespace (the release's when GATEWAY_NAMESPACE is unset) */
  namespace: string
  /** one listener of the Gateway (e.g. the HTTPS one), or null for every listener that admits the route */
  section: string | null
}

type RoutingKeys = {
  ROUTING: Routing | ''
  INGRESS_ENABLED: boolean
  GATEWAY_NAME: string
  GATEWAY_NAMESPACE: string
  GATEWAY_SECTION: string
  NAMESPACE: string
}

/**
 * ROUTING unset keeps what INGRESS_ENABLED said before ROUTING existed (true: ingress, false: none), so an existing
 * .env routes as it did. Unset means ingress rather than a look at the cluster: config is read before any cluster is
 * asked, and the same .env must mean the same release everywhere.
 */
export function resolveRouting(v: RoutingKeys): { routing: Routing; gateway: GatewayRef | null } {
  const routing: Routing = v.ROUTING || (v.INGRESS_ENABLED ? 'ingress' : 'none')
  if (routing !== 'gateway') return { routing, gateway: null }
  return {
    routing,
    gateway: {
      name: v.GATEWAY_NAME,
      namespace: v.GATEWAY_NAMESPACE || v.NAMESPACE,
      section: v.GATEWAY_SECTION || null,
    },
  }
}

/** The rules across keys: gateway needs GATEWAY_NAME; ROUTING=ingress and INGRESS_ENABLED=false contradict. */
export function checkRouting(v: RoutingKeys, issue: Report): void {
  if (v.ROUTING === 'ingress' && !v.INGRESS_ENABLED) {
    const expected =
      'true or unset with ROUTING=ingress (INGRESS_ENABLED=false is the older spelling of ROUTING=none): remove INGRESS_ENABLED'
    issue('INGRESS_ENABLED', new Invalid(expected, 'false'))
  }
  if (v.ROUTING === 'gateway' && !v.GATEWAY_NAME) {
    const expected =
      'the name of the Gateway the HTTPRoute attaches to when ROUTING=gateway (kubectl get gateways.gateway.networking.k8s.io -A lists them)'
    issue('GATEWAY_NAME', new Invalid(expected, ''))
  }
}

/** The chart values of each routing: exactly one of the Ingress and the HTTPRoute on (the chart refuses both). */
export function routingValues(
  routing: Routing,
  ingress: { className: string; host: string },
  gateway: GatewayRef | null,
  namespace: string,
): Value[] {
  const v: Value[] = [
    ['ingress.enabled', routing === 'ingress'],
    ['ingress.className', ingress.className],
    // the HTTPRoute's host name too (the chart's httpRoute.hostnames defaults to it)
    ['ingress.host', ingress.host],
  ]
  if (routing !== 'gateway' || !gateway) return v
  return [
    ...v,
    ['httpRoute.enabled', true],
    ['httpRoute.parentRefs[0].name', gateway.name],
    // only when it is another namespace: a parentRef without one means the route's own
    ...(gateway.namespace !== namespace ? [['httpRoute.parentRefs[0].namespace', gateway.namespace] as Value] : []),
    ...(gateway.section ? [['httpRoute.parentRefs[0].sectionName', gateway.section] as Value] : []),
  ]
}
