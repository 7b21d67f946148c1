// Hiding secret values in everything the kit prints. A redactor is made from the configuration's secrets and carried
// by the stage context: there is no process-wide list of values.
//
// Only whole values of at least MIN_SECRET_LENGTH characters are hidden: a short value (config rejects those for
// secrets anyway) would turn unrelated text into `kub***ctl`. A DATABASE_URL's password is hidden on its own too,
// raw and percent-decoded, since tools print URLs with the password in either form.
export const MIN_SECRET_LENGTH = 8

export type Redactor = (text: string) => string

/**
 * Any URL's user info (`https://admin:password@host`) as ***: whatever value or tool output holds one (PUBLIC_URL, a
 * NEXT_PUBLIC_* URL, a registry's, a database's), the password in it is not printed.
 */
export const hideUrlUserinfo = (text: string): string =>
  text
    // user:password@ keeps the user (it names the account, the tools print it too)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#'"@:]*):[^\s/?#'"]*@/gi, '$1$2:***@')
    // a lone user part is often a token (https://<token>@github.com)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#'"@:*]+@/gi, '$1***@')

export function secretValuesOf(secrets: Record<string, string | undefined>): string[] {
  const values = new Set<string>()
  for (const v of Object.values(secrets)) {
    if (!v) continue
    values.add(v)
    if (!v.includes('://')) continue
    try {
      const u = new URL(v)
      if (u.password) {
        values.add(u.password)
        values.add(decodeURIComponent(u.password))
      }
    } catch {
      /* not a URL: the whole value is enough */
    }
  }
  return [...values].filter((v) => v.length >= MIN_SECRET_LENGTH)
}

export function createRedactor(secrets: Record<string, string | undefined>): Redactor {
  // longest first, so a value that contains another is hidden whole
  const values = secretValuesOf(secrets).sort((a, b) => b.length - a.length)
  if (values.length === 0) return hideUrlUserinfo
  return (text) => {
    let out = text
    for (const v of values) out = out.split(v).join('***')
    // then what no secret names: a URL's password the configuration does not know
    return hideUrlUserinfo(out)
  }
}
