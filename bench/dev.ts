// npm run bench:dev — from a saved file to the first HTTP answer carrying the new code, three ways: `npm run dev`
// (started once, its watcher picks each save up), `npm run up` after each save, and `skaffold dev` v2.16.1 (started
// once) on the same chart, Dockerfiles and build args. Prints figures, asserts nothing.
//
// Two clusters (E2E_CLUSTER):
// - harness (the default): the e2e harness cluster must be running already (test/e2e/cluster/up.sh; its env file is
//   /tmp/todo-k8s-e2e/cluster.env, or E2E_CLUSTER_ENV); this bench neither starts nor stops it. Its Service
//   ClusterIPs are reachable from this machine.
// - minikube: the e2e suite's real minikube (test/e2e/minikube/build.sh's offline cache, profile todo-e2e). The first
//   `npm run up` starts the profile when it is not running, as for a user, and the bench deletes it at the end only
//   if it started it. The Services are reached through `minikube tunnel`, as a user would in a second terminal.
// Either way the bench works in a namespace and release of its own (todo-bench / bench), on temp copies of
// app/backend and app/frontend, and removes both at the end.
//
//   npm run bench:dev -- [--runs 3] [--only backend|frontend] [--tools dev,up,skaffold] [--load registry|containerd] [--json]
//
// --load: how the images reach the node, the same way for all three tools. On the harness: registry (the default
// when it runs its registry on localhost:5000): the kit's LOAD_METHOD=registry and Skaffold's own push (push: true,
// --default-repo), both sending only the layers the registry lacks; containerd: the kit's LOAD_METHOD=containerd and,
// for Skaffold, a build hook doing the same `docker save` + `ctr images import` (bench/skaffold-load.sh). On minikube
// there is one way, docker-env (no flag): the kit's default there builds in the node's Docker, and Skaffold does the
// same by itself when the kube context is a minikube profile (push: false).
//
// The edits: app/routes/health.py returns {"status": "ok", "bench": "<marker>"} (backend GET /health), and the
// frontend's app/api/health/route.ts answers {status: 'ok', bench: '<marker>'} (GET /api/health); both are polled
// every 200 ms, each GET on a new connection, from the moment the file is written.
//
// Skaffold labels every object it deploys with its run id, so its first deploy rolls every pod (PostgreSQL too); the
// id is the same for the whole `skaffold dev`, so its later cycles are not slowed by it. That first deploy is outside
// the figures, as are dev's first cycle and the first `npm run up`. Each run reports which components got new pods.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs, promisify } from 'node:util'
import YAML from 'yaml'
import {
  deleteMinikube,
  minikubeStatus,
  parseEnvLines,
  prepareMinikube,
  type E2ECluster,
} from '../test/e2e/support/cluster.ts'
import {
  freePort,
  importIntoContainerd,
  kitEnvironment,
  reachServices,
  root,
  runKit,
  tail,
} from '../test/e2e/support/kit.ts'
import { layerV32, layerV35 } from '../test/support/k8s-tools.ts'
import { loadConfig } from '../scripts/lib/config.ts'

