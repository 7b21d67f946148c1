// HELM_VALUES_FILES, checked when the configuration loads, so a file helm would reject (or one that would put a
// secret into the release's values, readable by anyone who may `helm get values`) stops a stage before it changes
// anything: each is a regular file of bounded size holding a YAML mapping, with no secret value in it.
import path from 'node:path'
import YAML from 'yaml'
import { relPath } from './project-paths.ts'
import { secretValuesOf } from './redact.ts'
import { UnreadableFile, readTextFile, sizeText } from './safe-read.ts'
import { Invalid, type Report } from './value-rules.ts'

/** a values file is a few KB; one of megabytes is not what the user meant */
export const MAX_VALUES_FILE_BYTES = 1024 * 1024

/** The values file's text and mapping; an Invalid naming the file and what it is instead. */
export function readValuesFile(abs: string, shown: string): { text: string; doc: Record<string, unknown> } {
  let text: string
  try {
    text = readTextFile(abs, MAX_VALUES_FILE_BYTES)
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e
    if (e.code === 'ENOENT' && !e.problem.startsWith('a symbolic link'))
      throw new Invalid(`an existing file (looked for ${abs})`, shown)
    const what = e.problem
    throw new Invalid(
      `values files that are regular files of at most ${sizeText(MAX_VALUES_FILE_BYTES)} (${shown} is ${what})`,
      shown,
    )
  }
  let doc: unknown
  try {
    doc = YAML.parse(text)
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]
    throw new Invalid(`values files in YAML (${shown} does not parse: ${why})`, shown)
  }
  // an empty file (or one of comments) is an empty mapping to helm
  if (doc === null || doc === undefined) return { text, doc: {} }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    const kind = Array.isArray(doc) ? 'a list' : `a ${typeof doc}`
    throw new Invalid(
      `values files holding a YAML mapping like "frontend: {replicaCount: 2}" (${shown} holds ${kind})`,
      shown,
    )
  }
  return { text, doc: doc as Record<string, unknown> }
}

/** Every string in a parsed document (keys too): a secret may be written escaped or folded in the YAML text. */
function strings(doc: unknown, out: string[] = []): string[] {
  if (typeof doc === 'string') out.push(doc)
  else if (Array.isArray(doc)) for (const x of doc) strings(x, out)
  else if (doc && typeof doc === 'object')
    for (const [k, x] of Object.entries(doc)) {
      out.push(k)
      strings(x, out)
    }
  return out
}

/** The key whose secret value (or a DATABASE_URL's password) appears in `text`, or null. */
function heldSecret(text: string, secrets: Record<string, string | undefined>): string | null {
  for (const [key, value] of Object.entries(secrets)) {
    if (secretValuesOf({ [key]: value }).some((v) => text.includes(v))) return key
  }
  return null
}

/** Every values file is readable as a mapping and holds none of `secrets` (the keys' values, never shown). */
export function checkValuesFiles(
  files: string[],
  root: string,
  secrets: Record<string, string | undefined>,
  issue: Report,
): void {
  for (const f of files) {
    const abs = path.resolve(root, f)
    const shown = relPath(root, abs)
    try {
      const { text, doc } = readValuesFile(abs, shown)
      const key = heldSecret([text, ...strings(doc)].join('\n'), secrets)
      if (key) {
        throw new Invalid(
          `values files without a secret in them (${shown} holds the value of ${key}; secrets belong in .env, ` +
            'deploy puts them in the Secret, where the chart reads them)',
          shown,
        )
      }
    } catch (e) {
      issue('HELM_VALUES_FILES', e)
    }
  }
}

export type ReplacedList = { at: string; file: string; by: string; lost: string[] }

/**
 * Lists a later values file sets where an earlier one set them too: Helm replaces a list whole, so what the earlier
 * list held and the later one lacks is gone (a `backend.extraEnv` of the user's own drops the APP_MODULE and Secret
 * references init wrote). Entries are compared by their `name` (env entries, volumes) or as they are written.
 */
export function replacedLists(files: string[], root: string): ReplacedList[] {
  const docs: { file: string; doc: unknown }[] = []
  for (const f of files) {
    try {
      docs.push({ file: relPath(root, path.resolve(root, f)), doc: readValuesFile(path.resolve(root, f), f).doc })
    } catch {
      // checkValuesFiles reports a file that cannot be read
    }
  }
  const lists = (doc: unknown, at: string[] = [], out = new Map<string, unknown[]>()): Map<string, unknown[]> => {
    if (Array.isArray(doc)) out.set(at.join('.'), doc)
    else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) lists(v, [...at, k], out)
    return out
  }
  const key = (x: unknown): string =>
    x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string'
      ? (x as { name: string }).name
      : JSON.stringify(x)
  const out: ReplacedList[] = []
  const seen = new Map<string, { file: string; items: unknown[] }>()
  for (const { file, doc } of docs)
    for (const [at, items] of lists(doc)) {
      const before = seen.get(at)
      const kept = new Set(items.map(key))
      const lost = before ? before.items.map(key).filter((k) => !kept.has(k)) : []
      if (before && lost.length) out.push({ at, file: before.file, by: file, lost })
      seen.set(at, { file, items })
    }
  return out
}
