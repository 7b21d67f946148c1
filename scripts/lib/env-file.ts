// The .env file: reading it (and noticing what dotenv cut), writing it on the first run, and adding keys for init.
// It is rendered from the key table, so .env.example, a first-run .env and init's additions document the same keys.
import { chmodSync, existsSync, lstatSync, readlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import {
  DOC_ROWS,
  GROUPS,
  KEYS,
  PUBLIC_ENV_DOC,
  isKnownKey,
  isPublicEnvKey,
  isSecret,
  type Group,
} from './config-keys.ts'
import { ConfigError, KitError, type ConfigSource } from './errors.ts'
import { relPath, repoRoot } from './project-paths.ts'
import { MAX_TEXT_FILE_BYTES, UnreadableFile, danglingLink, readTextFile, sizeText } from './safe-read.ts'

export type EnvFile = {
  /** the file that was read, or null when the default .env is missing */
  file: string | null
  text: string
  /** its keys as dotenv reads them */
  vars: Record<string, string>
}

/**
 * The .env file loadConfig reads: the one --env-path (`envFile`) or KIT_ENV_FILE names, else <root>/.env. A missing
 * default file reads as empty; a named one that is missing, a directory or unreadable is a ConfigError.
 */
export function readEnvFile(
  root: string,
  envFile: string | undefined,
  env: NodeJS.ProcessEnv,
  opts: { mayBeMissing?: boolean } = {},
): EnvFile {
  const explicit =
    envFile !== undefined
      ? { value: envFile, from: 'flag' as const }
      : env.KIT_ENV_FILE !== undefined
        ? { value: env.KIT_ENV_FILE, from: 'env' as const }
        : null
  const envFileError = (expected: string, fix: string): ConfigError =>
    new ConfigError('KIT_ENV_FILE', expected, explicit?.value, explicit?.from === 'env' ? 'env' : 'default', fix)
  const how =
    explicit?.from === 'env'
      ? 'export KIT_ENV_FILE=<path of your .env> (or unset it to use .env)'
      : 'pass --env-path <path of your .env>'
  if (explicit && explicit.value.trim() === '') throw envFileError('a path to a .env file, not an empty string', how)
  const file = path.resolve(root, explicit?.value ?? '.env')
  const shown = relPath(root, file)
  // a link to nowhere is not "no .env": a first run would not write through it, and the user meant a file
  if (!existsSync(file) && !danglingLink(file)) {
    if (!explicit) return { file: null, text: '', vars: {} }
    if (opts.mayBeMissing) return { file, text: '', vars: {} }
    const expected = `an existing .env file (looked for ${file}); create it with: cp .env.example .env`
    throw envFileError(expected, `cp .env.example ${shown}`)
  }
  let text: string
  try {
    text = readTextFile(file)
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e
    const target = danglingLink(file) ? readlinkSync(file) : null
    if (target !== null) {
      const fix = explicit ? how : `rm ${shown} (a first run then writes a new one), or create ${target}`
      throw envFileError(`an existing .env file (${file} is a symbolic link to ${target}, which does not exist)`, fix)
    }
    if (e.code === 'EISDIR' || e.problem.startsWith('a directory'))
      throw envFileError(`a .env file, not a directory (${file})`, how)
    if (e.code === 'EACCES' || e.code === 'EPERM')
      throw envFileError(`a readable .env file (${file}: ${e.code})`, `chmod u+r ${shown} (or ${how})`)
    if (e.code) throw envFileError(`a readable .env file (${file}: ${e.code})`, how)
    const replace = explicit ? how : `rm ${shown} && cp .env.example ${shown}`
    throw envFileError(
      `a regular .env file of at most ${sizeText(MAX_TEXT_FILE_BYTES)} (${file} is ${e.problem})`,
      replace,
    )
  }
  // a program or an archive named by mistake would read as hundreds of "unknown keys"
  if (text.includes('\0')) throw envFileError(`a text .env file (${file} holds binary data)`, how)
  return { file, text, vars: parseDotenv(text) }
}

type Cut = { typed: number; read: number }
// dotenv ends an unquoted value at the first `#` (`KEY=abc#def` reads `abc`): for a secret that silently yields a
// shorter, different secret. Compare what each secret's (last) line holds with what dotenv read.
function cutSecrets(text: string, parsed: Record<string, string>, secret: (key: string) => boolean): Map<string, Cut> {
  const cut = new Map<string, Cut>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*|:\s+)(.*)$/.exec(line)
    if (!m || !secret(m[1]!)) continue
    const key = m[1]!
    const rest = m[2]!.trim()
    const typed = rest.length
    const read = (parsed[key] ?? '').length
    if (/^['"`]/.test(rest) || !rest.includes('#') || typed <= read) cut.delete(key)
    else cut.set(key, { typed, read })
  }
  return cut
}

/**
 * What the file holds that is not read as typed: keys the kit does not read (its own, NEXT_PUBLIC_* and the
 * `appNames` APP_SECRETS gives), and secrets a `#` cut short unless the environment sets them. `cut` is kept for the
 * error of such a secret when it then fails its rule.
 */
export function envFileWarnings(
  f: EnvFile,
  name: string,
  appNames: string[],
  env: NodeJS.ProcessEnv,
): { warnings: string[]; cut: Map<string, Cut> } {
  const warnings: string[] = []
  for (const k of Object.keys(f.vars)) {
    if (isKnownKey(k) || appNames.includes(k) || isPublicEnvKey(k)) continue
    warnings.push(`unknown key ${k} in ${name} is ignored (see .env.example for the keys)`)
  }
  const cut = cutSecrets(f.text, f.vars, (key) => isSecret(key) || appNames.includes(key))
  for (const [key, c] of cut) {
    // the environment overrides the kit's own keys (never the app's: those come from the file only)
    if (env[key] !== undefined && !appNames.includes(key)) continue
    warnings.push(
      `${key} in ${name} has a '#' outside quotes: only the ${c.read} characters before it are read, of the ${c.typed} ` +
        `typed (dotenv starts a comment there); if the '#' belongs to the value, quote it: ${key}="..."`,
    )
  }
  return { warnings, cut }
}

/** The fix line of a ConfigError: what to do about `key`, by where its value came from. */
export function fixFor(key: string, source: ConfigSource, envFile: string): string {
  if (source === 'env') {
    return `unset ${key} or export ${key}=<...> (it comes from the environment, which overrides .env)`
  }
  const documented = isKnownKey(key) ? ' (documented in .env.example)' : ''
  if (source === 'file') return `edit ${key} in ${envFile}${documented}`
  return `set ${key} in ${envFile}${documented}`
}

// ---------- .env.example and the first-run .env ----------

/**
 * `.env.example` (no fill), or a first-run `.env` whose secrets are `fill`: every key with its doc line, grouped;
 * secrets the kit can generate are uncommented, every other key is commented out with its default.
 */
export function renderEnvFile(fill?: Partial<Record<string, string>>): string {
  const lines = fill
    ? [
        '# todo-k8s-kit configuration, written on the first run with generated secrets. ' +
          'Keep it private (git-ignored, mode 0600).',
        '# Every key is documented in .env.example; the environment overrides this file.',
      ]
    : [
        '# todo-k8s-kit configuration. The first run writes .env with generated secrets; ' +
          'or copy this file:  cp .env.example .env',
        '# Every key is optional except the secrets deploy needs; the environment overrides this file.',
        '# Generated from scripts/lib/config.ts by: npm run gen:config',
      ]
  let group: Group | null = null
  for (const k of DOC_ROWS) {
    if (k.group !== group) {
      group = k.group
      lines.push('', `# ---- ${GROUPS[group]}`)
    }
    if (k === PUBLIC_ENV_DOC) {
      lines.push('', `# ${k.key}: ${k.doc}`)
      continue
    }
    lines.push('', `# ${k.doc}`)
    const value = fill?.[k.key]
    lines.push(value !== undefined ? `${k.key}=${value}` : k.generate ? `${k.key}=` : `# ${k.key}=${k.default}`)
  }
  return lines.join('\n') + '\n'
}

const WRITE_PROBLEMS: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'the directory is not writable',
  EPERM: 'the directory is not writable',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
}

