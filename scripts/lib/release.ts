// What deploy intends the release to be, as data: the Secret manifest, the chart values the kit sets, and a
// fingerprint of everything that decides the release (values, chart files, values files). Pure, so tests pin it.
import { createHash, createHmac } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from './config.ts'
import { secretData } from './config-secrets.ts'
import { frontendMigrateCommand, frontendMigrateImage, images, neonProxyImage } from './images.ts'
import { migrateCommand, migrationDigest, type MigrationScope } from './migration-inputs.ts'
import { routingValues } from './routing.ts'

export const ANNOTATION = {
  secretHash: 'todo-k8s-kit/secret-hash',
  release: 'todo-k8s-kit/release-fingerprint',
  /** per migration step, the key of what it last ran with: `backend=<key>,frontend=<key>` */
  migrated: 'todo-k8s-kit/migrated',
} as const

export type Value = [path: string, value: string | number | boolean]

export function secretManifest(cfg: Config): { manifest: string; hash: string; keys: string[] } {
  const data = secretData(cfg)
  const keys = Object.keys(data).sort()
  // keyed by BETTER_AUTH_SECRET: the hash shows up in pod annotations, and must not let anyone test password guesses
  const hash = createHmac('sha256', cfg.secrets.BETTER_AUTH_SECRET ?? '')
    .update(JSON.stringify(keys.map((k) => [k, data[k]])))
    .digest('hex')
    .slice(0, 16)
  const manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: cfg.secretName,
      namespace: cfg.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'todo-k8s-kit', 'app.kubernetes.io/part-of': cfg.release },
      annotations: { [ANNOTATION.secretHash]: hash },
    },
    data: Object.fromEntries(keys.map((k) => [k, Buffer.from(data[k] as string).toString('base64')])),
  }
  return { manifest: JSON.stringify(manifest), hash, keys }
}

export function chartValues(cfg: Config, secretHash: string): Value[] {
  const imgs = images(cfg)
  const v: Value[] = [
    ['existingSecret', cfg.secretName],
    ['publicUrl', cfg.publicUrl],
    ['frontend.image.repository', imgs.frontend.repository],
    ['frontend.image.tag', imgs.frontend.tag],
    // the tag is a content hash: a node that has it has the right bits
    ['frontend.image.pullPolicy', 'IfNotPresent'],
    ['backend.image.repository', imgs.backend.repository],
    ['backend.image.tag', imgs.backend.tag],
    ['backend.image.pullPolicy', 'IfNotPresent'],
    ['frontend.replicaCount', cfg.replicas.frontend],
    ['backend.replicaCount', cfg.replicas.backend],
    ['frontend.autoscaling.enabled', cfg.hpa],
    ['backend.autoscaling.enabled', cfg.hpa],
    ...routingValues(cfg.routing, cfg.ingress, cfg.gateway, cfg.namespace),
    ['postgresql.enabled', !cfg.externalDatabase],
    ['postgresql.image.repository', cfg.postgresImage.repository],
    ['postgresql.image.tag', cfg.postgresImage.tag],
    // only when pinned: an unpinned release keeps its fingerprint
    ...(cfg.postgresImage.digest ? [['postgresql.image.digest', cfg.postgresImage.digest] as Value] : []),
    // a changed Secret rolls the pods (env from a Secret is read only at container start)
    [`frontend.podAnnotations.${ANNOTATION.secretHash}`, secretHash],
    [`backend.podAnnotations.${ANNOTATION.secretHash}`, secretHash],
    // only when there are some: a release without them keeps the chart's default (and its fingerprint)
    ...cfg.extraOrigins.map((o, i): Value => [`extraOrigins[${i}]`, o]),
    // FRONTEND_AUTH_MIGRATE: the migration Job's frontend step runs the auth library's CLI in its own image
    ...frontendMigrateValues(cfg),
    // FRONTEND_DB_DRIVER=neon: the sidecar that speaks Neon's protocols; only when on, so other releases keep their
    // fingerprint
    ...neonProxyValues(cfg),
    ...multiNodeMinikubeValues(cfg),
  ]
  return v
}

/**
 * MINIKUBE_NODES > 1: one replica per node where it can (a drained node's pods move, the rest keep serving), and the
 * database on the first node: minikube's storage-provisioner makes its hostPath volumes there, and their PVs carry no
 * node affinity, so on another node PostgreSQL would start on an empty directory.
 */
