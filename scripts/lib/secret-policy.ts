// What counts as an acceptable secret: long enough, not a common word, a value of its own, never in a public value.
import { MIN_SECRET_LENGTH } from './redact.ts'
import { Invalid, field, type Report } from './value-rules.ts'

// Values people type when a template asks for a secret. Compared case-insensitively, ignoring punctuation and
// trailing digits, so `Password1!` and `changeme123` are caught too.
const COMMON_WORDS = new Set([
  'password',
  'passw0rd',
  'pass',
  'passwd',
  'postgres',
  'postgresql',
  'changeme',
  'changethis',
  'secret',
  'secrets',
  'mysecret',
  'todo',
  'todos',
  'admin',
  'administrator',
  'root',
  'default',
  'example',
  'test',
  'testing',
  'letmein',
  'qwerty',
  'welcome',
  'user',
  'guest',
  'openai',
  'apikey',
  'betterauth',
  'betterauthsecret',
  'yoursecret',
  'yoursecrethere',
  'secretkey',
  'token',
  'abc',
  'abcdef',
  'xxxxxxxx',
  '',
])
const commonWord = (v: string): boolean =>
  COMMON_WORDS.has(
    v
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .replace(/\d+$/, ''),
  )

const hidden = (rule: string): string => `${rule} (value hidden)`

function checkSecret(v: string, min: number, hint: string): void {
  if (v.length < min) throw new Invalid(`at least ${min} characters (has ${v.length}; value hidden); ${hint}`)
  if (commonWord(v)) throw new Invalid(hidden(`a random value, not a common word; ${hint}`))
}

/** A secret key's rule: empty is unset; a set value is at least `min` characters and not a common word. */
export const secretText = (min: number, hint: string) =>
  field((v) => {
    if (v === '') return undefined
    checkSecret(v, min, hint)
    return v
  })

const POSTGRES_PASSWORD_HINT = 'make one with: openssl rand -hex 24'
function checkPostgresPassword(v: string): void {
  // the chart composes it into DATABASE_URL unescaped
  if (!/^[A-Za-z0-9._~-]+$/.test(v)) {
    throw new Invalid(hidden(`only URL-safe characters A-Z a-z 0-9 . _ ~ -; ${POSTGRES_PASSWORD_HINT}`))
  }
  checkSecret(v, 16, POSTGRES_PASSWORD_HINT)
}

export const databaseUrl = field((v) => {
  if (v === '') return undefined
  const expected = hidden('a URL like postgresql://user:pass@host:5432/db, with a host and a database')
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new Invalid(expected)
  }
  if (!/^postgres(ql)?:$/.test(u.protocol) || !u.hostname || !/^\/[^/]+$/.test(u.pathname)) throw new Invalid(expected)
  let pw: string
  try {
    pw = decodeURIComponent(u.password)
  } catch {
    throw new Invalid(hidden('a URL whose password is percent-encoded correctly (e.g. @ as %40)'))
  }
  // a short password would escape redaction when a tool prints it on its own
  if (pw && (pw.length < MIN_SECRET_LENGTH || commonWord(pw))) {
    throw new Invalid(hidden(`a password in the URL of at least ${MIN_SECRET_LENGTH} characters, not a common word`))
  }
  return v
})

/** NEXT_PUBLIC_ENV, the build arg that carries every NEXT_PUBLIC_* line, stays far below a command line's limit */
const MAX_PUBLIC_ENV = 16 * 1024

const appSecretRule = secretText(MIN_SECRET_LENGTH, 'paste the whole value (or make one with: openssl rand -base64 32)')

/** The secret keys as parsed (POSTGRES_PASSWORD unchecked: it is only in use without DATABASE_URL). */
type ParsedSecrets = {
  BETTER_AUTH_SECRET?: string
  POSTGRES_PASSWORD: string
  DATABASE_URL?: string
  OPENAI_API_KEY?: string
  APP_SECRETS: string[]
}

/** What loadConfig read besides the keys. */
export type ReadValues = {
  /** the values of the keys APP_SECRETS names, as read ('' when unset) */
  appValues: Record<string, string>
  /** the NEXT_PUBLIC_* keys that are set, as read */
  publicEnv: Record<string, string>
  /** resolved value of every non-secret key */
  values: Record<string, string>
}

/**
 * The rules across keys for the values that leave .env: the app's own secrets follow the kit's rules (a set one is
 * checked now, a missing one when deploy runs), POSTGRES_PASSWORD is checked only while it is in use, no secret in
 * use equals another value, and a NEXT_PUBLIC_* value is one line and holds no secret.
 */
export function checkSecretsInUse(v: ParsedSecrets, read: ReadValues, issue: Report): void {
  const inUse: Record<string, string> = {}
  for (const k of ['BETTER_AUTH_SECRET', 'DATABASE_URL', 'OPENAI_API_KEY'] as const) if (v[k]) inUse[k] = v[k]
  for (const name of v.APP_SECRETS) {
    const raw = read.appValues[name] ?? ''
    const r = appSecretRule.safeParse(raw)
    if (!r.success) issue(name, new Invalid(r.error.issues[0]!.message))
    else if (r.data) inUse[name] = r.data
  }
  // they travel together as one build arg, and one command-line word has a size limit (E2BIG)
  const publicSize = Object.entries(read.publicEnv).reduce((n, [k, x]) => n + k.length + x.length + 2, 0)
  const largest = Object.entries(read.publicEnv).sort(([, a], [, b]) => b.length - a.length)[0]
  if (largest && publicSize > MAX_PUBLIC_ENV) {
    const expected = `NEXT_PUBLIC_* values of at most ${MAX_PUBLIC_ENV} characters together (they are ${publicSize}; this is the largest)`
    issue(largest[0], new Invalid(expected, `(${largest[1].length} characters)`))
  }
  for (const [name, value] of Object.entries(read.publicEnv)) {
    // frontend-docker reads NEXT_PUBLIC_ENV one NAME=value line at a time
    if (/[\r\n]/.test(value)) {
      issue(name, new Invalid('a value on one line (NEXT_PUBLIC_ENV passes one NAME=value line per key)', ''))
    }
  }
  if (v.POSTGRES_PASSWORD && !v.DATABASE_URL) {
    try {
      checkPostgresPassword(v.POSTGRES_PASSWORD)
      inUse.POSTGRES_PASSWORD = v.POSTGRES_PASSWORD
    } catch (e) {
      issue('POSTGRES_PASSWORD', e)
    }
  }
  // a secret that equals a printed setting, or another secret, is not secret
  const others = [...Object.entries(read.values), ...Object.entries(read.publicEnv), ...Object.entries(inUse)].filter(
    ([, x]) => x,
  )
  for (const [k, s] of Object.entries(inUse)) {
    const same = others.find(([o, x]) => o !== k && x === s)
    if (same) issue(k, new Invalid(hidden(`a value of its own (it equals ${same[0]})`)))
  }
  // a public value is baked into the image and the browser bundle: one holding a secret would leak it
  for (const [name, value] of Object.entries(read.publicEnv)) {
    const held = Object.entries(inUse).find(([, x]) => x.length >= MIN_SECRET_LENGTH && value.includes(x))
    if (!held) continue
    const expected =
      `a public value without a secret in it (it holds the value of ${held[0]}; ` +
      'NEXT_PUBLIC_* values end up in the browser bundle)'
    issue(name, new Invalid(expected, '(value hidden)'))
  }
}