const run = promisify(execFile)
const log = (s: string) => process.stderr.write(`[bench:dev] ${s}\n`)

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    tools: { type: 'string', default: 'dev,up,skaffold' },
    json: { type: 'boolean', default: false },
    load: { type: 'string' },
  },
})
const RUNS = Number(opts.runs)
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs ${opts.runs}: a whole number from 1`)
type Component = 'backend' | 'frontend'
type Tool = 'dev' | 'up' | 'skaffold'
const COMPONENTS: Component[] = opts.only ? [opts.only as Component] : ['backend', 'frontend']
if (!COMPONENTS.every((c) => c === 'backend' || c === 'frontend'))
  throw new Error(`--only ${opts.only}: backend or frontend`)
// always in this order: up first (the kit's plain state), then dev (its first cycle adds the port-forward's origin and
// rolls both Deployments once, outside the figures), then Skaffold (its first deploy relabels and rolls everything)
const TOOLS = (['up', 'dev', 'skaffold'] as const).filter((t) => opts.tools!.split(',').includes(t))
if (TOOLS.length === 0) throw new Error(`--tools ${opts.tools}: a comma list of dev, up, skaffold`)

const TARGET = process.env.E2E_CLUSTER ?? 'harness'
if (TARGET !== 'harness' && TARGET !== 'minikube')
  throw new Error(`E2E_CLUSTER=${TARGET}: bench:dev runs on harness (the default) or minikube`)

// the long-running tools' whole output, for a failure's diagnosis (test-output/ is git-ignored)
const LOGS = path.join(root, 'test-output', 'bench-dev')
mkdirSync(LOGS, { recursive: true })

const NS = 'todo-bench'
const RELEASE = 'bench'
const MEASURE_TIMEOUT_MS = 15 * 60_000
const POLL_MS = 200

// ---- the cluster: the running harness as it describes itself, or the suite's minikube (its offline cache) ----
type Load = 'registry' | 'containerd' | 'docker-env'
const clusterEnvFile = process.env.E2E_CLUSTER_ENV ?? '/tmp/todo-k8s-e2e/cluster.env'
let harness: Record<string, string> = {}
let cluster: E2ECluster
let LOAD: Load
if (TARGET === 'harness') {
  if (!existsSync(clusterEnvFile))
    throw new Error(
      `${clusterEnvFile} is not there: the harness is not running. Start it (bash test/e2e/cluster/up.sh), or bench a real minikube (E2E_CLUSTER=minikube npm run bench:dev)`,
    )
  harness = parseEnvLines(readFileSync(clusterEnvFile, 'utf8'))
  if (!harness.KUBECONFIG || !harness.CONTAINERD_ADDRESS)
    throw new Error(`${clusterEnvFile}: no KUBECONFIG/CONTAINERD_ADDRESS (is the harness up?)`)
  cluster = {
    kind: 'harness',
    kubeconfig: harness.KUBECONFIG,
    containerdAddress: harness.CONTAINERD_ADDRESS,
    kubectl: harness.KUBECTL,
  }
  LOAD = (opts.load ?? (harness.REGISTRY ? 'registry' : 'containerd')) as Load
  if (LOAD !== 'registry' && LOAD !== 'containerd') throw new Error(`--load ${opts.load}: registry or containerd`)
  if (LOAD === 'registry' && !harness.REGISTRY)
    throw new Error(
      `--load registry: ${clusterEnvFile} names no REGISTRY (an older harness: test/e2e/cluster/up.sh starts it)`,
    )
} else {
  if (opts.load)
    throw new Error(
      `--load ${opts.load}: on minikube both sides build in the node's Docker (docker-env); leave --load out`,
    )
  log("minikube's offline cache (test/e2e/minikube/build.sh; seconds when warm)")
  cluster = await prepareMinikube()
  LOAD = 'docker-env'
}

// ---- copies of the app, so no edit ever touches app/ ----
const work = mkdtempSync(path.join(tmpdir(), 'todo-bench-dev-'))
const copy = (from: string, to: string, skip: RegExp) =>
  cpSync(path.join(root, from), path.join(work, to), { recursive: true, filter: (src) => !skip.test(src) })
copy('app/backend', 'backend', /[/\\](\.venv|\.pytest_cache|\.ruff_cache|__pycache__)$/)
copy('app/frontend', 'frontend', /[/\\](node_modules|\.next)$/)

const { env } = kitEnvironment(cluster, {
  BACKEND_DIR: path.join(work, 'backend'),
  FRONTEND_DIR: path.join(work, 'frontend'),
  NAMESPACE: NS,
  RELEASE,
  ...(TARGET === 'harness' ? { CONTAINERD_NAMESPACE: harness.CONTAINERD_NAMESPACE ?? 'k8s.io' } : {}),
  ...(LOAD === 'registry' ? { LOAD_METHOD: 'registry', REGISTRY: harness.REGISTRY! } : {}),
  // minikube: the kit's defaults (LOAD_METHOD unset: docker-env); no ingress, the Services are what is measured
  ...(TARGET === 'minikube' ? { INGRESS_ENABLED: 'false' } : {}),
})
const kubectl = async (...args: string[]) =>
  (await run(layerV35().kubectl, args, { env, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 600_000 })).stdout
