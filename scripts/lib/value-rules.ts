// How one setting's text becomes a value: the zod rules the key table (config-keys.ts) is built from.
import { z } from 'zod'

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

function splitImageRef(v: string): { repository: string; tag: string } {
  // registry:port/path/name:tag — the tag is after the last colon that follows the last slash
  const slash = v.lastIndexOf('/')
  const colon = v.lastIndexOf(':')
  const hasTag = colon > slash
  const repository = hasTag ? v.slice(0, colon) : v
  const tag = hasTag ? v.slice(colon + 1) : 'latest'
  if (!/^[a-z0-9]+([._:/-][a-z0-9]+)*$/.test(repository) || !/^[\w][\w.-]{0,127}$/.test(tag))
    throw new Invalid('an image reference like node:24-slim or registry.example.com/node:24')
  return { repository, tag }
}
export const imageRef = () => field((v) => (splitImageRef(v), v))
export const imageRefParts = () => field(splitImageRef)

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
  if (r && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(r))
    throw new Invalid('a registry like localhost:5000 or ghcr.io/me', r)
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
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new Invalid(expected)
  }
  const extra = v.includes(',') || u.username || u.password || u.search || u.hash || v.includes('?') || v.includes('#')
  if (!PUBLIC_URL_PATTERN.test(v) || extra) throw new Invalid(expected)
  return v.replace(/\/+$/, '')
})
