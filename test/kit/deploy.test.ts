// deploy and cleanup against fake tools: the Secret only on stdin, the values the kit sets, skipping an unchanged
// release, Helm 3 and Helm 4 rollback flags, and the diagnosis when the release does not become ready.
import { describe, expect, it } from 'vitest'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { mutating, project, root, SECRETS, type Project, type RunResult } from './harness.ts'
import { useCanned } from './canned.ts'
import { renderRefusal } from '../../scripts/lib/helm-failure.ts'

const noSecrets = (r: RunResult): void => {
  for (const v of Object.values(SECRETS)) {
    expect(r.stdout).not.toContain(v)
    expect(r.stderr).not.toContain(v)
    for (const c of r.calls) expect(c.args.join(' ')).not.toContain(v)
  }
}
const fixture = (kind: string, file: string): string => path.join(root, 'test/kit/fixtures/diagnose', kind, file)
const deployable = (opts: Parameters<typeof project>[0] = {}): Project => {
  const p = project(opts)
  p.seedImages()
  return p
}
const upgrade = (r: RunResult): string | undefined => mutating(r.calls).find((l) => l.startsWith('helm upgrade'))

describe('deploy', { timeout: 120_000 }, () => {
  it('applies the Secret from stdin, installs the chart with the image tags, and a second run changes nothing', async () => {
    const p = deployable()
    const r = await p.run('deploy')
    expect(r.stderr).toContain('✔ deploy done')
    expect(r.code).toBe(0)
    const m = mutating(r.calls)
    expect(m[0]).toBe('kubectl create namespace todo')
    expect(m[1]).toBe('kubectl apply -n todo -f -')
    expect(m[2]).toMatch(
      /^helm upgrade --install todo \S+\/chart -n todo --create-namespace --wait=watcher --rollback-on-failure --timeout 5m --set-string existingSecret=todo-secrets --set-string publicUrl=http:\/\/todo.local /,
    )
    expect(m[3]).toMatch(
      /^kubectl annotate secret todo-secrets -n todo todo-k8s-kit\/release-fingerprint=\w{16} todo-k8s-kit\/migrated=backend=\w{16},frontend=\w{16} --overwrite$/,
    )
    expect(m).toHaveLength(4)
    noSecrets(r)
    // PUBLIC_URL is the ingress host: a port-forward needs its own origin for sign-in, and the hint says so
    expect(r.stderr).toContain(
      'or without ingress: kubectl port-forward -n todo svc/todo-frontend 3000:3000  (then http://localhost:3000; sign-in needs PUBLIC_URL=http://localhost:3000)',
    )

    // the Secret went over stdin, with every key from .env
    const st = p.state()
    const secret = JSON.parse(st.stdin[0]) as {
      metadata: { name: string; namespace: string }
      data: Record<string, string>
    }
    expect(secret.metadata).toMatchObject({ name: 'todo-secrets', namespace: 'todo' })
    expect(
      Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
    ).toEqual(SECRETS)

    // the values the contract lists
    const values = st.releases['todo/todo'].values
    expect(values).toMatchObject({
      existingSecret: 'todo-secrets',
      publicUrl: 'http://todo.local',
      frontend: {
        image: {
          repository: 'todo-frontend',
          tag: expect.stringMatching(/^h-[0-9a-f]{12}$/),
          pullPolicy: 'IfNotPresent',
        },
        replicaCount: 1,
        autoscaling: { enabled: false },
      },
      backend: {
        image: {
          repository: 'todo-backend',
          tag: expect.stringMatching(/^h-[0-9a-f]{12}$/),
          pullPolicy: 'IfNotPresent',
        },
        replicaCount: 1,
        autoscaling: { enabled: false },
      },
      ingress: { enabled: true, className: 'nginx', host: 'todo.local' },
      postgresql: { enabled: true, image: { repository: 'postgres', tag: '17.7' } },
    })
    expect(JSON.stringify(values)).not.toContain(SECRETS.POSTGRES_PASSWORD)

    expect(r.stdout).toContain('192.168.49.2 todo.local')
    expect(r.stderr).toContain('kubectl port-forward -n todo svc/todo-frontend 3000:3000')

    const again = await p.run('deploy')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
    expect(again.stderr).toContain('Secret todo-secrets is up to date')
    expect(again.stderr).toMatch(
      /release todo \(revision 1\) already runs h-\w{12} \/ h-\w{12} with this chart and config — nothing to upgrade/,
    )
  })

  it('upgrades again when a secret, a source file, the chart or a config value changes', async () => {
    const p = deployable()
    await p.run('deploy')
    p.write(
      '.env',
      Object.entries({ ...SECRETS, POSTGRES_PASSWORD: 'another-password' })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    )
    const r1 = await p.run('deploy')
    expect(mutating(r1.calls).slice(0, 2)).toEqual([
      'kubectl apply -n todo -f -',
      expect.stringMatching(/^helm upgrade/),
    ])
    expect(r1.stderr).not.toContain('another-password')

    p.write('backend/app/main.py', 'app = "v2"\n')
    p.seedImages()
    const r2 = await p.run('deploy')
    expect(mutating(r2.calls)[0]).toMatch(/^helm upgrade .*backend\.image\.tag=h-/)

    p.write('chart/templates/extra.yaml', '# new template\n')
    expect(upgrade(await p.run('deploy'))).toBeDefined()

    expect(upgrade(await p.run('deploy', [], { BACKEND_REPLICAS: '2' }))).toContain('--set backend.replicaCount=2')
    expect(upgrade(await p.run('deploy', [], { BACKEND_REPLICAS: '2' }))).toBeUndefined()
    expect(p.state().releases['todo/todo'].revision).toBe(5)
  })

  it('upgrades when someone changed the release behind the kit', async () => {
    const p = deployable()
    await p.run('deploy')
    const st = p.state()
    st.releases['todo/todo'].values.frontend.image.tag = 'h-000000000000'
    p.setState(st)
    expect(upgrade(await p.run('deploy'))).toBeDefined()
  })

  it('on an existing cluster the hosts line uses the ingress address, when there is one', async () => {
    const p = deployable({ env: { CLUSTER: 'existing' } })
    p.setState({ ingressIp: '10.0.0.7' })
    const r = await p.run('deploy')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('10.0.0.7 todo.local')
    const q = deployable({ env: { CLUSTER: 'existing' } })
    const r2 = await q.run('deploy')
    expect(r2.stdout.trim()).toBe('')
    expect(r2.stderr).toContain(
      'open http://todo.local once todo.local resolves to your ingress controller (kubectl get ingress -n todo shows its address)',
    )
  })

  it("PUBLIC_HOST_IN_PODS=true: both app pods resolve the public host to the ingress controller's ClusterIP; no controller, nothing changes", async () => {
    const service =
      '^kubectl get service -n ingress-nginx ingress-nginx-controller -o jsonpath=\\{\\.spec\\.clusterIP\\}$'
    const p = deployable({ env: { PUBLIC_HOST_IN_PODS: 'true' } })
    useCanned(p, ['kubectl'])
    p.setState({ answers: [{ match: service, stdout: '10.105.31.108' }] })
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    for (const c of ['frontend', 'backend'])
      expect(upgrade(r)).toContain(
        `--set-string ${c}.hostAliases[0].ip=10.105.31.108 --set-string ${c}.hostAliases[0].hostnames[0]=todo.local`,
      )
    expect(r.stderr).toContain('todo.local inside the app pods: 10.105.31.108 (ingress-nginx/ingress-nginx-controller)')

    // the addon is off: one line with the way to turn it on, before the namespace, the Secret or the release change
    const q = deployable({ env: { PUBLIC_HOST_IN_PODS: 'true' } })
    useCanned(q, ['kubectl'])
    q.setState({
      answers: [
        { match: service, code: 1, stderr: 'Error from server (NotFound): namespaces "ingress-nginx" not found' },
      ],
    })
    const r2 = await q.run('deploy')
    expect(r2.code).toBe(1)
    expect(r2.stderr).toContain(
      '✖ PUBLIC_HOST_IN_PODS=true, but the ingress controller\'s Service ingress-nginx/ingress-nginx-controller has no ClusterIP to send todo.local to (Error from server (NotFound): namespaces "ingress-nginx" not found)',
    )
    expect(r2.stderr).toContain('fix: minikube addons enable ingress -p todo')
    expect(mutating(r2.calls)).toEqual([])

    // a dry run asks nothing and says what a real run adds
    const d = await q.run('deploy', ['--dry-run'])
    expect(d.code).toBe(0)
    expect(d.stderr).toContain(
      'PUBLIC_HOST_IN_PODS=true: a real run adds --set-string {frontend,backend}.hostAliases[0].ip=<the ClusterIP of ingress-nginx/ingress-nginx-controller> and hostnames[0]=todo.local',
    )
    expect(d.calls.filter((c) => c.tool === 'kubectl')).toEqual([])
  })

  it('ROUTING=gateway: the chart gets the HTTPRoute on the Gateway and no Ingress; the hints name its address and the Host header', async () => {
    const env = { ROUTING: 'gateway', GATEWAY_NAME: 'eg', GATEWAY_NAMESPACE: 'envoy-gateway-system' }
    const p = deployable({ env })
    p.setState({ gateways: { 'envoy-gateway-system/eg': '172.18.255.200' } })
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    expect(upgrade(r)).toContain(
      '--set ingress.enabled=false --set-string ingress.className=nginx --set-string ingress.host=todo.local --set httpRoute.enabled=true --set-string httpRoute.parentRefs[0].name=eg --set-string httpRoute.parentRefs[0].namespace=envoy-gateway-system ',
    )
    expect(p.state().releases['todo/todo'].values).toMatchObject({
      ingress: { enabled: false, host: 'todo.local' },
      httpRoute: { enabled: true, parentRefs: [{ name: 'eg', namespace: 'envoy-gateway-system' }] },
    })
    // the address line on stdout, as for the ingress; no minikube ip (the Gateway is the controller's, not the node's)
    expect(r.stdout.trim()).toBe('172.18.255.200 todo.local')
    expect(r.calls.map((c) => [c.tool, ...c.args].join(' '))).toContain(
      'kubectl get gateways.gateway.networking.k8s.io eg -n envoy-gateway-system -o json',
    )
    expect(r.stderr).not.toMatch(/^minikube ip/m)
    expect(r.stderr).toContain("or try it without DNS: curl -H 'Host: todo.local' http://172.18.255.200/")
    expect(r.stderr).toContain('or without the Gateway: kubectl port-forward -n todo svc/todo-frontend 3000:3000')
    // a second run with the same config changes nothing
    expect(mutating((await p.run('deploy')).calls)).toEqual([])
  })

  it('ROUTING=gateway: a Gateway without an address, or one that is missing, is said in one line with what to run', async () => {
    const p = deployable({ env: { ROUTING: 'gateway', GATEWAY_NAME: 'eg', CLUSTER: 'existing' } })
    p.setState({ gateways: { 'todo/eg': '' } })
    const r = await p.run('deploy')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('')
    expect(r.stderr).toContain(
      "open http://todo.local once todo.local resolves to the Gateway todo/eg, which has no address yet: kubectl get gateways.gateway.networking.k8s.io eg -n todo -o jsonpath='{.status.addresses[0].value}'",
    )
    const q = deployable({ env: { ROUTING: 'gateway', GATEWAY_NAME: 'missing', CLUSTER: 'existing' } })
    const r2 = await q.run('deploy')
    expect(r2.code).toBe(0)
    expect(r2.stderr).toMatch(
      /the Gateway todo\/missing could not be read \(Error from server \(NotFound\): .*"missing" not found\): npx zx scripts\/validate\.ts says why/,
    )
  })

  it('ROUTING=gateway without GATEWAY_NAME stops before anything changes, naming the key and the fix', async () => {
    const r = await project({ env: { ROUTING: 'gateway' } }).run('deploy')
    expect(r.code).toBe(1)
    expect(mutating(r.calls)).toEqual([])
    expect(r.stderr).toMatch(/✖ GATEWAY_NAME="" is invalid: expected the name of the Gateway the HTTPRoute attaches to/)
    expect(r.stderr).toMatch(/fix: .*GATEWAY_NAME/)
  })

  it('Helm 4 waits on kstatus and rolls back with its own flag; Helm 3 gets --wait --atomic', async () => {
    const p = deployable()
    const u = upgrade(await p.run('deploy'))
    expect(u).toContain(' --create-namespace --wait=watcher --rollback-on-failure --timeout 5m ')
    expect(u).not.toContain('--atomic')
    // apply mode stays Helm 4's own (--server-side=auto): a release Helm 3 installed keeps its client-side applies
    expect(u).not.toContain('--server-side')

    const p3 = deployable()
    p3.setState({ helmVersion: 'v3.17.2+gcc0bbbd' })
    const u3 = upgrade(await p3.run('deploy'))
    expect(u3).toContain(' --create-namespace --wait --atomic --timeout 5m ')
    expect(u3).not.toContain('--rollback-on-failure')
  })

  it('an external DATABASE_URL turns the in-cluster PostgreSQL off and needs no POSTGRES_PASSWORD', async () => {
    const url = 'postgresql://app:db-pass-93x@db.example.com:5432/todo'
    const p = deployable({ envFile: `BETTER_AUTH_SECRET=${SECRETS.BETTER_AUTH_SECRET}\nDATABASE_URL=${url}\n` })
    const r = await p.run('deploy')
    expect(r.code).toBe(0)
    expect(upgrade(r)).toContain('--set postgresql.enabled=false')
    expect(r.stderr + r.stdout + JSON.stringify(r.calls.map((c) => c.args))).not.toContain('db-pass-93x')
    expect(Object.keys(JSON.parse(p.state().stdin[0]).data)).toEqual(['BETTER_AUTH_SECRET', 'DATABASE_URL'])
  })

  it('passes HELM_VALUES_FILES before the kit values, and registry repositories for LOAD_METHOD=registry', async () => {
    const p = deployable({
      env: { CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: 'registry.example.com:5000/team' },
    })
    p.seedImages({ CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: 'registry.example.com:5000/team' })
    p.env.HELM_VALUES_FILES = path.join(p.dir, 'values-extra.yaml')
    const u = upgrade(await p.run('deploy')) as string
    expect(u).toContain(`--timeout 5m -f ${p.dir}/values-extra.yaml --set-string existingSecret=todo-secrets`)
    expect(u).toContain('--set-string frontend.image.repository=registry.example.com:5000/team/todo-frontend')
  })

  it("a values file whose list replaces an earlier file's (Helm replaces lists whole): a warning naming what is lost", async () => {
    const p = deployable()
    const init = path.join(p.dir, 'app-values.yaml')
    const mine = path.join(p.dir, 'my-values.yaml')
    writeFileSync(
      init,
      'backend:\n  extraEnv:\n    - name: APP_MODULE\n      value: src.main:app\n    - name: LOG_FORMAT\n      value: json\n',
    )
    writeFileSync(
      mine,
      'backend:\n  extraEnv:\n    - name: LOG_FORMAT\n      value: text\n  openai:\n    baseUrl: http://llm:8080/v1\n',
    )
    p.env.HELM_VALUES_FILES = `${init},${mine}`
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /my-values\.yaml sets backend\.extraEnv, which replaces the list in \S*app-values\.yaml whole \(Helm does not merge lists\): APP_MODULE from it will not be set; fix: put your entries into \S*app-values\.yaml's backend\.extraEnv instead/,
    )
    // maps merge: no warning for them, nor for one file alone
    p.env.HELM_VALUES_FILES = mine
    expect((await p.run('deploy')).stderr).not.toMatch(/replaces the list/)
  })

  it('migrations.beforeBackendStarts: the install, then an upgrade that starts the backend with every step skipped; later, one upgrade', async () => {
    const p = deployable()
    const values = path.join(p.dir, 'app-values.yaml')
    writeFileSync(values, 'migrations:\n  beforeBackendStarts: true\n')
    p.env.HELM_VALUES_FILES = values
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    const helms = (x: RunResult) => mutating(x.calls).filter((l) => l.startsWith('helm upgrade'))
    const [install, start] = helms(r)
    expect(helms(r)).toHaveLength(2)
    expect(install).toMatch(/^helm upgrade --install todo /)
    expect(install).not.toMatch(/migrations\.skip/)
    expect(start).toMatch(/^helm upgrade todo \S+ -n todo /)
    expect(start).toMatch(/ --set migrations\.skip=\{backend,frontend\}$/)
    expect(r.stderr).toContain('start the backend, now that its first migration ran (migrations.beforeBackendStarts)')
    // the release exists from then on: a changed setting is one upgrade
    writeFileSync(values, 'migrations:\n  beforeBackendStarts: true\nbackend:\n  replicaCount: 2\n')
    expect(helms(await p.run('deploy'))).toHaveLength(1)
  })

  it('FRONTEND_AUTH_MIGRATE: the migration image and its command for the frontend step; missing in the cluster, it stops', async () => {
    const env = { FRONTEND_AUTH_MIGRATE: 'better-auth:src/lib/auth.ts' }
    const bare = project({ env })
    bare.seedImages({ FRONTEND_AUTH_MIGRATE: '' }) // only the app images
    const missing = await bare.run('deploy')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/✖ .*the cluster does not have todo-frontend-migrate:h-\w{12}/)
    expect(mutating(missing.calls).filter((c) => c.startsWith('helm upgrade'))).toEqual([])

    const p = deployable({ env })
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    const u = upgrade(r) as string
    expect(u).toMatch(
      /--set-string frontend\.migrateImage\.repository=todo-frontend-migrate --set-string frontend\.migrateImage\.tag=h-\w{12} /,
    )
    // the image's own command: Better Auth's migrate on the app's config as the kit hands it over
    expect(u).toMatch(/--set-string frontend\.migrateCommand\[0\]=auth-migrate( |$)/)
    expect(u).not.toContain('frontend.migrateCommand[1]')
    noSecrets(r)
  })

  it('FRONTEND_DB_DRIVER=neon: the neon-proxy sidecar with its image; missing in the cluster, it stops', async () => {
    const env = { FRONTEND_DB_DRIVER: 'neon' }
    const bare = project({ env })
    bare.seedImages({ FRONTEND_DB_DRIVER: 'pg' }) // only the app images
    const missing = await bare.run('deploy')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/✖ .*the cluster does not have todo-frontend-neon-proxy:h-\w{12}/)
    expect(mutating(missing.calls).filter((c) => c.startsWith('helm upgrade'))).toEqual([])

    const p = deployable({ env })
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    expect(upgrade(r)).toMatch(
      / --set postgresql\.neonProxy\.enabled=true --set-string postgresql\.neonProxy\.image\.repository=todo-frontend-neon-proxy --set-string postgresql\.neonProxy\.image\.tag=h-\w{12}( |$)/,
    )
    noSecrets(r)
    // the default: no sidecar, and the release keeps the values it had
    expect(upgrade(await deployable().run('deploy'))).not.toContain('neonProxy')
  })

  it('fails before touching the cluster when BETTER_AUTH_SECRET is missing or short', async () => {
    const p = deployable({ envFile: `POSTGRES_PASSWORD=${SECRETS.POSTGRES_PASSWORD}\n` })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ BETTER_AUTH_SECRET is invalid: expected a random string of at least 32 characters')
    expect(r.stderr).toMatch(/fix: set BETTER_AUTH_SECRET in \S*\.env \(documented in \.env\.example\)/)
    expect(r.calls).toEqual([])

    const short = project({ envFile: `BETTER_AUTH_SECRET=tooshort123\nPOSTGRES_PASSWORD=x\n` })
    const s = await short.run('deploy')
    expect(s.code).toBe(1)
    expect(s.stderr).toContain('at least 32 characters (has 11; value hidden)')
    expect(s.stderr).not.toContain('tooshort123')
  })

  it('on a failed upgrade prints the pods diagnosis and the fix, and exits 1', async () => {
    const p = deployable()
    p.setState({
      fail: {
        'helm upgrade': {
          stderr:
            'Error: UPGRADE FAILED: release todo failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded',
          code: 1,
        },
      },
      podsFixture: fixture('image-never-pull', 'pods.json'),
      eventsFixture: fixture('image-never-pull', 'events.json'),
    })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      '✖ helm upgrade of todo failed and was rolled back: Error: UPGRADE FAILED: release todo failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded',
    )
    expect(r.stderr).toContain('Diagnosis of release todo in namespace todo:')
    // the failure is said once, by the ✖ line: the step that ran helm claims no success before it
    expect(r.stderr).toContain('▸ helm upgrade --install todo')
    expect(r.stderr).not.toContain('✔ helm upgrade --install todo')
    expect(r.stderr).toMatch(/ErrImageNeverPull/)
    expect(r.stderr).toMatch(/fix: .*npx zx scripts\/(load|build)\.ts/)
    // no fingerprint recorded for a failed release, so the next run tries again
    expect(mutating(r.calls).some((l) => l.startsWith('kubectl annotate'))).toBe(false)
    noSecrets(r)
  })

  it('shows the pods as they were while helm waited, when the rollback removed them, and reports progress', async () => {
    const p = deployable()
    p.setState({
      fail: {
        'helm upgrade': {
          stderr: 'Error: UPGRADE FAILED: context deadline exceeded',
          code: 1,
          delayMs: 18_000,
          after: { podsFixture: null, eventsFixture: null },
        },
      },
      podsFixture: fixture('image-never-pull', 'pods.json'),
      eventsFixture: fixture('image-never-pull', 'events.json'),
    })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/still waiting \(1\d\.\ds\): \d pod\(s\) ready, [1-9] not yet/)
    expect(r.stderr).toContain('(pods as they were before the rollback)')
    expect(r.stderr).toContain('ErrImageNeverPull')
    expect(r.stderr).toMatch(/fix: .*npx zx scripts\/(load|build)\.ts/)
  })

  it('a crash-looping pod shows its last log lines, redacted', async () => {
    const p = deployable()
    p.setState({
      fail: { 'helm upgrade': { stderr: 'Error: UPGRADE FAILED: context deadline exceeded', code: 1 } },
      podsFixture: fixture('crashloop', 'pods.json'),
      eventsFixture: fixture('crashloop', 'events.json'),
      logs: ['connecting to database', `FATAL: password authentication failed (password=${SECRETS.POSTGRES_PASSWORD})`],
    })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('CrashLoopBackOff')
    expect(r.stderr).toContain('FATAL: password authentication failed (password=***)')
    noSecrets(r)
  })
})