const helm = async (...args: string[]) =>
  (await run(layerV35().helm, args, { env, encoding: 'utf8', maxBuffer: 16 << 20, timeout: 600_000 })).stdout

// ---- the edits ----
const EDITS: Record<
  Component,
  { file: string; pattern: RegExp; line: (marker: string) => string; service: string; port: number; urlPath: string }
> = {
  backend: {
    file: path.join(work, 'backend/app/routes/health.py'),
    pattern: /return \{"status": "ok"(, "bench": "[^"]*")?\}/,
    line: (m) => `return {"status": "ok", "bench": "${m}"}`,
    service: `${RELEASE}-backend`,
    port: 8000,
    urlPath: '/health',
  },
  frontend: {
    file: path.join(work, 'frontend/app/api/health/route.ts'),
    pattern: /Response\.json\(\{ status: 'ok'(, bench: '[^']*')? \}/,
    line: (m) => `Response.json({ status: 'ok', bench: '${m}' }`,
    service: `${RELEASE}-frontend`,
    port: 3000,
    urlPath: '/api/health',
  },
}
for (const e of Object.values(EDITS))
  if (!e.pattern.test(readFileSync(e.file, 'utf8'))) throw new Error(`${e.file}: the line to edit is not there`)

function edit(c: Component, marker: string): void {
  const e = EDITS[c]
  writeFileSync(e.file, readFileSync(e.file, 'utf8').replace(e.pattern, e.line(marker)))
}

const urls = {} as Record<Component, string>
async function resolveUrls(): Promise<void> {
  for (const c of ['backend', 'frontend'] as const) {
    const ip = (await kubectl('get', 'service', '-n', NS, EDITS[c].service, '-o', 'jsonpath={.spec.clusterIP}')).trim()
    urls[c] = `http://${ip}:${EDITS[c].port}${EDITS[c].urlPath}`
  }
}

/**
 * One GET on a new connection (no keep-alive agent): a kept-alive connection stays with the old pod through its
 * preStop sleep (5 s in the chart), which would add those seconds to every tool's figure; a new client sees the new
 * pod as soon as the Service routes to it.
 */
function get(url: string): Promise<{ status: number; text: string } | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000, headers: { 'cache-control': 'no-store' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', () => resolve(null))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(null))
  })
}

/** Polls every 200 ms until an answer 200 carries the marker; ms from t0, or an error after the timeout or stop. */
async function firstServed(c: Component, marker: string, t0: number, stop: { reason?: string }): Promise<number> {
  for (;;) {
    const r = await get(urls[c])
    if (r?.status === 200 && r.text.includes(marker)) return Date.now() - t0
    if (stop.reason) throw new Error(stop.reason)
    if (Date.now() - t0 > MEASURE_TIMEOUT_MS)
      throw new Error(`no answer with the new code within ${MEASURE_TIMEOUT_MS / 60_000} min`)
    await sleep(POLL_MS)
  }
}

/** Each run starts from a serving app (after Skaffold's full roll PostgreSQL may still be starting). */
async function serving(c: Component): Promise<void> {
  const until = Date.now() + 300_000
  while ((await get(urls[c]))?.status !== 200) {
    if (Date.now() > until) throw new Error(`${urls[c]} does not answer 200 before the edit`)
    await sleep(500)
  }
}

/** The release's live pods by name, with their component (PostgreSQL's included), to tell which ones a cycle rolled. */
async function livePods(): Promise<Map<string, string>> {
  const list = JSON.parse(
    await kubectl('get', 'pods', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'),
  ) as {
    items: { metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string } }[]
  }
  return new Map(
    list.items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => [p.metadata.name, p.metadata.labels?.['app.kubernetes.io/component'] ?? p.metadata.name]),
  )
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---- long-running tools: own process group, stopped as Ctrl-C would (SIGINT to the group) ----
type Proc = { child: ChildProcess; out: () => string; exited: Promise<number | null>; name: string }
const live = new Set<Proc>()

function start(name: string, cmd: string, args: string[], procEnv: Record<string, string>, cwd = root): Proc {
  const child = spawn(cmd, args, { cwd, env: procEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const file = path.join(LOGS, `${name.replace(/\W+/g, '-')}.log`)
  writeFileSync(file, '')
  const take = (d: Buffer) => {
    out += d
    appendFileSync(file, d)
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const p: Proc = { child, out: () => out, exited, name }
  live.add(p)
  void exited.then(() => live.delete(p))
  return p
}

async function interrupt(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.pid === undefined) return
  try {
    process.kill(-p.child.pid, 'SIGINT')
  } catch {
    /* gone */
  }
  // an unref'd timer: a stopped tool must not keep this process alive for the rest of the two minutes
  const done = await Promise.race([
    p.exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(r, 120_000, false).unref()),
  ])
  if (!done) {
    log(`${p.name} did not stop within 2 min of SIGINT: SIGKILL to its process group`)
    try {
      process.kill(-p.child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
    await p.exited
  }
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length

/** Waits until `re` has matched `n` times in the process output; throws if the process exits first. */
async function waitOutput(p: Proc, re: RegExp, n: number, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (count(p.out(), re) < n) {
    if (p.child.exitCode !== null)
      throw new Error(`${p.name} exited (${p.child.exitCode}) while waiting for ${what}\n${lastLines(p.out())}`)
    if (Date.now() > until)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${lastLines(p.out())}`)
    await sleep(200)
  }
}
const lastLines = (s: string, n = 30) => s.split('\n').slice(-n).join('\n')

// ---- the results ----
type Result = ({ ms: number } | { failed: string }) & { rolled?: string[] }
const results: Record<Component, Partial<Record<Tool, Result[]>>> = { backend: {}, frontend: {} }
function record(c: Component, tool: Tool, r: Result): void {
  ;(results[c][tool] ??= []).push(r)
  const rolled = r.rolled ? ` (pods replaced: ${r.rolled.join(', ') || 'none'})` : ''
  log(
    'ms' in r
      ? `${c} · ${tool} · run ${results[c][tool]!.length}: ${(r.ms / 1000).toFixed(1)} s${rolled}`
      : `${c} · ${tool} · run ${results[c][tool]!.length}: FAILED (${r.failed.split('\n')[0]})`,
  )
}

let seq = 0
const newMarker = (tool: Tool) => `${tool}-${++seq}-${Date.now()}`

/**
 * One measured edit: write the file, poll for the new code while `during` runs (it may fail the run), then wait for
 * the tool to finish its cycle (`after`) so that the next edit starts from a quiet tool.
 */
async function measure(
  c: Component,
  tool: Tool,
  during: (stop: { reason?: string }) => Promise<void>,
  after: () => Promise<void>,
): Promise<void> {
  await serving(c)
  const podsBefore = await livePods().catch(() => null)
  const marker = newMarker(tool)
  const stop: { reason?: string } = {}
  const t0 = Date.now()
  edit(c, marker)
  const served = firstServed(c, marker, t0, stop)
  const tool$ = during(stop).catch((e: Error) => {
    stop.reason ??= e.message
  })
  let ms: number | undefined
  let failed: string | undefined
  try {
    ms = await served
  } catch (e) {
    failed = (e as Error).message
  }
  await tool$
  try {
    await after()
  } catch (e) {
    failed ??= (e as Error).message
  }
  failed ??= stop.reason
  // which components got new pods in this cycle (Skaffold's run-id label may roll more than the one edited)
  const podsAfter = await livePods().catch(() => null)
  const rolled =
    podsBefore && podsAfter
      ? [...new Set([...podsAfter].filter(([name]) => !podsBefore.has(name)).map(([, comp]) => comp))].sort()
      : undefined
  record(c, tool, {
    ...(failed !== undefined || ms === undefined ? { failed: failed ?? 'no figure' } : { ms }),
    rolled,
  })
}

// ---- (b) npm run up after each edit ----
async function upRuns(c: Component): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    await measure(
      c,
      'up',
      async (stop) => {
        const r = await runKit(env, ['up'], {}, MEASURE_TIMEOUT_MS)
        appendFileSync(path.join(LOGS, 'npm-run-up.log'), `${r.stderr}\n`)
        if (r.code !== 0) stop.reason = `npm run up failed\n${tail(r)}`
      },
      async () => {},
    )
  }
}

// ---- (a) npm run dev: started once, one cycle per edit ----
const CYCLE =
  /new (?:frontend|backend)(?: and (?:frontend|backend))? serving|not deployed; the previous release keeps serving/
async function devRuns(components: Component[]): Promise<void> {
  const port = await freePort()
  log(`npm run dev -- --port ${port} (first cycle: setup, build, load, deploy)`)
  const dev = start('npm run dev', 'npm', ['run', '--silent', 'dev', '--', '--port', String(port)], env)
  try {
    await waitOutput(dev, /watching .* save a file/, 1, MEASURE_TIMEOUT_MS, "dev's watcher")
    for (const c of components) {
      log(`── ${c} · dev · ${RUNS} run(s)`)
      for (let i = 0; i < RUNS; i++) {
        const before = count(dev.out(), CYCLE)
        await measure(
          c,
          'dev',
          async () => {},
          async () => {
            // the cycle's own line ends the run; a failed cycle fails it
            await waitOutput(dev, CYCLE, before + 1, MEASURE_TIMEOUT_MS, "dev's cycle line")
            const last = dev.out().match(new RegExp(CYCLE.source, 'g'))!.at(-1)!
            if (last.startsWith('not deployed')) throw new Error(`dev's cycle failed\n${lastLines(dev.out())}`)
          },
        )
        const line = dev
          .out()
          .split('\n')
          .filter((l) => /serving .* after the save/.test(l))
          .at(-1)
        if (line) log(`  dev said: ${line.trim()}`)
      }
    }
  } finally {
    await interrupt(dev)
  }
}

// ---- (c) skaffold dev: started once on the same chart, Dockerfiles and build args ----
let skaffoldYaml = ''
async function skaffoldConfig(): Promise<{ file: string; env: Record<string, string> }> {
  const bin = (
    await run('bash', [path.join(root, 'bench/skaffold.sh')], { encoding: 'utf8', timeout: 30 * 60_000 })
  ).stdout
    .trim()
    .split('\n')
    .at(-1)!
  const cfg = loadConfig({ env, root, envFile: env.KIT_ENV_FILE })
  const artifact = (c: Component, spec: typeof cfg.backend) => ({
    image: `todo-${c}`,
    context: c,
    docker: { dockerfile: path.relative(path.join(work, c), spec.dockerfile), buildArgs: spec.buildArgs },
    // containerd: the image goes into the node's containerd as the kit's LOAD_METHOD=containerd does (Skaffold has no
    // load step for such a cluster); registry: Skaffold pushes it itself
    ...(LOAD === 'containerd' ? { hooks: { after: [{ command: [path.join(root, 'bench/skaffold-load.sh')] }] } } : {}),
    // docker-env: nothing to add; Skaffold sees a minikube profile in the kube context and builds in its Docker
  })
  const config = {
    apiVersion: 'skaffold/v4beta11',
    kind: 'Config',
    metadata: { name: 'todo-bench' },
    build: {
      local: { push: LOAD === 'registry', useBuildkit: true, concurrency: 1 },
      // plain HTTP on loopback, as the kit's registry load speaks to it
      ...(LOAD === 'registry' ? { insecureRegistries: [harness.REGISTRY!] } : {}),
      tagPolicy: { inputDigest: {} },
      artifacts: [artifact('backend', cfg.backend), artifact('frontend', cfg.frontend)],
    },
    deploy: {
      helm: {
        releases: [
          {
            name: RELEASE,
            chartPath: path.join(root, 'helm/todo-chatbot'),
            namespace: NS,
            valuesFiles: ['kit-values.yaml'],
            setValueTemplates: Object.fromEntries(
              (['backend', 'frontend'] as const).flatMap((c) => [
                [`${c}.image.repository`, `{{.IMAGE_REPO_todo_${c}}}`],
                [`${c}.image.tag`, `{{.IMAGE_TAG_todo_${c}}}`],
                [`${c}.image.pullPolicy`, 'IfNotPresent'],
              ]),
            ),
          },
        ],
      },
    },
  }
  skaffoldYaml = YAML.stringify(config)
  const file = path.join(work, 'skaffold.yaml')
  writeFileSync(file, skaffoldYaml)
  writeFileSync(path.join(LOGS, 'skaffold.yaml'), skaffoldYaml)
  // Skaffold v2.16.1 runs `helm version --client`, which helm 4 refuses: helm 3.17 first on PATH
  // minikube: env already carries minikube on PATH and its MINIKUBE_HOME, which Skaffold's minikube detection needs
  const sEnv = {
    ...env,
    PATH: [path.dirname(layerV32().helm), path.dirname(bin), env.PATH].join(path.delimiter),
    ...(TARGET === 'harness'
      ? { CONTAINERD_ADDRESS: harness.CONTAINERD_ADDRESS!, CONTAINERD_NAMESPACE: env.CONTAINERD_NAMESPACE! }
      : {}),
    SKAFFOLD_UPDATE_CHECK: 'false',
    DOCKER_BUILDKIT: '1',
  }
  return { file, env: sEnv }
}

async function skaffoldRuns(components: Component[]): Promise<void> {
  const { file, env: sEnv } = await skaffoldConfig()
  log(
    `skaffold dev (first iteration: build both images${LOAD === 'docker-env' ? '' : LOAD === 'registry' ? ', push them' : ', import them'}, helm upgrade)`,
  )
  const sk = start(
    'skaffold dev',
    'skaffold',
    [
      'dev',
      '--filename',
      file,
      '--cleanup=false',
      '--port-forward=false',
      '--interactive=false',
      '--update-check=false',
      '--skip-tests',
      // every artifact is built (and so imported by the hook) on the first iteration, even when Skaffold's cache knows it
      '--cache-artifacts=false',
      // leave docker's images alone at exit: the images Skaffold built share their IDs with the kit's tags
      '--no-prune=true',
      ...(LOAD === 'registry' ? ['--default-repo', harness.REGISTRY!] : []),
    ],
    sEnv,
    work,
  )
  const WATCHING = /Watching for changes/
  const SKAFFOLD_FAILED = /Skipping (?:test and )?deploy due to build error|deploy failed|Cleaning up\.\.\./
  try {
    await waitOutput(sk, WATCHING, 1, 30 * 60_000, "skaffold's first deploy")
    for (const c of components) {
      log(`── ${c} · skaffold · ${RUNS} run(s)`)
      for (let i = 0; i < RUNS; i++) {
        const before = count(sk.out(), WATCHING)
        const failedBefore = count(sk.out(), SKAFFOLD_FAILED)
        await measure(
          c,
          'skaffold',
          async (stop) => {
            // a failed build or deploy ends the run at once (Skaffold itself just keeps watching)
            const failed = () => count(sk.out(), SKAFFOLD_FAILED) > failedBefore
            while (!stop.reason && !failed() && count(sk.out(), WATCHING) <= before) await sleep(200)
            if (failed()) stop.reason ??= `skaffold's cycle failed\n${lastLines(sk.out())}`
          },
          async () => {
            await waitOutput(sk, WATCHING, before + 1, MEASURE_TIMEOUT_MS, "skaffold's next 'Watching for changes'")
          },
        )
      }
    }
  } finally {
    await interrupt(sk)
  }
}

// ---- cleanup: the release, the namespace, every process started here, the temp copies; on minikube the tunnel to
// its Services, and the profile put back as it was found before the run ----
const profile = cluster.minikube?.profile
let profileBefore: 'running' | 'stopped' | 'none' | undefined
let tunnel: { stop: () => Promise<void> } | undefined
async function cleanup(): Promise<void> {
  for (const p of [...live]) await interrupt(p)
  log(`cleaning up: helm uninstall ${RELEASE} -n ${NS}, kubectl delete namespace ${NS}`)
  await helm('uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '5m').catch(() => {})
  await kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=5m').catch((e: Error) =>
    log(`namespace ${NS} not deleted: ${e.message}`),
  )
  await tunnel?.stop()
  // minikube: leave the profile as it was found
  if (profileBefore === 'none') {
    log(`minikube delete -p ${profile} (this bench started it)`)
    await deleteMinikube(cluster).catch(() => {})
  }
  if (profileBefore === 'stopped') {
    log(`minikube stop -p ${profile} (it was stopped)`)
    await run('minikube', ['stop', '-p', profile!], { env, timeout: 300_000 }).catch(() => {})
  }
  rmSync(work, { recursive: true, force: true })
  rmSync(path.dirname(env.KIT_ENV_FILE!), { recursive: true, force: true })
}
let interrupted = false
process.on('SIGINT', () => {
  if (interrupted) process.exit(130)
  interrupted = true
  log('interrupted: cleaning up (Ctrl-C again to leave at once)')
  void cleanup().finally(() => process.exit(130))
})

// ---- the run ----
// minikube: the kit's setup starts the profile when it is not running (the bench puts it back as it was at the end)
if (profile) {
  const host = (await minikubeStatus(cluster)).Host
  profileBefore = host === 'Running' ? 'running' : host === 'Stopped' ? 'stopped' : 'none'
  log(`npm run setup (minikube profile ${profile}: ${profileBefore})`)
  const setup = await runKit(env, ['setup'], {}, 30 * 60_000)
  if (setup.code !== 0) {
    await cleanup()
    throw new Error(`setup failed\n${tail(setup)}`)
  }
}
const server = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion?: { gitVersion?: string } }
const clusterName =
  TARGET === 'minikube'
    ? `minikube (profile ${profile}, Kubernetes ${server.serverVersion?.gitVersion ?? '?'}, docker runtime, 1 node; images built in the node's Docker)`
    : `e2e harness (from-source Kubernetes ${server.serverVersion?.gitVersion ?? '?'}, containerd, 1 node; images ${LOAD === 'registry' ? `via its registry ${harness.REGISTRY}` : 'via ctr import'})`
