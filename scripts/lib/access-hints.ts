// How to reach the app once deploy is done: the hosts-file line for the ingress host (or the Gateway's address with
// ROUTING=gateway), the port-forward, validate.
import type { Ctx } from './stage.ts'
import { chartValue } from './chart-values.ts'
import { lastLine } from './checks.ts'
import { addressCommand, gatewayAddress, gatewayGet } from './gateway-status.ts'

export async function printAccessHints(ctx: Ctx): Promise<void> {
  const { cfg, log } = ctx
  const ns = cfg.namespace
  const svc = `${cfg.release}-frontend`
  const hosts = process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\hosts' : '/etc/hosts'
  if (cfg.routing === 'gateway') await gatewayHints(ctx, hosts)
  if (cfg.ingress.enabled) {
    const ip = await ingressAddress(ctx)
    if (ip) {
      log.info(`open ${cfg.publicUrl} — once, add this line to ${hosts}:`)
      log.out(`${ip} ${cfg.ingress.host}`)
    } else
      log.info(
        `open ${cfg.publicUrl} once ${cfg.ingress.host} resolves to your ingress controller (kubectl get ingress -n ${ns} shows its address)`,
      )
  }
  // sign-in checks the page's origin: a localhost origin the release already trusts (dev's) is the port to use
  const remote = Number(chartValue(cfg, ['frontend', 'service', 'port'])) || 3000
  const trusted = [cfg.publicUrl, ...cfg.extraOrigins]
    .map((o) => /^http:\/\/localhost:(\d+)\/?$/.exec(o)?.[1])
    .find(Boolean)
  const local = trusted ?? String(remote)
  const signIn = trusted ? '' : `; sign-in needs PUBLIC_URL=http://localhost:${local}`
  log.info(
    `or without ${cfg.routing === 'gateway' ? 'the Gateway' : 'ingress'}: kubectl port-forward -n ${ns} svc/${svc} ${local}:${remote}  (then http://localhost:${local}${signIn})`,
  )
  if (cfg.cluster === 'minikube')
    log.info(
      `or: minikube service ${svc} -n ${ns} -p ${cfg.minikube.profile} --url  (with frontend.service.type=NodePort)`,
    )
  log.info('check everything: npx zx scripts/validate.ts')
}

/**
 * ROUTING=gateway: the Gateway's address, which the host must resolve to. It is the Gateway controller's (often a
 * LoadBalancer Service), so the hint names the address and the Host header rather than a minikube IP.
 */
async function gatewayHints(ctx: Ctx, hosts: string): Promise<void> {
  const { cfg, log } = ctx
  const gw = cfg.gateway!
  const host = cfg.ingress.host
  const r = await ctx.query`${[...gatewayGet(gw), '-o', 'json']}`
  if (!r.ok) {
    log.warn(
      `the Gateway ${gw.namespace}/${gw.name} could not be read (${lastLine(r.stderr)}): npx zx scripts/validate.ts says why`,
    )
    return
  }
  const addr = gatewayAddress(r)
  if (!addr) {
    const tunnel =
      cfg.cluster === 'minikube'
        ? `; on minikube a LoadBalancer gets one from: minikube tunnel -p ${cfg.minikube.profile}`
        : ''
    log.info(
      `open ${cfg.publicUrl} once ${host} resolves to the Gateway ${gw.namespace}/${gw.name}, which has no address yet${tunnel}: ${addressCommand(gw)}`,
    )
    return
  }
  if (/^[\d.]+$|:/.test(addr)) {
    log.info(`open ${cfg.publicUrl} — once, add this line to ${hosts} (the Gateway ${gw.namespace}/${gw.name}):`)
    log.out(`${addr} ${host}`)
  } else
    log.info(
      `the Gateway ${gw.namespace}/${gw.name} is at ${addr}: point ${host} at it (DNS CNAME), then open ${cfg.publicUrl}`,
    )
  log.info(`or try it without DNS: curl -H 'Host: ${host}' http://${addr.includes(':') ? `[${addr}]` : addr}/`)
}

/** The address the ingress host must resolve to, or '' when the cluster does not say. */
async function ingressAddress(ctx: Ctx): Promise<string> {
  const { cfg, log } = ctx
  if (cfg.cluster === 'minikube') {
    // the docker driver on macOS/Windows puts the node in a VM: the ingress is reached through `minikube tunnel`
    if (cfg.minikube.driver === 'docker' && process.platform !== 'linux') {
      log.warn(`keep this running in another terminal: minikube tunnel -p ${cfg.minikube.profile}`)
      return '127.0.0.1'
    }
    const r = await ctx.query`minikube ip -p ${cfg.minikube.profile}`
    return r.ok ? r.stdout.trim() : ''
  }
  type Ingresses = { items?: { status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } }[] }
  const r = await ctx.query`kubectl get ingress -n ${cfg.namespace} -o json`
  try {
    const lb = (JSON.parse(r.stdout) as Ingresses).items?.[0]?.status?.loadBalancer?.ingress?.[0]
    if (!lb?.ip && lb?.hostname)
      log.info(`the ingress is at ${lb.hostname}: point ${cfg.ingress.host} at it (DNS CNAME)`)
    return lb?.ip ?? ''
  } catch {
    return ''
  }
}
