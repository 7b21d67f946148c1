// How one setting's text becomes a value: the zod rules the key table (config-keys.ts) is built from.
import { z } from 'zod'
import { hideUrlUserinfo } from './redact.ts'

// Thrown by a rule, turned into a zod issue; `got` replaces the shown value when the culprit is a part of it.
export class Invalid extends Error {
  got?: string
  constructor(expected: string, got?: string) {
    super(expected)
    this.got = got
  }
}

/** How the checks across keys report an Invalid against a key (anything else is a bug and is rethrown). */
export type Report = (key: string, e: unknown) => void

export const field = <T>(parse: (v: string) => T) =>
  z.string().transform((v, ctx): T => {
    try {
      return parse(v)
    } catch (e) {
      if (!(e instanceof Invalid)) throw e
      ctx.addIssue({ code: 'custom', message: e.message, params: { got: e.got } })
      return z.NEVER
    }
  })

export const matching = (pattern: RegExp, expected: string) =>
  field((v) => {
    if (!pattern.test(v)) throw new Invalid(expected)
    return v
  })

export const int = (min: number, max: number) =>
  field((v) => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new Invalid(`a whole number from ${min} to ${max}`)
    return Number(v)
  })

export const bool = () =>
  field((v) => {
    const s = v.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(s)) return true
    if (['false', '0', 'no', 'off', ''].includes(s)) return false
    throw new Invalid('true or false')
  })

export const oneOf = <T extends string>(options: readonly T[]) =>
  field((v) => {
    if (!(options as readonly string[]).includes(v)) throw new Invalid(`one of ${options.join(', ')}`)
    return v as T
  })

// DNS-1123 label: namespaces, release names, secret names
export const dnsLabel = (max = 63) =>
  field((v) => {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > max) {
      throw new Invalid(`a lowercase DNS name (a-z, 0-9, -; at most ${max} characters)`)
    }
    return v
  })

export const hostName = () =>
  matching(
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'a lowercase host name like todo.local',
  )
export const imageName = () =>
  matching(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, 'an image name without tag, e.g. todo-frontend')

export type ImageParts = { repository: string; tag: string; digest?: string }

const DIGEST = /^sha256:[a-f0-9]{64}$/
const IMAGE_EXPECTED =
  'an image reference like node:24-slim, registry.example.com/node:24 or node:24-slim@sha256:<64 hex digits>'

function splitImageRef(v: string): ImageParts {
  // registry:port/path/name:tag@sha256:digest — the digest after the @, the tag after the last colon that follows the
  // last slash of what is before it
  const at = v.indexOf('@')
  const digest = at >= 0 ? v.slice(at + 1) : undefined
  const named = at >= 0 ? v.slice(0, at) : v
  if (digest !== undefined && !DIGEST.test(digest)) throw new Invalid(IMAGE_EXPECTED)
  const slash = named.lastIndexOf('/')
  const colon = named.lastIndexOf(':')
  const hasTag = colon > slash
  const repository = hasTag ? named.slice(0, colon) : named
  // a digest alone pins the image; the tag beside it is only a label (the chart needs one)
  const tag = hasTag ? named.slice(colon + 1) : 'latest'
  if (!/^[a-z0-9]+([._:/-][a-z0-9]+)*$/.test(repository) || !/^[\w][\w.-]{0,127}$/.test(tag))
    throw new Invalid(IMAGE_EXPECTED)
  return digest ? { repository, tag, digest } : { repository, tag }
}
export const imageRef = () => field((v) => (splitImageRef(v), v))
export const imageRefParts = () => field(splitImageRef)
/** The reference a tool takes: repository:tag, pinned with @digest when there is one. */
export const imageRefText = (i: ImageParts): string => `${i.repository}:${i.tag}${i.digest ? `@${i.digest}` : ''}`

// minikube refuses less than 1800 MB, and a bare number is MB to it
const MEMORY_MIN_MB = 1800
const MEMORY_MAX_MB = 1024 * 1024
export const memorySize = () =>
  field((v) => {
    const m = /^(\d+)(mb|m|gb|g)?$/i.exec(v)
    const mb = m ? Number(m[1]) * (/^g/i.test(m[2] ?? '') ? 1024 : 1) : NaN
    if (!(mb >= MEMORY_MIN_MB && mb <= MEMORY_MAX_MB))
      throw new Invalid(`a size like 4096mb or 6g, from ${MEMORY_MIN_MB}mb (minikube's minimum) to 1024g`)
    return v
  })

/** A TCP port written in a value: 1 to 65535 (0 means "any port" to the system, never one a user can open). */
export const validPort = (p: string): boolean => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535

/** A value with its user info (user:password@) replaced by ***, for a message about a value that holds one. */
export const hideUserinfo = (value: string): string =>
  // a URL's, or a scheme-less host's (a registry), but not an image's @sha256: digest
  hideUrlUserinfo(value)
    .replace(/^([^\s/@:]*):[^\s/]*@(?!sha256:)/, '$1:***@')
    .replace(/^[^\s/:@*]+@(?!sha256:)/, '***@')

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const
// Node's timers overflow above 2^31-1 ms (~24.8 days) and fire at once, so every duration has a sane upper bound.
export const duration = (max: string) => {
  const ms = (v: string): number | null => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(v)
    return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null
  }
  const maxMs = ms(max)!
  return field((v) => {
    const n = ms(v)
    if (n === null || n < 1000 || n > maxMs) throw new Invalid(`a duration like 90s, 5m or 1h, from 1s to ${max}`)
    return { text: v, ms: n }
  })
}

export const commaList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

export const addons = field((v) => {
  const list = commaList(v)
  for (const a of list) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(a)) throw new Invalid('a comma list of addon names like ingress,metrics-server', a)
  }
  return list
})

export const registry = field((v) => {
  const r = v.replace(/\/+$/, '')
  const expected = 'a registry like localhost:5000 or ghcr.io/me (no user or password: docker login keeps those)'
  if (r.includes('@')) throw new Invalid(expected, hideUserinfo(r))
  const m = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:(\d{1,5}))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.exec(r)
  if (r && !m) throw new Invalid(expected, r)
  if (m?.[3] !== undefined && !validPort(m[3])) throw new Invalid('a registry whose port is from 1 to 65535', r)
  return r || null
})

/** helm/todo-chatbot/values.schema.json's publicUrl pattern; config.test.ts keeps the two equal. */
export const PUBLIC_URL_PATTERN = new RegExp('^https?://[^/\\s]+/?$')
export const publicUrl = field((v) => {
  if (v === '') return null
  // The chart's pattern, plus what it lets through but an auth issuer / CORS origin cannot be: a comma (the origin
  // list separator), user info, a query or a fragment.
  const expected =
    'an http(s) origin like https://todo.example.com (scheme, host and optional port; no path, query or comma)'
  // user info is refused, and never shown: it is a password
  const shown = hideUserinfo(v)
  if (shown !== v) throw new Invalid(`${expected}; no user or password in it`, shown)
  const port = /^https?:\/\/[^/@]*:(\d*)\/?$/.exec(v)?.[1]
  if (port !== undefined && !validPort(port)) throw new Invalid('an http(s) origin whose port is from 1 to 65535')
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new Invalid(expected)
  }
  const extra = v.includes(',') || u.username || u.password || u.search || u.hash || v.includes('?') || v.includes('#')
  if (!PUBLIC_URL_PATTERN.test(v) || extra) throw new Invalid(expected, hideUserinfo(v))
  return v.replace(/\/+$/, '')
})
