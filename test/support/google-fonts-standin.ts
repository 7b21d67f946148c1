// A stand-in for Google Fonts while an image builds, on a machine that cannot reach fonts.googleapis.com: most real
// apps use next/font/google, which downloads the fonts during `next build`. Like the stand-in base images, it is for
// the tests and benchmarks here, never for users. It is an HTTPS proxy the build reaches through Docker's own proxy
// settings (DOCKER_CONFIG's config.json `proxies`, which the docker CLI passes as the HTTPS_PROXY build args that
// next/font honours): the two Google Fonts hosts are answered here, with a certificate from a throwaway CA that a
// derived base image trusts; every other host is tunnelled to the real one untouched (the npm registry, PyPI).
// The fonts it serves are placeholders: the CSS is shaped as Google's (one @font-face per family, weight and style,
// under a `/* latin */` subset comment) and each font file is a few bytes, so pages render with fallback fonts.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'

export const FONT_HOSTS = ['fonts.googleapis.com', 'fonts.gstatic.com'] as const

export type FontsStandin = {
  /** the proxy URL the build uses (the docker bridge's address on this machine) */
  proxyUrl: string
  /** a DOCKER_CONFIG directory whose config.json sends builds through the proxy */
  dockerConfig: string
  /** the CA certificate (PEM) a base image must trust */
  caPem: string
  /** how many font CSS and font file requests it answered */
  served: { css: number; files: number }
  stop(): Promise<void>
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' })
}

/** A throwaway CA and one certificate for both Google Fonts hosts, made with openssl in a temp dir. */
function certificates(dir: string): { ca: string; key: string; cert: string } {
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.pem']
      .concat(['-subj', '/CN=fonts stand-in CA', '-addext', 'basicConstraints=critical,CA:TRUE']),
    dir,
  )
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'host.key', '-out', 'host.csr', '-subj', '/CN=fonts'], dir)
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${FONT_HOSTS.map((h) => `DNS:${h}`).join(',')}\n`)
  openssl(
    ['x509', '-req', '-in', 'host.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2']
      .concat(['-out', 'host.pem', '-extfile', 'san.ext']),
    dir,
  )
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8')
  return { ca: read('ca.pem'), key: read('host.key'), cert: read('host.pem') }
}

/** Google's css2 answer for `family=Inter:wght@400;700&family=Geist+Mono`: one @font-face per family and weight. */
export function fontCss(url: URL): string {
  const faces: string[] = []
  for (const spec of url.searchParams.getAll('family')) {
    const [name = 'Font', axes = ''] = spec.split(':')
    const family = name.replace(/\+/g, ' ')
    const [keys = '', values = ''] = axes.split('@')
    const tuples = values ? values.split(';').map((t) => t.split(',')) : [[]]
    for (const t of tuples) {
      const axis = (k: string, d: string) => t[keys.split(',').indexOf(k)] ?? d
      const italic = axis('ital', '0') === '1'
      const weight = axis('wght', '400').replace('..', ' ')
      const file = `https://fonts.gstatic.com/s/${family.toLowerCase().replace(/\s+/g, '')}/standin/${weight.replace(' ', '-')}${italic ? 'i' : ''}.woff2`
      faces.push(
        `/* latin */\n@font-face {\n  font-family: '${family}';\n  font-style: ${italic ? 'italic' : 'normal'};\n` +
          `  font-weight: ${weight};\n  font-display: ${url.searchParams.get('display') ?? 'swap'};\n` +
          `  src: url(${file}) format('woff2');\n  unicode-range: U+0000-00FF, U+0131, U+0152-0153;\n}\n`,
      )
    }
  }
  return faces.join('')
}

/** The docker bridge's address: where a build container reaches a server on this machine. */
function bridgeAddress(): string {
  const out = execFileSync('docker', ['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'], {
    encoding: 'utf8',
  }).trim()
  return out || '172.17.0.1'
}

export async function startFontsStandin(): Promise<FontsStandin> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fonts-standin-'))
  const { ca, key, cert } = certificates(dir)
  const served = { css: 0, files: 0 }

  // the two font hosts, over TLS on an in-process server: the proxy hands it the CONNECTed sockets
  const fonts = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host}`)
    if (url.hostname === 'fonts.googleapis.com' && url.pathname.startsWith('/css')) {
      served.css++
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' }).end(fontCss(url))
    } else if (url.hostname === 'fonts.gstatic.com') {
      served.files++
      res.writeHead(200, { 'content-type': 'font/woff2' }).end(Buffer.from(`wOF2 stand-in ${url.pathname}`))
    } else res.writeHead(404).end()
  })
  const secure = { key, cert }

  const proxy = http.createServer((_req, res) => res.writeHead(405).end('CONNECT only'))
  const sockets = new Set<net.Socket>()
  proxy.on('connect', (req, client: net.Socket, head) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    const [host = '', port = '443'] = (req.url ?? '').split(':')
    if ((FONT_HOSTS as readonly string[]).includes(host)) {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) client.unshift(head)
      fonts.emit('connection', new tls.TLSSocket(client, { isServer: true, ...secure }))
      return
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  const host = bridgeAddress()
  await new Promise<void>((resolve, reject) => proxy.listen(0, host, resolve).once('error', reject))
  const { port } = proxy.address() as net.AddressInfo
  const proxyUrl = `http://${host}:${port}`

  const dockerConfig = path.join(dir, 'docker')
  execFileSync('mkdir', ['-p', dockerConfig])
  const home = process.env.DOCKER_CONFIG ?? path.join(process.env.HOME ?? '', '.docker')
  let config: Record<string, unknown> = {}
  try {
    config = JSON.parse(readFileSync(path.join(home, 'config.json'), 'utf8')) as Record<string, unknown>
  } catch {
    /* no config of one's own */
  }
  // HTTPS only: plain-HTTP traffic (Debian's apt mirrors) goes direct, as it would without the stand-in
  config.proxies = { default: { httpsProxy: proxyUrl, noProxy: 'localhost,127.0.0.1' } }
  writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify(config, null, 2))

  return {
    proxyUrl,
    dockerConfig,
    caPem: ca,
    served,
    stop: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** `<base>-fonts-standin`: the base image plus the stand-in's CA in the bundle NODE_EXTRA_CA_CERTS names. */
export function trustingBaseImage(base: string, caPem: string): string {
  const tag = `${base}-fonts-standin`
  const dir = mkdtempSync(path.join(tmpdir(), 'fonts-standin-image-'))
  try {
    writeFileSync(path.join(dir, 'ca.pem'), caPem)
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${base}\nUSER root\nCOPY ca.pem /tmp/fonts-standin-ca.pem\n` +
        'RUN cat /tmp/fonts-standin-ca.pem >> "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" && rm /tmp/fonts-standin-ca.pem\n',
    )
    execFileSync('docker', ['build', '-q', '-t', tag, dir], { stdio: 'ignore' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return tag
}
