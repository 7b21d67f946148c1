// npm run bench:e2e — the kit's speed on a real cluster, for the performance goals (no-op up < 10 s; one-file change
// < 45 s). Prints figures, asserts nothing. Same setup as the e2e suite: the harness cluster, a real minikube
// (E2E_CLUSTER=minikube) or E2E_CLUSTER=current; the reference app with the backend built from a temp copy, a temp
// .env with fake secrets.
//
// cold up    = no release in the cluster and none of the kit's images in it (a fresh harness, or a minikube profile
//              that setup has just started); the docker engine's build cache is whatever this machine has —
//              `--force-build` makes build rebuild both images (docker's layer cache still applies, as for any developer)
// no-op up   = a second `npm run up` with nothing changed
// one-file   = one backend source line changed, then `npm run up`
// recovery   = a backend pod deleted → its replacement Ready
//
// On minikube both load methods run, each on a profile of its own started from nothing: LOAD_METHOD=minikube (build
// in this machine's Docker, then `minikube image load`) and LOAD_METHOD=docker-env (build in the node's Docker). For
// docker-env the node's Docker first gets the base images (a user's node pulls them; here nothing can be pulled), and
// its build cache starts empty, so its cold up includes a full build: compare the no-op and one-file rows.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  currentCluster,
  deleteMinikube,
  prepareMinikube,
  startHarness,
  stopHarness,
  type E2ECluster,
} from '../test/e2e/support/cluster.ts'
import {
  backendCopy,
  helm,
  kitEnvironment,
  kubectl,
  NS,
  pods,
  RELEASE,
  runKit,
  tail,
  waitFor,
  type KitRun,
  type PodInfo,
} from '../test/e2e/support/kit.ts'

const run = promisify(execFile)
const forceBuild = process.argv.includes('--force-build')
const target = process.env.E2E_CLUSTER ?? 'harness'
const log = (s: string) => process.stderr.write(`[bench:e2e] ${s}\n`)

log(
  target === 'harness'
    ? 'starting the harness cluster (test/e2e/cluster/up.sh)'
    : target === 'minikube'
      ? "building minikube's offline cache (test/e2e/minikube/build.sh); the kit starts each profile"
      : 'using the current kubeconfig context',
)
const cluster: E2ECluster =
  target === 'harness' ? await startHarness() : target === 'minikube' ? await prepareMinikube() : currentCluster()
const backend = backendCopy('todo-bench-backend-')
// On another cluster the load method under comparison may come from this environment, e.g.
//   E2E_CLUSTER=current CLUSTER=minikube LOAD_METHOD=docker-env npm run bench:e2e
const PASSED_THROUGH = ['CLUSTER', 'LOAD_METHOD', 'MINIKUBE_PROFILE'] as const
const chosen = Object.fromEntries(PASSED_THROUGH.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])))

// validate prints a table, not a `done` line: its time is in the rest (with npm and zx start-up)
const stageNames = ['setup', 'build', 'load', 'deploy'] as const
/** `✔ <stage> done (1m02s)` / `(17.3s)` lines the stages print at their end */
function stageTimes(r: KitRun): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of r.stderr.matchAll(/(\w+) done \((?:(\d+)m)?([\d.]+)s\)/g)) {
    if ((stageNames as readonly string[]).includes(m[1]!)) out[m[1]!] = Number(m[2] ?? 0) * 60 + Number(m[3])
  }
  return out
}

type Row = { what: string; r?: KitRun; ms: number }