describe('deploy: migration steps', { timeout: 120_000 }, () => {
  // the backend's step runs app/migrate.py, which imports the models and not the app's routes (app/main.py)
  const withMigrations = (p: Project): Project => {
    p.write(
      'chart/values.yaml',
      'existingSecret: todo-secrets\nbackend:\n  migrateCommand: ["python", "-m", "app.migrate"]\n',
    )
    p.write('backend/app/__init__.py', '')
    p.write('backend/app/migrate.py', 'from . import models\n')
    p.write('backend/app/models.py', 'TABLES = ["task"]\n')
    p.seedImages()
    return p
  }
  // a source edit: the images of the new sources are where deploy looks, then deploy runs and succeeds
  const deployAfter = async (p: Project, rel: string, text: string): Promise<RunResult> => {
    p.write(rel, text)
    p.seedImages()
    const r = await p.run('deploy')
    expect(r.code, r.stderr).toBe(0)
    return r
  }
  const skipArg = (r: RunResult): string | undefined => /--set migrations\.skip=(\S+)/.exec(upgrade(r) ?? '')?.[1]

  it('a step runs again only when what it runs, the database settings, the chart or a values file changed', async () => {
    const p = withMigrations(deployable())
    const first = await p.run('deploy')
    expect(first.code, first.stderr).toBe(0)
    expect(upgrade(first)).toBeDefined()
    expect(skipArg(first)).toBeUndefined() // an install runs every step

    // a new backend image, but only in a file the migration cannot import: no step runs, so no Job
    const route = await deployAfter(p, 'backend/app/main.py', 'app = "changed"\n')
    expect(upgrade(route)).toContain('backend.image.tag=h-')
    expect(skipArg(route)).toBe('{backend,frontend}')
    expect(route.stderr).toContain(
      'migrations: backend already ran for these migration files (3 .py files its command imports); frontend already ran for this image; left out (migrations.skip)',
    )

    // a model changed: the backend step runs, the frontend's already ran for its image
    const model = await deployAfter(p, 'backend/app/models.py', 'TABLES = ["task", "tag"]\n')
    expect(skipArg(model)).toBe('{frontend}')
    expect(model.stderr).toContain('migrations: frontend already ran for this image; left out (migrations.skip)')

    // neither image changed (replicas did): no step, so no Job
    const replicas = await p.run('deploy', [], { BACKEND_REPLICAS: '2' })
    expect(skipArg(replicas)).toBe('{backend,frontend}')

    // another database password: every step again
    const newDb = await p.run('deploy', [], { BACKEND_REPLICAS: '2', POSTGRES_PASSWORD: 'pg-pass-another-one-42' })
    expect(upgrade(newDb)).toBeDefined()
    expect(skipArg(newDb)).toBeUndefined()
  })

  it('a migration command the kit cannot read runs again for any change to its image, and says why', async () => {
    const p = deployable()
    p.write(
      'chart/values.yaml',
      'existingSecret: todo-secrets\nbackend:\n  migrateCommand: ["python", "-m", "app.migrate"]\n',
    )
    p.write('values-extra.yaml', 'frontend:\n  replicaCount: 1\nbackend:\n  migrateCommand: ["./bin/migrate"]\n')
    p.env.HELM_VALUES_FILES = path.join(p.dir, 'values-extra.yaml')
    expect((await p.run('deploy')).code).toBe(0)
    const r = await deployAfter(p, 'backend/app/main.py', 'app = "changed"\n')
    expect(skipArg(r)).toBe('{frontend}')
    expect(r.stderr).toContain(
      'migrations: the backend step runs for any change to its image: migrateCommand ["./bin/migrate"] is not python -m, a .py file or alembic',
    )
  })

  it('after a failed upgrade the steps of the images it tried run again', async () => {
    const p = withMigrations(deployable())
    expect((await p.run('deploy')).code).toBe(0)
    p.write('backend/app/models.py', 'TABLES = ["task", "tag"]\n')
    p.seedImages()
    p.setState({ fail: { 'helm upgrade': { stderr: 'Error: UPGRADE FAILED: context deadline exceeded', code: 1 } } })
    expect((await p.run('deploy')).code).toBe(1)
    p.setState({ fail: {} })
    const retry = await p.run('deploy')
    expect(retry.code, retry.stderr).toBe(0)
    expect(skipArg(retry)).toBe('{frontend}')
  })
})