function multiNodeMinikubeValues(cfg: Config): Value[] {
  if (cfg.cluster !== 'minikube' || cfg.minikube.nodes < 2) return []
  const spread = (component: 'frontend' | 'backend'): Value[] => {
    const k = `${component}.topologySpreadConstraints[0]`
    return [
      [`${k}.maxSkew`, 1],
      [`${k}.topologyKey`, 'kubernetes.io/hostname'],
      [`${k}.whenUnsatisfiable`, 'DoNotSchedule'],
      // a cordoned node stops counting, so a drain can put both replicas on the node that is left
      [`${k}.nodeTaintsPolicy`, 'Honor'],
      // each rollout's new pods spread among themselves
      [`${k}.matchLabelKeys[0]`, 'pod-template-hash'],
    ]
  }
  return [...spread('frontend'), ...spread('backend'), ['postgresql.nodeSelector.minikube\\.k8s\\.io/primary', 'true']]
}

function frontendMigrateValues(cfg: Config): Value[] {
  const img = frontendMigrateImage(cfg)
  const command = frontendMigrateCommand(cfg)
  if (!img || !command) return []
  return [
    ['frontend.migrateImage.repository', img.repository],
    ['frontend.migrateImage.tag', img.tag],
    ...command.map((c, i): Value => [`frontend.migrateCommand[${i}]`, c]),
  ]
}

function neonProxyValues(cfg: Config): Value[] {
  const img = neonProxyImage(cfg)
  if (!img) return []
  return [
    ['postgresql.neonProxy.enabled', true],
    ['postgresql.neonProxy.image.repository', img.repository],
    ['postgresql.neonProxy.image.tag', img.tag],
  ]
}

// a value's path: a dot inside one key (a label name) comes escaped, as helm --set takes it
const keyParts = (k: string): string[] => k.split(/(?<!\\)\./)

// helm --set syntax: commas separate assignments and dots separate keys, so both are escaped inside one
const escKey = (k: string): string =>
  keyParts(k)
    .map((part) => part.replace(/,/g, '\\,'))
    .join('.')
const escVal = (v: string): string => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,')

export function setArgs(values: Value[]): string[] {
  return values.flatMap(([k, v]) =>
    typeof v === 'string' ? ['--set-string', `${escKey(k)}=${escVal(v)}`] : ['--set', `${escKey(k)}=${v}`],
  )
}

export function dirDigest(dir: string): string {
  const h = createHash('sha256')
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(d, e.name)
      if (e.isDirectory()) walk(abs)
      else if (e.isFile())
        h.update(path.relative(dir, abs) + '\0')
          .update(readFileSync(abs))
          .update('\0')
    }
  }
  walk(dir)
  return h.digest('hex')
}

export function releaseFingerprint(cfg: Config, values: Value[]): string {
  const h = createHash('sha256')
  h.update(JSON.stringify(values))
  h.update(dirDigest(cfg.chartDir))
  for (const f of cfg.helmValuesFiles) h.update(f + '\0').update(readFileSync(f))
  return h.digest('hex').slice(0, 16)
}

export type MigrationKeys = Record<'frontend' | 'backend', string>

/**
 * A migration step needs to run again when what its command can run changed (the backend: its image without the
 * Python files the command never imports, see migration-inputs.ts; the frontend: its image), or the database it
 * talks to (the Secret holds its URL or password), the chart or a values file (the step's command): the key hashes
 * exactly those. `backendScope` says which it was for the backend.
 */
export function migrationKeys(
  cfg: Config,
  secretHash: string,
  imgs: ReturnType<typeof images>,
): { keys: MigrationKeys; backendScope: MigrationScope } {
  const common = createHash('sha256').update(secretHash).update(dirDigest(cfg.chartDir))
  for (const f of cfg.helmValuesFiles) common.update(f + '\0').update(readFileSync(f))
  const base = common.digest('hex')
  const key = (what: string): string => createHash('sha256').update(base).update(what).digest('hex').slice(0, 16)
  const backend = migrationDigest(cfg.backend, migrateCommand(cfg, 'backend'))
  return {
    keys: {
      // the step runs in the migration image when there is one (its tag covers the auth config's path)
      frontend: key(frontendMigrateImage(cfg)?.ref ?? imgs.frontend.ref),
      backend: key(backend.scope.kind === 'files' ? `inputs:${backend.digest}` : imgs.backend.ref),
    },
    backendScope: backend.scope,
  }
}

