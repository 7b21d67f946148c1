// How to reach the app once deploy is done: the hosts-file line for the ingress host, the port-forward, validate.
import type { Ctx } from './stage.ts'
import { chartValue } from './chart-values.ts'

export async function printAccessHints(ctx: Ctx): Promise<void> {
  const { cfg, log } = ctx
  const ns = cfg.namespace
  const svc = `${cfg.release}-frontend`
  if (cfg.ingress.enabled) {
    const ip = await ingressAddress(ctx)
    const hosts = process.platform === 'win32' ? 'C:\\Windows\\System32\\drivers\\etc\\hosts' : '/etc/hosts'
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
    `or without ingress: kubectl port-forward -n ${ns} svc/${svc} ${local}:${remote}  (then http://localhost:${local}${signIn})`,
  )
  if (cfg.cluster === 'minikube')
    log.info(
      `or: minikube service ${svc} -n ${ns} -p ${cfg.minikube.profile} --url  (with frontend.service.type=NodePort)`,
    )
  log.info('check everything: npx zx scripts/validate.ts')
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