describe('cleanup', { timeout: 120_000 }, () => {
  it('uninstalls the release and deletes the Secret, keeps the database volume', async () => {
    const p = deployable()
    await p.run('deploy')
    p.setState({ pvcs: ['persistentvolumeclaim/data-todo-postgresql-0'] })
    const r = await p.run('cleanup')
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([
      'helm uninstall todo -n todo --wait',
      'kubectl delete secret todo-secrets -n todo --ignore-not-found',
    ])
    expect(r.stderr).toContain(
      'kept the database volume (persistentvolumeclaim/data-todo-postgresql-0); delete it with: npx zx scripts/cleanup.ts --purge-data',
    )
    const again = await p.run('cleanup')
    expect(again.code).toBe(0)
    expect(mutating(again.calls)).toEqual([])
  })

  it("a failed upgrade's migration Job (helm uninstall leaves hooks) goes with the release, and its pod with it", async () => {
    const p = deployable()
    await p.run('deploy')
    p.setState({ jobsFixture: path.join(import.meta.dirname, 'fixtures/diagnose/init-and-hook/jobs.json') })
    const r = await p.run('cleanup')
    expect(r.code).toBe(0)
    expect(mutating(r.calls)).toEqual([
      'helm uninstall todo -n todo --wait',
      'kubectl delete jobs -n todo -l app.kubernetes.io/instance=todo --ignore-not-found --cascade=foreground --wait',
      'kubectl delete secret todo-secrets -n todo --ignore-not-found',
    ])
    const again = await p.run('cleanup')
    expect(mutating(again.calls)).toEqual([])
  })

  it('a mistyped RELEASE deletes nothing: the Secret there belongs to the release that runs', async () => {
    const p = deployable()
    await p.run('deploy')
    const r = await p.run('cleanup', [], { RELEASE: 'tood' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      '✖ release tood is not installed in todo; Secret todo-secrets there belongs to release todo: nothing deleted',
    )
    expect(r.stderr).toContain('fix: RELEASE=todo npx zx scripts/cleanup.ts')
    expect(mutating(r.calls)).toEqual([])
    expect(p.state().secrets['todo/todo-secrets']).toBeDefined()
  })

  it('--images with tags that cannot be computed stops before anything is uninstalled or deleted', async () => {
    const p = deployable()
    await p.run('deploy')
    p.write('docker/frontend.Dockerfile.dockerignore', '[\n')
    const r = await p.run('cleanup', ['--images'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ cannot compute the image tags')
    expect(mutating(r.calls)).toEqual([])
  })

  it('--stop-minikube on another cluster is refused, not ignored', async () => {
    const p = deployable()
    await p.run('deploy')
    const r = await p.run('cleanup', ['--stop-minikube'], { CLUSTER: 'existing', LOAD_METHOD: 'none' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      '✖ --stop-minikube applies to CLUSTER=minikube; this configuration is CLUSTER=existing: nothing done',
    )
    expect(mutating(r.calls)).toEqual([])
  })

  it('--purge-data asks first; without a terminal it needs --yes', async () => {
    const p = project()
    p.setState({ pvcs: ['persistentvolumeclaim/data-todo-postgresql-0'] })
    const r = await p.run('cleanup', ['--purge-data'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('fix: npx zx scripts/cleanup.ts --purge-data --yes')
    expect(mutating(r.calls)).toEqual([])
    const yes = await p.run('cleanup', ['--purge-data', '--yes'])
    expect(yes.code).toBe(0)
    expect(mutating(yes.calls)).toContain(
      'kubectl delete pvc -n todo -l app.kubernetes.io/instance=todo,app.kubernetes.io/component=postgresql --ignore-not-found --wait',
    )
  })

  it('a cluster that does not answer: fail with the fix, or only warn when asked to stop/delete minikube anyway', async () => {
    const p = project()
    p.setState({ clusterDown: true, minikube: { running: true, addons: {}, images: [] } })
    const r = await p.run('cleanup')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('✖ cluster unreachable: The connection to the server 192.168.49.2:8443 was refused')
    expect(r.stderr).toContain(
      'fix: minikube start -p todo   (or drop it all: npx zx scripts/cleanup.ts --delete-minikube)',
    )
    const stop = await p.run('cleanup', ['--stop-minikube'])
    expect(stop.code).toBe(0)
    expect(stop.stderr).toContain('the release and the Secret were left alone')
    expect(mutating(stop.calls)).toEqual(['minikube stop -p todo'])
  })

  it('--images and --stop-minikube remove images and stop the cluster only when asked', async () => {
    const p = project()
    await p.run('build')
    p.setState({ minikube: { running: true, addons: {}, images: [] } })
    const r = await p.run('cleanup', ['--images', '--stop-minikube'])
    expect(r.code).toBe(0)
    const m = mutating(r.calls)
    expect(m.filter((l) => l.startsWith('docker image rm'))).toHaveLength(2)
    expect(m[m.length - 1]).toBe('minikube stop -p todo')
    expect(p.state().images).toEqual([])
  })

  it('--images with FRONTEND_AUTH_MIGRATE removes the migration image too', async () => {
    const p = project({ env: { FRONTEND_AUTH_MIGRATE: 'better-auth:lib/auth.ts' } })
    p.write(
      'docker/frontend.Dockerfile',
      'ARG NODE_IMAGE=node:24-slim\nFROM ${NODE_IMAGE} AS build\nCOPY . /app\nFROM build AS auth-migrate\nFROM ${NODE_IMAGE}\n',
    )
    p.write('frontend/lib/auth.ts', 'export const auth = betterAuth({})\n')
    await p.run('build')
    p.setState({ minikube: { running: true, addons: {}, images: [] } })
    const r = await p.run('cleanup', ['--images'])
    expect(r.code, r.stderr).toBe(0)
    const removed = mutating(r.calls).filter((l) => l.startsWith('docker image rm'))
    expect(removed).toHaveLength(3)
    expect(removed.join('\n')).toMatch(/todo-frontend-migrate:h-\w{12}/)
    expect(p.state().images).toEqual([])
  })
})

describe('the cluster the stages act on', { timeout: 120_000 }, () => {
  it('with CLUSTER=minikube, deploy and cleanup refuse a kubectl context other than the profile', async () => {
    const p = project()
    p.setState({ context: 'prod-cluster' })
    for (const stage of ['deploy', 'cleanup']) {
      const r = await p.run(stage)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(
        '✖ kubectl points at context prod-cluster, not at minikube profile todo (CLUSTER=minikube)',
      )
      expect(r.stderr).toContain('fix: kubectl config use-context todo   (or CLUSTER=existing to use prod-cluster)')
      expect(mutating(r.calls)).toEqual([])
    }
  })
})

describe('deploy: images the cluster lacks', { timeout: 120_000 }, () => {
  it('stops before helm when the cluster does not have the images, with the load command', async () => {
    const p = project()
    p.setState({ minikube: { running: true, addons: {}, images: [] } })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /✖ the cluster does not have todo-frontend:h-\w{12} and todo-backend:h-\w{12} \(LOAD_METHOD=minikube\)/,
    )
    expect(r.stderr).toContain('fix: npx zx scripts/load.ts')
    expect(mutating(r.calls)).toEqual([])
  })
})

describe('renderRefusal: what helm template says when it will not render (captured from helm 3.17.2 and 4.1.4)', () => {
  it.each([
    [
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo-chatbot:\n- at '/backend': additional properties 'replica' not allowed\n",
      "- at '/backend': additional properties 'replica' not allowed",
    ],
    [
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo-chatbot:\n- backend: Additional property replica is not allowed\n",
      '- backend: Additional property replica is not allowed',
    ],
    [
      'Error: execution error at (todo-chatbot/templates/httproute.yaml:3:4): httpRoute.enabled and ingress.enabled are both true\n\nUse --debug flag to render out invalid YAML\n',
      'Error: execution error at (todo-chatbot/templates/httproute.yaml:3:4): httpRoute.enabled and ingress.enabled are both true',
    ],
    [
      'Error: failed to parse /tmp/bad.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content\n',
      'Error: failed to parse /tmp/bad.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content',
    ],
  ])('%s', (stderr, cause) => {
    expect(renderRefusal(stderr)).toBe(cause)
  })

  it('is null for a helm that failed for another reason', () => {
    expect(renderRefusal('Error: unknown command "template" for "helm"\n')).toBeNull()
    expect(
      renderRefusal('Error: Kubernetes cluster unreachable: dial tcp 127.0.0.1:8443: connect: refused\n'),
    ).toBeNull()
  })
})

describe('deploy: helm failures before any pod runs', { timeout: 120_000 }, () => {
  it('a values file the chart refuses stops deploy before the namespace or the Secret change', async () => {
    const p = deployable()
    const schema =
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo-chatbot:\n- backend: Additional property replica is not allowed"
    p.setState({ fail: { 'helm template': { stderr: schema, code: 1 } } })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/✖ the chart did not render: - backend: Additional property replica is not allowed/)
    expect(r.stderr).toContain('fix: helm lint ')
    expect(mutating(r.calls)).toEqual([])
  })

  it('a helm template that fails for another reason leaves the verdict to the upgrade', async () => {
    const p = deployable()
    p.setState({ fail: { 'helm template': { stderr: 'Error: unknown command "template" for "helm"', code: 1 } } })
    const r = await p.run('deploy')
    expect(r.code).toBe(0)
    expect(mutating(r.calls).some((l) => l.startsWith('helm upgrade'))).toBe(true)
  })

  it.each([
    [
      'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
      /✖ helm upgrade of todo did not start: .*in progress/,
      'fix: helm history todo -n todo   (then: helm rollback todo -n todo)',
    ],
    [
      'Error: Kubernetes cluster unreachable: Get "https://192.168.49.2:8443/version": dial tcp 192.168.49.2:8443: connect: no route to host',
      /✖ helm cannot reach the cluster/,
      'fix: npx zx scripts/setup.ts',
    ],
    [
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo-chatbot:\n- ingress: Additional property foo is not allowed",
      /✖ the chart did not render: - ingress: Additional property foo is not allowed/,
      'fix: helm lint ',
    ],
  ])('%s', async (stderr, cause, fix) => {
    const p = deployable()
    p.setState({ fail: { 'helm upgrade': { stderr, code: 1 } } })
    const r = await p.run('deploy')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(cause)
    expect(r.stderr).toContain(fix)
    expect(r.stderr).not.toContain('Diagnosis of release')
  })
})
