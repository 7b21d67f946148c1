// Which of the kit's images the cluster already has, asked the way each LOAD_METHOD would put them there.
// load uses it to skip work; deploy uses it to stop early (instead of waiting out helm's timeout on ImagePullBackOff).
import type { ImageRef } from './images.ts'
import type { Ctx } from './stage.ts'
import { imageDaemon } from './docker-env.ts'

// docker save, minikube and ctr all name an unqualified image docker.io/library/<name>:<tag>
export const sameImage = (listed: string, img: ImageRef): boolean =>
  [img.local, `docker.io/library/${img.local}`, `docker.io/${img.local}`, img.ref].includes(listed.trim())

export async function missingImages(ctx: Ctx, imgs: ImageRef[]): Promise<ImageRef[] | null> {
  const { cfg, query } = ctx
  const inList = (r: { ok: boolean; stdout: string }): ImageRef[] | null =>
    r.ok ? imgs.filter((img) => !r.stdout.split(/\s+/).some((l) => sameImage(l, img))) : null
  switch (cfg.loadMethod) {
    case 'minikube':
      return inList(await query({ timeoutMs: 120_000 })`minikube image ls -p ${cfg.minikube.profile}`)
    case 'containerd':
      return inList(
        await query({
          timeoutMs: 60_000,
        })`ctr --address ${cfg.containerd.address} -n ${cfg.containerd.namespace} images ls -q`,
      )
    case 'none': {
      const found = await Promise.all(imgs.map(async (img) => (await query`docker image inspect ${img.local}`).ok))
      return imgs.filter((_, i) => !found[i])
    }
    case 'docker-env': {
      // the node's own Docker is the one build used: ask it (a profile that is down fails here with its fix)
      const node = await imageDaemon(ctx)
      const found = await Promise.all(imgs.map(async (img) => (await node.query`docker image inspect ${img.local}`).ok))
      return imgs.filter((_, i) => !found[i])
    }
    case 'registry': {
      const found = await Promise.all(imgs.map((img) => inRegistry(ctx, img)))
      return imgs.filter((_, i) => !found[i])
    }
    default:
      // kind keeps images inside its node containers; `kind load` is cheap to repeat, so deploy does not ask
      return null
  }
}

/**
 * A registry on this machine (localhost, 127.x, ::1) speaks plain HTTP, as docker push and containerd allow by
 * default; `docker manifest inspect` needs --insecure to ask it, else it answers "no such manifest" for every image.
 * Any other registry is asked over TLS only.
 */
export const loopbackRegistry = (registry: string): boolean =>
  /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?(\/|$)/.test(registry)

export async function inRegistry(ctx: Ctx, img: ImageRef): Promise<boolean> {
  const insecure = loopbackRegistry(ctx.cfg.registry ?? '') ? ['--insecure'] : []
  return (await ctx.query({ timeoutMs: 60_000 })`docker manifest inspect ${insecure} ${img.ref}`).ok
}
