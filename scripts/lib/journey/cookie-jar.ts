// The cookies a browser on the public URL would keep: the journey sends back only those, so a session cookie a
// browser drops (Secure on plain http, a Domain that is not the host's) fails here as it fails for a user.

export type Dropped = { name: string; why: string }

type Cookie = { name: string; value: string; path: string }

/** Browsers treat http://localhost as a secure context: Secure cookies stick there even without TLS. */
const secureContext = (u: URL): boolean =>
  u.protocol === 'https:' ||
  ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) ||
  u.hostname.endsWith('.localhost')

export class CookieJar {
  private cookies = new Map<string, Cookie>()
  private readonly page: URL
  constructor(page: URL) {
    this.page = page
  }

  /** Keeps what a browser on `page` keeps from these Set-Cookie lines; says why each other one was dropped. */
  take(setCookies: string[]): { kept: string[]; dropped: Dropped[] } {
    const kept: string[] = []
    const dropped: Dropped[] = []
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim())
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      const a = new Map(
        attrs.map((x) => {
          const i = x.indexOf('=')
          return (i < 0 ? [x.toLowerCase(), ''] : [x.slice(0, i).toLowerCase(), x.slice(i + 1)]) as [string, string]
        }),
      )
      const secure = a.has('secure')
      const why =
        secure && !secureContext(this.page)
          ? `it is Secure and ${this.page.origin} is plain http`
          : /^__(Secure|Host)-/.test(name) && !secure
            ? `its ${name.split('-')[0]}- prefix needs Secure`
            : a.get('samesite')?.toLowerCase() === 'none' && !secure
              ? 'SameSite=None without Secure'
              : domainMismatch(a.get('domain'), this.page.hostname)
      if (why) {
        dropped.push({ name, why })
        continue
      }
      const expired =
        (a.has('max-age') && Number(a.get('max-age')) <= 0) ||
        (a.has('expires') && Date.parse(a.get('expires')!) < Date.now())
      if (expired) this.cookies.delete(name)
      else {
        this.cookies.set(name, { name, value, path: a.get('path') || '/' })
        kept.push(name)
      }
    }
    return { kept, dropped }
  }

  /** The Cookie header a browser sends for `path` ('' when none). */
  header(path: string): string {
    return [...this.cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }

  names(): string[] {
    return [...this.cookies.keys()]
  }
}

function domainMismatch(domain: string | undefined, host: string): string | null {
  if (!domain) return null
  const d = domain.replace(/^\./, '').toLowerCase()
  const h = host.toLowerCase()
  return h === d || h.endsWith(`.${d}`) ? null : `its Domain=${domain} does not cover ${host}`
}