/** A first-run .env that cannot be written: why, and how to keep the settings somewhere writable instead. */
function cannotWriteEnvFile(file: string, root: string, code: string): KitError {
  const why = WRITE_PROBLEMS[code] ?? 'writing failed'
  return new KitError(
    `cannot write ${relPath(root, file)} with generated secrets: ${why} (${code})`,
    'cp .env.example ~/todo-kit.env, set its secrets, then: export KIT_ENV_FILE=~/todo-kit.env',
  )
}

type EnvFileOptions = {
  root?: string
  envFile?: string
  env?: NodeJS.ProcessEnv
  /** init: a missing file asked for by --env-path or KIT_ENV_FILE is written too, when its directory exists */
  createExplicit?: boolean
}

/**
 * The .env file a first run would write, else null: the default path when missing and no other file is asked for;
 * with createExplicit, also the file asked for when missing.
 */
export function envFileToCreate(opts: EnvFileOptions): string | null {
  const env = opts.env ?? process.env
  const root = opts.root ?? repoRoot
  const explicit = opts.envFile ?? env.KIT_ENV_FILE
  if (explicit !== undefined && (!opts.createExplicit || explicit.trim() === '')) return null
  const file = explicit !== undefined ? path.resolve(root, explicit) : path.join(root, '.env')
  // a directory that is not there is a mistyped path: loadConfig says so
  if (!existsSync(path.dirname(file))) return null
  // lstat: a link (even one to nowhere) is something the user put there, never written through
  return lstatSync(file, { throwIfNoEntry: false }) ? null : file
}

