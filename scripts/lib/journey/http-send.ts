// One HTTP request from this machine, bounded in time. node:http rather than fetch: fetch replaces a Host header with
// the address it connects to, and on minikube the journey connects to `minikube ip` while the ingress routes by the
// public host name.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'

export type Res = {
  status: number
  /** lower-case names; Set-Cookie lines apart, one per cookie */
  headers: Record<string, string>
  setCookies: string[]
  text: string
}
/** A request that got no answer: code is Node's (ENOTFOUND, ECONNREFUSED, ETIMEDOUT...). */
export type NoAnswer = { error: string; code: string }
export type Sent = Res | NoAnswer
export type Wire = { url: string; method: string; headers: Record<string, string>; body?: string }
export type Send = (w: Wire) => Promise<Sent>

export const answered = (s: Sent): s is Res => 'status' in s

const MAX_BODY = 1 << 20 // an API answer is small; a huge one is cut, not buffered whole

/**
 * https to an address (a Gateway's) with the public host as Host header: the host is also the TLS server name, as a
 * browser that resolved it would send, so the listener serves and Node verifies the host's certificate.
 */
function tlsName(u: URL, w: Wire): { servername?: string } {
  const host = Object.entries(w.headers).find(([k]) => k.toLowerCase() === 'host')?.[1]
  if (u.protocol !== 'https:' || !host) return {}
  const name = new URL(`https://${host}`).hostname
  return name !== u.hostname && net.isIP(name) === 0 ? { servername: name } : {}
}

export function httpSend(timeoutMs: number): Send {
  return (w) =>
    new Promise((resolve) => {
      const u = new URL(w.url)
      const lib = u.protocol === 'https:' ? https : http
      const req = lib.request(
        u,
        { method: w.method, headers: w.headers, timeout: timeoutMs, ...tlsName(u, w) },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size <= MAX_BODY) chunks.push(c)
          })
          res.on('end', () => {
            const headers: Record<string, string> = {}
            for (const [k, v] of Object.entries(res.headers))
              if (k !== 'set-cookie' && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
            resolve({
              status: res.statusCode ?? 0,
              headers,
              setCookies: res.headers['set-cookie'] ?? [],
              text: Buffer.concat(chunks).toString('utf8'),
            })
          })
          res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.message, code: e.code ?? 'ERROR' }))
        },
      )
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })),
      )
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.message, code: e.code ?? 'ERROR' }))
      if (w.body !== undefined) req.write(w.body)
      req.end()
    })
}
