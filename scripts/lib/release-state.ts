// One read of what the cluster holds for the release, asked at once: helm's major version, the namespace, the
// Secret's annotations (what the kit deployed last) and helm's status.
import type { Ctx } from './stage.ts'
import { inOrder } from './errors.ts'
import { helmMajor } from './tools.ts'
import { ANNOTATION, parseMigrated, valuesMatch, type MigrationKeys, type Value } from './release.ts'

export type ReleaseState = {
  helmMajor: number
  namespaceExists: boolean
  /** the content hash of the Secret the cluster has ('' when none) */
  secretHash: string
  /** helm status says deployed (not failed, pending or missing) */
  deployed: boolean
  revision: number
  /** the fingerprint deploy annotated after the last good upgrade */
  fingerprint: string
  /** per migration step, the key it last ran with (only for a deployed release) */
  migrated: Partial<MigrationKeys>
}

export async function readReleaseState(ctx: Ctx): Promise<ReleaseState> {
  const { cfg, query } = ctx
  const ns = cfg.namespace
  const [major, namespaceExists, secret, status] = await inOrder(
    helmMajor(ctx),
    // inside up and dev, setup has just created it: a pasted dry run must not create it twice
    ctx.dryRun && ctx.afterSetup ? Promise.resolve(true) : query`kubectl get namespace ${ns}`.then((r) => r.ok),
    query`kubectl get secret ${cfg.secretName} -n ${ns} -o json`,
    query`helm status ${cfg.release} -n ${ns} -o json`,
  )
  const annotations =
    parsed<{ metadata?: { annotations?: Record<string, string> } }>(secret.stdout)?.metadata?.annotations ?? {}
  const st = parsed<{ info?: { status?: string }; version?: number }>(status.stdout)
  const deployed = st?.info?.status === 'deployed'
  return {
    helmMajor: major,
    namespaceExists,
    secretHash: annotations[ANNOTATION.secretHash] ?? '',
    deployed,
    revision: st?.version ?? 0,
    fingerprint: annotations[ANNOTATION.release] ?? '',
    migrated: deployed ? parseMigrated(annotations[ANNOTATION.migrated]) : {},
  }
}

/** The release runs exactly this: deployed, same fingerprint, and helm still holds every value the kit sets. */
export async function isUpToDate(
  ctx: Ctx,
  state: ReleaseState,
  fingerprint: string,
  values: Value[],
): Promise<boolean> {
  if (!state.deployed || state.fingerprint !== fingerprint) return false
  const r = await ctx.query`helm get values ${ctx.cfg.release} -n ${ctx.cfg.namespace} -o json`
  return valuesMatch(parsed(r.stdout) ?? {}, values)
}

function parsed<T>(json: string): T | null {
  try {
    return JSON.parse(json) as T
  } catch {
    return null
  }
}