/** What deploy's upgrade runs of the migration Job: each step whose key changed since it last ran (a one-image
 * change runs one step; a change of neither image, replicas say, runs no Job), as the chart's migrations.skip. */
export type MigrationPlan = { keys: MigrationKeys; args: string[]; notes: string[] }

export function planMigrations(
  cfg: Config,
  secretHash: string,
  imgs: ReturnType<typeof images>,
  migrated: Partial<MigrationKeys>,
): MigrationPlan {
  const { keys, backendScope } = migrationKeys(cfg, secretHash, imgs)
  const skip = (['backend', 'frontend'] as const).filter((c) => migrated[c] === keys[c])
  const why = (c: 'backend' | 'frontend'): string =>
    c === 'backend' && backendScope.kind === 'files'
      ? `backend already ran for these migration files (${backendScope.files.size} .py files its command imports)`
      : `${c} already ran for this image`
  const notes: string[] = []
  if (skip.length) notes.push(`migrations: ${skip.map(why).join('; ')}; left out (migrations.skip)`)
  if (!skip.includes('backend') && backendScope.kind === 'image')
    notes.push(`migrations: the backend step runs for any change to its image: ${backendScope.why}`)
  return { keys, args: skip.length ? ['--set', `migrations.skip={${skip.join(',')}}`] : [], notes }
}

export function parseMigrated(annotation: string | undefined): Partial<MigrationKeys> {
  const out: Partial<MigrationKeys> = {}
  for (const part of (annotation ?? '').split(',')) {
    const [k, v] = part.split('=')
    if ((k === 'frontend' || k === 'backend') && v) out[k] = v
  }
  return out
}

export const formatMigrated = (keys: MigrationKeys): string => `backend=${keys.backend},frontend=${keys.frontend}`

function getPath(obj: unknown, keys: string[]): unknown {
  let cur = obj
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[k]
  }
  return cur
}

/** Does `helm get values -o json` (the user-supplied values of the deployed revision) hold every value the kit sets? */
export function valuesMatch(deployed: unknown, values: Value[]): boolean {
  return values.every(([k, v]) => {
    // `extraOrigins[0]` is the list's first element
    const got = getPath(
      deployed,
      keyParts(k)
        .flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean))
        .map((p) => p.replace(/\\\./g, '.')),
    )
    return got !== undefined && String(got) === String(v)
  })
}

/**
 * The Secret step as a dry run shows it: one command that works pasted into bash, zsh or PowerShell and still puts no
 * secret value in argv or shell history. Node reads the values from the env file itself (the environment wins, as
 * with the kit) and hands kubectl the manifest on stdin. The JavaScript has no quote characters (template literals
 * only), so no shell's quoting rules touch it.
 */
export function secretApplyCommand(cfg: Config, envFile: string, keys: string[], hash: string): string[] {
  const q = (s: string): string => '`' + s.replace(/[`\\$]/g, '\\$&') + '`'
  const manifest =
    `{apiVersion:${q('v1')},kind:${q('Secret')},type:${q('Opaque')},metadata:{name:${q(cfg.secretName)},namespace:${q(cfg.namespace)},` +
    `labels:{[${q('app.kubernetes.io/managed-by')}]:${q('todo-k8s-kit')},[${q('app.kubernetes.io/part-of')}]:${q(cfg.release)}},` +
    `annotations:{[${q(ANNOTATION.secretHash)}]:${q(hash)}}},stringData:Object.fromEntries(k.map(x=>[x,process.env[x]]))}`
  const js =
    `const k=[${keys.map(q).join(',')}];const m=k.filter(x=>!process.env[x]);if(m.length)throw Error(${q('not set in the env file: ')}+m);` +
    `require(${q('child_process')}).execFileSync(${q('kubectl')},[${['apply', '-n', cfg.namespace, '-f', '-'].map(q).join(',')}],` +
    `{stdio:[${q('pipe')},${q('inherit')},${q('inherit')}],input:JSON.stringify(${manifest})})`
  return ['node', `--env-file-if-exists=${envFile}`, '-e', js]
}