const load = (await run('cat', ['/proc/loadavg'], { encoding: 'utf8' })).stdout.split(' ').slice(0, 3).join(' ')
log(`${clusterName}; namespace ${NS}, release ${RELEASE}; load average at start ${load}`)
try {
  if (
    await helm('status', RELEASE, '-n', NS).then(
      () => true,
      () => false,
    )
  ) {
    log(`an earlier release ${RELEASE} in ${NS}: removing it first`)
    await helm('uninstall', RELEASE, '-n', NS, '--wait')
  }
  // LOAD_METHOD=registry carries the app's images only: the node gets the in-cluster database's image as the
  // containerd method gives it (imported when docker has it)
  if (LOAD === 'registry') {
    await importIntoContainerd(harness.CONTAINERD_ADDRESS!, env.POSTGRES_IMAGE!, work)
  }
  log('npm run up (the release, its Secret and the values Skaffold reuses)')
  const first = await runKit(env, ['up'], {}, 30 * 60_000)
  if (first.code !== 0) throw new Error(`the first npm run up failed\n${tail(first)}`)
  await resolveUrls()
  // minikube: its ClusterIPs are routed here by `minikube tunnel`, as a user would run it
  tunnel = await reachServices(cluster, env, urls.backend)
  // the kit's own values for this release as `npm run up` set them (before dev adds its port-forward's origin);
  // Skaffold's helm deployer gets them as a values file, the image repository and tag it sets itself
  writeFileSync(path.join(work, 'kit-values.yaml'), await helm('get', 'values', RELEASE, '-n', NS, '-o', 'yaml'))
  for (const tool of TOOLS) {
    try {
      if (tool === 'up')
        for (const c of COMPONENTS) {
          log(`── ${c} · up · ${RUNS} run(s)`)
          await upRuns(c)
        }
      // the long-running tools are started once for every component
      else await (tool === 'dev' ? devRuns : skaffoldRuns)(COMPONENTS)
    } catch (e) {
      // a tool that did not start (or stopped) fails its remaining runs; the other tools still run
      for (const c of COMPONENTS)
        while ((results[c][tool]?.length ?? 0) < RUNS) record(c, tool, { failed: (e as Error).message })
    }
  }
} finally {
  const loadEnd = (await run('cat', ['/proc/loadavg'], { encoding: 'utf8' })).stdout.split(' ').slice(0, 3).join(' ')
  log(`load average at the end ${loadEnd}`)
  if (skaffoldYaml) log(`skaffold.yaml used:\n${skaffoldYaml}`)
  if (!interrupted) await cleanup()
}

