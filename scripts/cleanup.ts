#!/usr/bin/env zx
// cleanup (npm run down): uninstall the release and the Secret. The database volume, the images and the cluster stay
// unless asked for, because they are the slow things to get back.
import { question } from 'zx'
import { startStage, finishStage } from './lib/stage.ts'
import { sh, query } from './lib/run.ts'
import { fail, ok, task, warn } from './lib/log.ts'
import { images } from './lib/images.ts'
import { requireContext } from './lib/tools.ts'

const { cfg, flags, dryRun, t0 } = startStage({
  name: 'cleanup',
  summary: 'uninstall the release and the Secret (keeps data, images and the cluster unless asked)',
  checkPaths: false,
  flags: {
    'purge-data': 'also delete the PostgreSQL volume (asks first; --yes to skip the question)',
    images: 'also remove the current image tags from docker (and from minikube)',
    'stop-minikube': 'also stop the minikube profile',
    'delete-minikube': 'also delete the minikube profile (asks first; --yes to skip the question)',
    yes: 'answer yes to the questions',
  },
})
const ns = cfg.namespace
const p = cfg.minikube.profile

async function confirm(what: string, flag: string): Promise<void> {
  if (flags.yes || dryRun) return
  if (!process.stdin.isTTY) fail(`${what} needs confirmation and there is no terminal to ask`, `npx zx scripts/cleanup.ts --${flag} --yes`)
  const a = await question(`${what}? Type yes to continue: `)
  if (a.trim().toLowerCase() !== 'yes') fail(`${what}: not confirmed, nothing deleted`, `npx zx scripts/cleanup.ts --${flag} --yes`)
}

if (flags['purge-data']) await confirm(`delete the database volume of release ${cfg.release} in namespace ${ns} (all todos and users)`, 'purge-data')
if (flags['delete-minikube']) await confirm(`delete minikube profile ${p} and everything in it`, 'delete-minikube')

await requireContext(cfg)
const reach = await query({ timeoutMs: 30_000 })`kubectl get namespace ${ns}`
// NotFound means the cluster answered: the namespace (and so the release) is simply not there
const reachable = dryRun || reach.ok || /NotFound/.test(reach.stderr)
if (!reachable) {
  const why = reach.stderr.trim().split('\n').pop() || 'kubectl get namespace failed'
  if (cfg.cluster === 'minikube' && (flags['stop-minikube'] || flags['delete-minikube'])) warn(`the cluster is not answering (${why}); the release and the Secret were left alone`)
  else fail(`the cluster is not answering: ${why}`, cfg.cluster === 'minikube' ? `minikube start -p ${p}   (or drop it all: npx zx scripts/cleanup.ts --delete-minikube)` : 'kubectl cluster-info')
} else {
  if (dryRun || (await query`helm status ${cfg.release} -n ${ns}`).ok)
    await task(`uninstall release ${cfg.release}`, () =>
      sh({ fix: `helm uninstall ${cfg.release} -n ${ns} --no-hooks` })`helm uninstall ${cfg.release} -n ${ns} --wait`,
    )
  else if (!dryRun) ok(`release ${cfg.release} is not installed in ${ns}`)

  if ((await query`kubectl get secret ${cfg.secretName} -n ${ns}`).ok || dryRun)
    await sh({ fix: `kubectl get secret -n ${ns}` })`kubectl delete secret ${cfg.secretName} -n ${ns} --ignore-not-found`
  else ok(`Secret ${cfg.secretName} is gone`)

  // the StatefulSet's volume claims outlive `helm uninstall` on purpose
  const pvcSelector = `app.kubernetes.io/instance=${cfg.release},app.kubernetes.io/component=postgresql`
  if (flags['purge-data']) await sh({ fix: `kubectl get pvc -n ${ns}` })`kubectl delete pvc -n ${ns} -l ${pvcSelector} --ignore-not-found --wait`
  else if (!dryRun) {
    const pvcs = await query`kubectl get pvc -n ${ns} -l ${pvcSelector} -o name`
    if (pvcs.ok && pvcs.stdout.trim()) ok(`kept the database volume (${pvcs.stdout.trim().split('\n').join(', ')}); delete it with: npx zx scripts/cleanup.ts --purge-data`)
  }
}

if (flags.images) {
  let imgs: ReturnType<typeof images> | null = null
  try {
    imgs = images(cfg)
  } catch (e) {
    fail(`cannot compute the image tags: ${(e as Error).message}`, 'check FRONTEND_DIR / BACKEND_DIR and the Dockerfiles in .env')
  }
  for (const img of [imgs.frontend, imgs.backend]) {
    if (cfg.loadMethod === 'minikube' && (dryRun || (await query`minikube status -p ${p}`).ok))
      await sh({ nothrow: true })`minikube image rm ${img.local} -p ${p}`
    if (dryRun || (await query`docker image inspect ${img.local}`).ok) await sh({ fix: `docker image rm -f ${img.local}` })`docker image rm ${img.local}`
  }
}

if (cfg.cluster === 'minikube' && flags['delete-minikube']) await task(`delete minikube profile ${p}`, () => sh`minikube delete -p ${p}`)
else if (cfg.cluster === 'minikube' && flags['stop-minikube']) await task(`stop minikube profile ${p}`, () => sh`minikube stop -p ${p}`)

finishStage('cleanup', t0)