async function bench(env: Record<string, string>): Promise<Row[]> {
  const rows: Row[] = []
  const timedUp = async (label: string, args: string[] = []) => {
    log(`${label}: npm run up ${args.join(' ')}`)
    const r = await runKit(env, ['up', ...(args.length ? ['--', ...args] : [])], {}, 1_800_000)
    if (r.code !== 0) throw new Error(`${label} failed\n${tail(r)}`)
    return r
  }
  if (cluster.minikube) {
    // a profile of its own, from nothing: setup's `minikube start` is a row, not part of the cold up
    await deleteMinikube(cluster).catch(() => {})
    log('setup: minikube start, addons')
    const setup = await runKit(env, ['setup'], {}, 1_800_000)
    if (setup.code !== 0) throw new Error(`setup failed\n${tail(setup)}`)
    rows.push({ what: 'setup (minikube start from nothing)', r: setup, ms: setup.ms })
    if (env.LOAD_METHOD === 'docker-env') {
      log("docker-env: the base images into the node's Docker (a user's node pulls them)")
      for (const img of [env.NODE_IMAGE!, env.PYTHON_IMAGE!])
        await run('minikube', ['image', 'load', img, '-p', cluster.minikube.profile], { env, timeout: 600_000 })
    }
  } else if (
    await helm(env, 'status', RELEASE, '-n', NS).then(
      () => true,
      () => false,
    )
  ) {
    log('removing an earlier release first (down --purge-data --yes), so the first up is cold')
    await runKit(env, ['down', '--', '--purge-data', '--yes'])
  }
  try {
    const cold = await timedUp('cold up', forceBuild ? ['--force'] : [])
    rows.push({ what: `cold up${forceBuild ? ' (--force build)' : ''}`, r: cold, ms: cold.ms })
    const noop = await timedUp('no-op up')
    rows.push({ what: 'no-op up', r: noop, ms: noop.ms })

    const health = path.join(backend, 'app/routes/health.py')
    writeFileSync(
      health,
      readFileSync(health, 'utf8').replace(
        /return \{"status": "ok"(, "bench": "\d+")?\}/,
        `return {"status": "ok", "bench": "${Date.now()}"}`,
      ),
    )
    const change = await timedUp('one-file change up')
    rows.push({ what: 'one backend file changed, up', r: change, ms: change.ms })

    // the rollout of the change may still be ending: the victim is the one backend pod serving, not one on its way out
    let victim: PodInfo | undefined
    await waitFor(
      'the rollout settled on one ready backend pod',
      async () => {
        const b = (await pods(env)).filter((p) => p.component === 'backend')
        victim = b.length === 1 && b[0]!.ready && !b[0]!.deleting ? b[0] : undefined
        return victim !== undefined
      },
      300_000,
      500,
    )
    log(`recovery: deleting ${victim!.name}`)
    const t0 = Date.now()
    await kubectl(env, 'delete', 'pod', '-n', NS, victim!.name, '--wait=false')
    await waitFor(
      'a replacement backend pod Ready',
      async () => {
        const b = (await pods(env)).filter((p) => p.component === 'backend' && !p.deleting)
        return b.length === 1 && b[0]!.ready && b[0]!.uid !== victim!.uid
      },
      300_000,
      200,
    )
    rows.push({ what: 'backend pod deleted → replacement Ready', ms: Date.now() - t0 })
  } finally {
    log('cleaning up: npm run down -- --purge-data --yes')
    await runKit(env, ['down', '--', '--purge-data', '--yes'])
  }
  return rows
}

function print(env: Record<string, string>, rows: Row[]) {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const goals: Record<string, number> = { 'no-op up': 10_000, 'one backend file changed, up': 45_000 }
  const where = { harness: 'the e2e harness cluster', minikube: 'a real minikube', current: 'the current context' }[
    cluster.kind
  ]
  console.log(
    `\nkit on ${where}, CLUSTER=${env.CLUSTER} LOAD_METHOD=${env.LOAD_METHOD || '(its default)'} (${new Date().toISOString()})\n`,
  )
  console.log(
    `${'measure'.padEnd(42)}${'time'.padStart(9)}  ${[...stageNames, 'rest'].map((n) => n.padStart(9)).join('')}  goal`,
  )
  for (const row of rows) {
    const st = row.r ? stageTimes(row.r) : {}
    const total = row.ms / 1000
    const rest = total - Object.values(st).reduce((a, b) => a + b, 0)
    const shares = [...stageNames.map((n) => st[n]), row.r ? rest : undefined]
      .map((v) => (v !== undefined ? `${Math.round((v / total) * 100)}%` : '-').padStart(9))
      .join('')
    const goal = goals[row.what]
    const verdict = goal ? `< ${goal / 1000} s: ${row.ms < goal ? 'met' : 'MISSED'}` : ''
    console.log(`${row.what.padEnd(42)}${s(row.ms).padStart(9)}  ${shares}  ${verdict}`)
  }
  console.log("\nstage columns: each stage's share of the whole run; rest = validate plus npm/zx start-up")
  for (const row of rows.filter((r) => r.r)) {
    const st = stageTimes(row.r!)
    console.log(`  ${row.what}: ${stageNames.map((n) => `${n} ${st[n] ?? '-'} s`).join(', ')}`)
  }
}

const runs = cluster.minikube && !chosen.LOAD_METHOD ? ['minikube', 'docker-env'] : [chosen.LOAD_METHOD ?? '']
try {
  for (const method of runs) {
    const { env } = kitEnvironment(cluster, {
      BACKEND_DIR: backend,
      ...chosen,
      ...(method ? { LOAD_METHOD: method } : {}),
    })
    print(env, await bench(env))
  }
} finally {
  if (!process.env.E2E_KEEP_CLUSTER) {
    if (cluster.kind === 'harness') await stopHarness()
    if (cluster.minikube) await deleteMinikube(cluster).catch(() => {})
  }
}