// ---- report ----
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const sec = (ms: number) => Math.round(ms / 100) / 10
function summary(rs: Result[] = []) {
  const ok = rs.flatMap((r) => ('ms' in r ? [r.ms] : []))
  return {
    median_s: ok.length ? sec(median(ok)) : null,
    spread_s: ok.length ? sec(Math.max(...ok) - Math.min(...ok)) : null,
    runs_s: rs.map((r) => ('ms' in r ? sec(r.ms) : null)),
    failed: rs.filter((r) => 'failed' in r).length,
    rolled: [...new Set(rs.flatMap((r) => r.rolled ?? []))].sort(),
    ...(rs.some((r) => 'failed' in r)
      ? { errors: rs.flatMap((r) => ('failed' in r ? [r.failed.split('\n')[0]] : [])) }
      : {}),
  }
}
const report = Object.fromEntries(
  COMPONENTS.map((c) => [c, Object.fromEntries(TOOLS.map((t) => [t, summary(results[c][t])]))]),
)

if (opts.json) {
  console.log(JSON.stringify({ ...report, cluster: clusterName, load_average: load, date: new Date().toISOString() }))
} else {
  console.log(
    `\nsave → first HTTP answer with the new code, ${clusterName}, ${new Date().toISOString()}, load average at start ${load}\n`,
  )
  console.log(
    `${'component'.padEnd(10)}${'tool'.padEnd(10)}${'runs (s)'.padEnd(28)}${'median'.padStart(8)}${'spread'.padStart(8)}  pods replaced per cycle`,
  )
  for (const c of COMPONENTS) {
    for (const t of TOOLS) {
      const s = summary(results[c][t])
      const runs = s.runs_s.map((v) => (v === null ? 'FAILED' : v.toFixed(1))).join('  ')
      console.log(
        `${c.padEnd(10)}${t.padEnd(10)}${runs.padEnd(28)}${(s.median_s === null ? '-' : `${s.median_s.toFixed(1)} s`).padStart(8)}${(s.spread_s === null ? '-' : `${s.spread_s.toFixed(1)} s`).padStart(8)}  ${s.rolled.join(', ') || '-'}`,
      )
      for (const e of s.errors ?? []) console.log(`${''.padEnd(20)}failed: ${e}`)
    }
    const d = summary(results[c].dev).median_s
    const k = summary(results[c].skaffold).median_s
    if (d !== null && k !== null) console.log(`${''.padEnd(20)}kit dev / skaffold dev (medians): ${(d / k).toFixed(2)}`)
  }
  console.log('\nnpm run up includes its validate stage; dev and skaffold dev are long-running, one cycle per save.')
  console.log(
    'Skaffold labels every object with its run id: the first deploy of a skaffold dev (and every skaffold run) rolls every pod,',
  )
  console.log(
    'PostgreSQL included; within one skaffold dev the id stays, so its later cycles roll what changed (see the pods column).',
  )
}