/** Fresh values for the secrets the kit can generate and the environment does not already give. */
export function generatedSecrets(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const fill: Record<string, string> = {}
  for (const k of KEYS) {
    if (!k.generate || env[k.key]) continue
    if (k.key === 'POSTGRES_PASSWORD' && env.DATABASE_URL) continue
    fill[k.key] = k.generate()
  }
  return fill
}

/**
 * First run: when the default .env (<root>/.env) is missing, write it with generated secrets, mode 0600. An explicit
 * file (--env-path / KIT_ENV_FILE) is created only for init (createExplicit): for any other stage a missing one is a
 * mistake loadConfig reports, since a mistyped path would otherwise deploy with new secrets. Never overwrites
 * a file, and generates no secret the environment already sets (nor POSTGRES_PASSWORD when DATABASE_URL is set).
 */
export function ensureEnvFile(opts: EnvFileOptions): { created: string | null; keys: string[] } {
  const file = envFileToCreate(opts)
  if (!file) return { created: null, keys: [] }
  const fill = generatedSecrets(opts.env ?? process.env)
  try {
    writeFileSync(file, renderEnvFile(fill), { mode: 0o600, flag: 'wx' })
  } catch (e) {
    // another process made it in between (or a dangling symlink is there): leave it alone
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    if (code === 'EEXIST') return { created: null, keys: [] }
    throw cannotWriteEnvFile(file, opts.root ?? repoRoot, code)
  }
  chmodSync(file, 0o600) // the umask may have taken bits away, never added; make the mode exact anyway
  return { created: file, keys: Object.keys(fill) }
}

// ---------- adding keys to an existing .env (init) ----------

export type EnvKeysResult = { text: string; added: string[]; kept: Record<string, string> }

const envLine = (key: string, value: string): string =>
  `${key}=${/^[\w@%+=:,./~-]*$/.test(value) ? value : `'${value}'`}`

/**
 * A .env's text with `entries` added for the keys it does not set (an empty value counts as unset). A key's commented
 * placeholder (`# KEY=default`, as the first-run .env and .env.example have them) becomes `KEY=value` in place, under
 * its doc line; other keys are appended after `heading`. Every other line, comment and value stays as it was.
 */
export function withEnvKeys(text: string, entries: Record<string, string>, heading: string): EnvKeysResult {
  const parsed = parseDotenv(text)
  const lines = text.split('\n')
  const added: string[] = []
  const kept: Record<string, string> = {}
  const tail: string[] = []
  for (const [key, value] of Object.entries(entries)) {
    if (!isKnownKey(key) && !isPublicEnvKey(key)) throw new Error(`withEnvKeys: unknown key ${key}`)
    if (parsed[key] !== undefined && parsed[key] !== '') {
      kept[key] = parsed[key]!
      continue
    }
    added.push(key)
    const set = lines.findIndex((l) => new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`).test(l))
    const placeholder = lines.findIndex((l) => new RegExp(`^#\\s*${key}=`).test(l))
    const at = set >= 0 ? set : placeholder
    if (at >= 0) lines[at] = envLine(key, value)
    else tail.push(envLine(key, value))
  }
  let out = lines.join('\n')
  if (tail.length) out = `${out.replace(/\n*$/, '')}${out.trim() ? '\n\n' : ''}# ${heading}\n${tail.join('\n')}\n`
  return { text: out, added, kept }
}

/** withEnvKeys on a file; writes it (mode kept) only when a key was added. */
export function addEnvKeys(
  file: string,
  entries: Record<string, string>,
  heading: string,
): Omit<EnvKeysResult, 'text'> {
  const before = existsSync(file) ? readTextFile(file) : ''
  const r = withEnvKeys(before, entries, heading)
  if (r.added.length) writeFileSync(file, r.text)
  return { added: r.added, kept: r.kept }
}
