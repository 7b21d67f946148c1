// Why a docker build failed, read from its BuildKit plain-progress log: one line naming the cause and one fix line.
// Pure (log text in, diagnosis out), so every cause is tested from cut-down real logs in test/kit/fixtures/build-logs/.
// BuildKit's own last line quotes the failing RUN's whole shell script, which says nothing about the cause: no line of
// it (nor of the step titles, which start with the same script) ever reaches the diagnosis.

export type BuildDiagnosis = { cause: string; fix: string; detail?: string[] }
export type BuildComponent = 'frontend' | 'backend'
export type DiagnoseOptions = {
  /** the build context as the user types it (the fix commands `cd` there); default "<the component's dir>" */
  dir?: string
  /** the base image the build used (NODE_IMAGE / PYTHON_IMAGE), so a fix can name another one spelled the same way */
  baseImage?: string
  /** the lock files in the build context (package-lock.json, pnpm-lock.yaml, ...): the log does not say which one the
   * image used */
  lockfiles?: string[]
}

/** One BuildKit vertex (`#12 ...`): its title, its output lines (timestamps stripped) and its ERROR line, if any. */
export type Step = { id: number; title: string; lines: string[]; error: string | null; order: number }

// ANSI colours (next build and pnpm colour some lines even without a terminal)
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
// `#12 0.532 text`, `#12 12.34 ` (an empty output line) or `#12 text` (title, DONE, CACHED, ERROR, ...)
const STEP_LINE = /^#(\d+) (?:(\d+\.\d+)(?: (.*))?|(.*))$/
const SHELL = '/bin/sh -c'

/** The log's steps, in the order they first appear; the `------` summary BuildKit repeats at the end is skipped. */
export function parseSteps(log: string): Step[] {
  const steps = new Map<number, Step>()
  let order = 0
  for (const raw of log.replace(ANSI, '').split(/\r?\n/)) {
    const m = STEP_LINE.exec(raw)
    if (!m) continue
    const id = Number(m[1])
    let s = steps.get(id)
    if (!s) steps.set(id, (s = { id, title: '', lines: [], error: null, order: order++ }))
    if (m[2] !== undefined) s.lines.push(m[3] ?? '')
    else {
      const rest = m[4] ?? ''
      if (rest.startsWith('[') && !s.title) s.title = rest
      else if (rest.startsWith('ERROR: ') && s.error === null) s.error = rest.slice(7)
    }
  }
  return [...steps.values()].sort((a, b) => a.order - b.order)
}

/** `[build 2/3]`: the stage and step of a title, without the instruction (a RUN title is its shell script). */
export function stepName(title: string): string {
  const m = /^\[([^\]]+)\]\s*(\w+)?/.exec(title)
  if (!m) return title.split(' ')[0] ?? ''
  return m[2] && m[2] !== 'RUN' ? `[${m[1]}] ${m[2]}` : `[${m[1]}]`
}

type Ctx = {
  component: BuildComponent
  dir: string
  baseImage: string | null
  lockfiles: string[]
  /** the failing step's output lines, trimmed of trailing space */
  body: string[]
  text: string
  /** every step's output (some causes show in an earlier step, e.g. npm skipping install scripts) */
  all: string
  /** the whole log, colours stripped */
  raw: string
  exit: number | null
  step: Step | null
  /** BuildKit's final `ERROR: failed to solve: ...` (or the failing step's ERROR line) */
  solve: string
}

type Rule = { name: string; match(c: Ctx): BuildDiagnosis | null }

const first = (lines: string[], rx: RegExp): RegExpExecArray | null => {
  for (const l of lines) {
    const m = rx.exec(l)
    if (m) return m
  }
  return null
}
const grepAll = (lines: string[], rx: RegExp): RegExpExecArray[] =>
  lines.map((l) => rx.exec(l)).filter((m): m is RegExpExecArray => m !== null)
const unique = <T>(xs: T[]): T[] => [...new Set(xs)]
const cd = (c: Ctx, cmd: string): string => `cd ${c.dir} && ${cmd}`
const imageKey = (c: Ctx): string => (c.component === 'frontend' ? 'NODE_IMAGE' : 'PYTHON_IMAGE')
const clip = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** Python's version in the image: the backend image's python-check line, a path or wheel tag, the FROM's tag. */
function pythonOf(c: Ctx): string | null {
  const m =
    /python-check: Python (3\.\d+)/.exec(c.raw) ??
    /\/python(3\.\d+)\/(?:site-packages|[\w-]+\.py)/.exec(c.raw) ??
    /-cp3(\d\d)-cp3\d\d-/.exec(c.raw) ??
    /\] FROM \S*python:(3\.\d+)/.exec(c.raw)
  if (!m) return null
  return m[1]!.startsWith('3.') ? m[1]! : `3.${m[1]}`
}

/** PYTHON_IMAGE spelled as the one in use, with another minor version (python:3.13-slim → python:3.10-slim). */
function pythonImage(c: Ctx, minor: string): string {
  const img = c.baseImage
  return img && /3\.\d+/.test(img) ? img.replace(/3\.\d+/, minor) : `python:${minor}-slim`
}

/** The newest 3.x a Requires-Python spec admits (`>=3.7,<3.11` → 3.10), or null when it cannot tell. */
export function newestPythonIn(spec: string): string | null {
  const below = /<\s*3\.(\d+)/.exec(spec)
  if (below) return `3.${Number(below[1]) - 1}`
  const upTo = /<=\s*3\.(\d+)|==\s*3\.(\d+)/.exec(spec)
  if (upTo) return `3.${upTo[1] ?? upTo[2]}`
  return null
}

/** The Next.js app file a next build error names (`./app/layout.tsx:2:1`), as the user's path. */
// Next 15/16 print `./app/x.tsx:12:5`, Next 14's webpack `src/app/layout.tsx`; never Next's own `[next]/internal/...`
const APP_FILE = new RegExp(
  String.raw`^\s*((?:\./)?(?!node_modules/|\[)[\w@().[\]-]+(?:/[\w@().[\] -]+)*\.(?:[cm]?[jt]sx?|css|scss|json|mdx))` +
    String.raw`(?::(\d+)(?::(\d+))?)?\s*$`,
)
const appPath = (f: string): string => f.replace(/^\.\//, '')

// hosts that build steps fetch from and what fetches them, for the fix line
const HOST_USES: [RegExp, string][] = [
  [/fonts\.(googleapis|gstatic)\.com/, 'next/font/google downloads the font at build time'],
  [/github\.com|githubusercontent\.com/, 'a prebuilt binary download'],
  [/registry\.npmjs\.org|registry\.yarnpkg\.com/, 'the npm registry'],
  [/pypi\.org|files\.pythonhosted\.org/, 'PyPI'],
  [/binaries\.prisma\.sh/, 'Prisma engines'],
]

const NETWORK_ERR = [
  /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)/,
  /connect (?:ETIMEDOUT|ECONNREFUSED|ENETUNREACH|EHOSTUNREACH) ([\d.:a-f]+)/,
  /request to https?:\/\/([\w.-]+)[^\s]* failed/,
  /issue establishing a connection while requesting https?:\/\/([\w.-]+)/,
  /Could not resolve host:? '?([\w.-]+)/,
  /Failed to establish a new connection.*host='([\w.-]+)'/,
  /HTTPSConnectionPool\(host='([\w.-]+)'/,
  /dial tcp: lookup ([\w.-]+)/,
  /fetch failed.*https?:\/\/([\w.-]+)/,
]

function npmLock(c: Ctx): BuildDiagnosis | null {
  if (!/`npm ci` can only install packages when your package\.json and package-lock\.json/.test(c.text)) return null
  const diffs = grepAll(c.body, /^npm (?:error|ERR!) ((?:Missing|Invalid): .*)$/).map((m) => m[1]!)
  const more = diffs.length > 1 ? ` and ${diffs.length - 1} more` : ''
  const which = diffs[0] ? ` (${diffs[0]}${more})` : ''
  // the image takes package-lock.json before any other lock file: a stale one can shadow the one the app really uses
  const other = c.lockfiles.find((f) => f === 'pnpm-lock.yaml' || f === 'yarn.lock')
  if (other)
    return {
      cause:
        `package-lock.json is out of sync with package.json${which}; the app also has ` +
        `${other}, which the image would use without package-lock.json`,
      fix:
        `remove ${c.dir}/package-lock.json if the app uses ${other === 'yarn.lock' ? 'yarn' : 'pnpm'} ` +
        `(else: ${cd(c, 'npm install')}), commit, build again`,
      detail: diffs.slice(0, 6),
    }
  return {
    cause: `package-lock.json is out of sync with package.json, so npm ci stopped${which}`,
    fix: `${cd(c, 'npm install')}   (updates package-lock.json; commit it and build again)`,
    detail: diffs.slice(0, 6),
  }
}

function yarnLock(c: Ctx): BuildDiagnosis | null {
  const classic = /Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`/.test(c.text)
  const berry = /YN0028|The lockfile would have been modified by this install, which is explicitly forbidden/.test(
    c.text,
  )
  if (!classic && !berry) return null
  const flag = classic ? '--frozen-lockfile' : '--immutable'
  return {
    cause: `yarn.lock is out of sync with package.json, so yarn install ${flag} stopped`,
    fix: `${cd(c, 'yarn install')}   (updates yarn.lock; commit it and build again)`,
  }
}

// pnpm 9/10 print ` ERR_PNPM_X  message`, pnpm 11+ `Error: ERR_PNPM_X` then `× ...`, `╰─▶ message`, `help: ...`
function pnpm(c: Ctx): BuildDiagnosis | null {
  const i = c.body.findIndex((l) => /ERR_PNPM_[A-Z_]+/.test(l))
  if (i < 0) return null
  const code = /ERR_PNPM_[A-Z_]+/.exec(c.body[i]!)![0]
  const lines = [c.body[i]!.replace(/^.*ERR_PNPM_[A-Z_]+:?\s*/, ''), ...c.body.slice(i + 1)]
    .map((l) => l.replace(/^\s*(?:[×│╰─▶*]+\s*)+/, '').trim())
    .filter((l) => l && !/^(installing dependencies|Note that in CI|help: )/.test(l))
  const reason =
    lines.find((l) => /dependenc(?:y|ies) (?:was|were) (?:added|removed|changed)/.test(l)) ??
    lines.find((l) => /don't match spec/.test(l))
  if (code === 'ERR_PNPM_OUTDATED_LOCKFILE') {
    return {
      cause:
        `pnpm-lock.yaml is out of sync with package.json, so pnpm install --frozen-lockfile stopped` +
        `${reason ? ` (${clip(reason, 120)})` : ''}`,
      fix: `${cd(c, 'pnpm install --lockfile-only')}   (updates pnpm-lock.yaml; commit it and build again)`,
      detail: lines.slice(0, 6),
    }
  }
  if (code === 'ERR_PNPM_IGNORED_BUILDS') {
    const pkgs = first(lines, /Ignored build scripts: (.*?)\.?$/)?.[1]
    return {
      cause:
        `pnpm did not run the install scripts of ${pkgs ?? 'some dependencies'}: it runs only the approved ones, ` +
        'and this pnpm stops on the others',
      fix:
        `${cd(c, 'pnpm approve-builds')}   (allows ${pkgs ? pkgs.replace(/@[\d.]+/g, '') : 'them'} to build; ` +
        'commit what it changes, build again)',
      detail: lines.slice(0, 4),
    }
  }
  if (/LOCKFILE_BREAKING_CHANGE|UNSUPPORTED_LOCKFILE|LOCKFILE_CONFIG_MISMATCH/.test(code)) {
    const v = /lockfileVersion:\s*'?([\d.]+)/.exec(c.all)?.[1]
    return {
      cause: `pnpm cannot use this pnpm-lock.yaml (${code}${lines[0] ? `: ${clip(lines[0], 100)}` : ''})`,
      fix:
        `add "packageManager": "pnpm@<the version that wrote the lock file${v ? `, lockfileVersion ${v}` : ''}>" to ` +
        `${c.dir}/package.json, or ${cd(c, 'pnpm install')} with today's pnpm and commit pnpm-lock.yaml`,
      detail: lines.slice(0, 4),
    }
  }
  return {
    cause: `pnpm install stopped: ${code}${lines[0] ? ` ${clip(lines[0], 120)}` : ''}`,
    fix: `${cd(c, 'pnpm install --frozen-lockfile')}   (shows the same error outside Docker; fix it, build again)`,
    detail: lines.slice(0, 6),
  }
}

function noLockfile(c: Ctx): BuildDiagnosis | null {
  if (!/frontend-docker: no package-lock\.json, pnpm-lock\.yaml or yarn\.lock/.test(c.text)) return null
  return {
    cause:
      'the frontend has no lock file (package-lock.json, pnpm-lock.yaml or yarn.lock), so its dependencies are not ' +
      'pinned',
    fix: `${cd(c, 'npm install --package-lock-only')}   (writes package-lock.json; commit it and build again)`,
  }
}

function pythonPin(c: Ctx): BuildDiagnosis | null {
  const m = first(c.body, /backend-docker: (the app pins Python .*)$/)
  if (!m) return null
  const fix =
    first(c.body, /^\s*fix: (set PYTHON_IMAGE=\S+ in \.env)/)?.[1] ??
    'set PYTHON_IMAGE in .env to the Python the app pins'
  return { cause: m[1]!, fix }
}

/** Any other message a kit Dockerfile prints as `frontend-docker: ...` / `  fix: ...`. */
function kitMessage(c: Ctx): BuildDiagnosis | null {
  const i = c.body.findIndex((l) => /^(frontend|backend)-docker: /.test(l))
  if (i < 0) return null
  const fix = /^\s*fix: (.*)$/.exec(c.body[i + 1] ?? '')?.[1]
  return { cause: c.body[i]!.replace(/^(frontend|backend)-docker: /, ''), fix: fix ?? `fix ${c.dir}, then build again` }
}

function nativeModule(c: Ctx): BuildDiagnosis | null {
  if (!/gyp ERR!|node-gyp rebuild|prebuild-install/.test(c.text) || !/gyp ERR!|not ok|Failed at the/.test(c.text))
    return null
  const pkg =
    first(c.body, /(?:npm (?:error|ERR!) path|gyp ERR! cwd) \/\S*node_modules\/((?:@[^/\s]+\/)?[^/\s]+)$/)?.[1] ??
    first(c.body, /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/\s]+\/)?[^/\s]+)[: ].*install/)?.[1] ??
    'a native module'
  const node = /gyp info using node@(\d+)|node -v v(\d+)/.exec(c.text)
  const nodeMajor = node ? (node[1] ?? node[2]) : null
  const prebuiltHost = networkHost(c.body.filter((l) => /prebuild-install|prebuild/.test(l)))
  const download = prebuiltHost
    ? `no prebuilt binary (${prebuiltHost} unreachable)`
    : 'no prebuilt binary for this platform'
  const headers = /gyp http GET https?:\/\/([\w.-]+)\/\S*headers\.tar\.gz/.exec(c.text)
  const noHeaders = headers && /related to network connectivity|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED/.test(c.text)
  const tools: [RegExp, string][] = [
    [/gyp ERR! find Python|Could not find any Python installation/, 'no Python for node-gyp'],
    [/not found: make|make: not found|`make` failed|make: No such file/, 'no make'],
    [/g\+\+: (?:not found|No such file)|c\+\+: not found|cc: not found|gcc: not found/, 'no C++ compiler'],
  ]
  const missing = tools.filter(([rx]) => rx.test(c.text))
  const detail = grepAll(
    c.body,
    /((?:gyp ERR! (?:stack Error|find|not ok)|gyp http GET|prebuild-install (?:warn|ERR!)).*)$/,
  )
    .map((m) => m[1]!)
    .slice(0, 6)
  const dropIt = `or remove ${pkg} from ${c.dir}/package.json if the app does not use it`
  if (noHeaders)
    return {
      cause:
        `${pkg} (a native module) did not build: ${download}, and node-gyp could not download Node's headers ` +
        `(${headers![1]} unreachable) because the base image has none`,
      fix:
        `set NODE_IMAGE in .env to an image with Node's headers in /usr/local/include/node (the official node images ` +
        `have them), ${dropIt}`,
      detail,
    }
  if (missing.length)
    return {
      cause:
        `${pkg} (a native module) did not build: ${download}, and compiling it failed ` +
        `(${missing.map((r) => r[1]).join(', ')})`,
      // node-gyp stops at the first missing tool: name all three it needs
      fix:
        `install python3, make and g++ in the image's dependency stage (frontend-docker does unless BUILD_PACKAGES ` +
        `leaves them out), ${dropIt}`,
      detail,
    }
  const compiler = first(c.body, /(?:^|\s)(\S+\.(?:cc|cpp|c|h):\d+(?::\d+)?: (?:fatal )?error: .*)$/)?.[1]
  return {
    cause:
      `${pkg} (a native module) did not build: ${download}, and compiling it failed` +
      `${compiler ? ` (${clip(compiler, 120)})` : ''}`,
    fix:
      `pin a ${pkg} release that supports Node ${nodeMajor ?? 'this'} (or one with a prebuilt binary for it), ` +
      dropIt,
    detail,
  }
}

function networkHost(lines: string[]): string | null {
  for (const l of lines)
    for (const rx of NETWORK_ERR) {
      const m = rx.exec(l)
      if (m) return m[1]!.replace(/:\d+$/, '')
    }
  return null
}

function googleFont(c: Ctx): BuildDiagnosis | null {
  // Turbopack, when the font's CSS could not be had, cannot resolve the module next/font generates for it; the
  // import's font name is in that module's query (`%22import%22:%22Geist_Mono%22`)
  const turbopack = /Can't resolve '@vercel\/turbopack-next\/internal\/font\/google\//.test(c.text)
  const fonts = unique([
    ...grepAll(c.body, /Failed to fetch (?:font )?[`'"]([^`'"]+)[`'"](?: from Google Fonts)?/).map((m) => m[1]!),
    ...(turbopack ? grepAll(c.body, /%22import%22:%22([A-Za-z0-9_]+)%22/).map((m) => m[1]!.replace(/_/g, ' ')) : []),
  ])
  const host = /fonts\.(?:googleapis|gstatic)\.com/.exec(c.text)?.[0]
  if (!fonts.length && !host && !turbopack) return null
  const font = fonts.length ? fonts.join(' and ') : null
  const file = unique(c.body.map((l) => APP_FILE.exec(l)?.[1]).filter((f): f is string => Boolean(f)))[0]
  return {
    cause:
      `next build could not download the Google Font${fonts.length > 1 ? 's' : ''}${font ? ` ${font}` : ''}: ` +
      `next/font/google fetches ${fonts.length > 1 ? 'them' : 'it'} at build time and ` +
      `${host ?? 'fonts.googleapis.com'} ` +
      'is unreachable from this build',
    fix:
      'let the build reach fonts.googleapis.com and fonts.gstatic.com over HTTPS, or load the font with ' +
      'next/font/local' +
      `${file ? ` in ${c.dir}/${appPath(file)}` : ''}`,
    detail: file ? [`imported by ${appPath(file)}`] : undefined,
  }
}

function network(c: Ctx): BuildDiagnosis | null {
  const host = networkHost(c.body)
  if (!host) return null
  const use = HOST_USES.find(([rx]) => rx.test(host))?.[1]
  // a dependency's install script (npm names it by path) that downloads something: puppeteer's Chrome, an engine, ...
  const script = first(c.body, /npm (?:error|ERR!) path \/\S*node_modules\/((?:@[^/\s]+\/)?[^/\s]+)$/)?.[1]
  const hint = first(c.body, /(Set "?[A-Z][A-Z0-9_]+"? env(?:ironment)? variable to skip[^.!]*)/)?.[1]
  const line = c.body.find((l) => l.includes(host))?.trim() ?? ''
  return {
    cause: script
      ? `${script}'s install script downloads from ${host}, which is unreachable from this build`
      : `the build needs ${host}${use ? ` (${use})` : ''}, which is unreachable from here`,
    fix:
      `let docker builds reach ${host} over HTTPS (or give them a proxy)` +
      (script ? `, or remove ${script} from ${c.dir}/package.json if the app does not need it` : '') +
      ', then build again',
    detail: [line ? clip(line, 200) : '', hint ? clip(hint, 200) : ''].filter(Boolean),
  }
}

// a proxy or firewall that re-signs HTTPS with its own CA: every client in the build refuses it, and some (pip) then
// report the package as missing rather than the connection as refused
const TLS_REFUSED = [
  /\[SSL: CERTIFICATE_VERIFY_FAILED\][^'"]*/,
  /\b(?:SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\b/,
  /\b(?:self[- ]signed certificate in certificate chain|unable to get local issuer certificate)\b/,
  /invalid peer certificate: \w+/,
]

function tlsIntercepted(c: Ctx): BuildDiagnosis | null {
  const line = c.body.find((l) => TLS_REFUSED.some((rx) => rx.test(l)))
  // a wheel that failed to build names its own cause, a failed download among it (pipBuild)
  if (!line || /subprocess-exited-with-error|Failed building wheel for|Failed to build /.test(c.text)) return null
  const said = TLS_REFUSED.map((rx) => rx.exec(line)?.[0]).find(Boolean)!
  const client = /pip|SSLCertVerificationError|\/simple\//.test(c.text)
    ? 'pip'
    : /\bnpm\b/.test(line)
      ? 'npm'
      : /\buv\b|invalid peer certificate/.test(line)
        ? 'uv'
        : 'a download'
  const image = imageKey(c)
  return {
    cause:
      `${client} in the build could not verify the server's HTTPS certificate (${clip(said.trim(), 120)}): ` +
      'something between this machine and the registry re-signs HTTPS with a CA the base image does not trust',
    fix:
      `set ${image} in .env to a base image that trusts that CA (its certificate in /usr/local/share/ca-certificates, ` +
      'then update-ca-certificates), or build where the registry is reached directly',
    detail: [clip(line.trim(), 200)],
  }
}

function outOfMemory(c: Ctx): BuildDiagnosis | null {
  if (/JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory/.test(c.text))
    return {
      cause:
        `${/next build|Creating an optimized production build/.test(c.text) ? 'next build' : 'node'} ran out of ` +
        `JavaScript heap (exit code ${c.exit ?? 134})`,
      fix:
        `give the build step more heap: NODE_OPTIONS=--max-old-space-size=4096 in ${c.dir}/package.json's build ` +
        'script, and Docker at least 4 GB of memory (docker info --format {{.MemTotal}})',
    }
  if (c.exit === 137 || /\bKilled\b/.test(c.body.slice(-3).join('\n')))
    return {
      cause:
        `${c.step ? stepName(c.step.title) : 'a build step'} was killed (exit code ${c.exit ?? 137}): out of memory, ` +
        'most likely (the kernel stops the biggest process when the machine or Docker runs out)',
      fix: 'give Docker more memory (docker info --format {{.MemTotal}}) or stop other builds, then build again',
    }
  return null
}

function nextBuild(c: Ctx): BuildDiagnosis | null {
  if (!/Failed to compile|Build error occurred|Turbopack build failed|Type error:|next build/.test(c.text)) return null
  // type and compile errors: `./app/x.tsx:12:5` then the message (Next 13-16, webpack and Turbopack)
  for (let i = 0; i < c.body.length; i++) {
    const f = APP_FILE.exec(c.body[i]!)
    if (!f) continue
    const msg = c.body
      .slice(i + 1)
      .map((l) => l.trim())
      .find((l) => l && !/^\d+ \|| \|$|^>?\s*\d+ \|/.test(l))
    if (!msg || /^(Import trace|at )/.test(msg)) continue
    const where = `${appPath(f[1]!)}${f[2] ? `:${f[2]}` : ''}`
    const lint = /^\d+:\d+\s+(Error|Warning):/.test(msg)
    return {
      cause: `next build failed: ${c.dir}/${where}: ${clip(lint ? msg.replace(/\s{2,}/g, ' ') : msg, 140)}`,
      fix: `fix ${c.dir}/${where}, then check with: ${cd(c, 'npx next build')}`,
      detail: c.body
        .slice(i, i + 8)
        .map((l) => l.trimEnd())
        .filter(Boolean),
    }
  }
  // an error thrown while Next.js ran the app's code (collecting page data, prerendering)
  const page = first(
    c.body,
    /(Failed to collect page data for [^\s\]]+|Error occurred prerendering page "[^"]+"|Export encountered an error.*)/,
  )
  const err = c.body
    .map((l) => l.trim())
    .find((l) => /^(\w*Error|\[Error):? /.test(l) && !/^Error: Turbopack build failed/.test(l))
  if (page || err) {
    const what = page ? page[1]! : 'next build failed'
    return {
      cause: `${page ? `next build: ${what}` : what}${err ? `: ${clip(err, 140)}` : ''}`,
      fix:
        `${cd(c, 'npx next build')}   (shows the same error; code that runs at build time must not need ` +
        'runtime settings)',
      detail: err ? [err] : undefined,
    }
  }
  return null
}

function pipNoMatch(c: Ctx): BuildDiagnosis | null {
  const m = first(c.body, /No matching distribution found for (\S+)/)
  if (!m) return null
  const req = m[1]!
  const name = /^[A-Za-z0-9_.-]+/.exec(req)?.[0] ?? req
  const versions = first(
    c.body,
    /Could not find a version that satisfies the requirement \S+ \(from versions: ([^)]*)\)/,
  )?.[1]
  // pip lists the releases it skipped for their Requires-Python: `4.0.0 Requires-Python >=3.7,<3.11; 4.1 ...`
  const ignored = first(c.body, /Ignored the following versions that require a different python version: (.*)$/)?.[1]
  const skipped = (ignored ?? '')
    .split(/;\s*/)
    .map((x) => /^(\S+) Requires-Python (.+)$/.exec(x.trim()))
    .filter((x) => x !== null)
  const py = pythonOf(c)
  const none = !versions || versions === 'none'
  const forPy = py ? ` for Python ${py}` : ''
  if (none && skipped.length) {
    const last = skipped.at(-1)!
    const fits = newestPythonIn(last[2]!)
    const only =
      skipped.length === 1 ? `its only release (${last[1]}) requires` : `its releases (newest ${last[1]}) require`
    return {
      cause: `pip found no ${req}${forPy}: ${only} Python ${last[2]}`,
      fix: fits
        ? `set PYTHON_IMAGE=${pythonImage(c, fits)} in .env (${name} ${last[1]} runs on Python ${fits}), ` +
          `or drop ${name} ` +
          `from ${c.dir}/requirements.txt`
        : `drop ${name} from ${c.dir}/requirements.txt, or set PYTHON_IMAGE in .env to a Python it allows (${last[2]})`,
      detail: [`ignored: ${clip(ignored!, 150)}`],
    }
  }
  const latest = none
    ? null
    : versions
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
        .pop()
  return {
    cause: `pip found no ${req}${forPy}${none ? ': no release by that name (a typo, or a private index?)' : ''}`,
    fix: latest
      ? `pin a version that exists in ${c.dir}/requirements.txt (the newest is ${latest})`
      : `check the name in ${c.dir}/requirements.txt (pip install '${req}' shows the same)`,
    detail: [
      versions ? `available: ${clip(versions, 150)}` : '',
      ignored ? `ignored: ${clip(ignored, 150)}` : '',
    ].filter(Boolean),
  }
}

// the lines of a failed sdist build worth showing
const DETAIL = /^(?:error: |ERROR: |×|Rust not found|[\w.]+(?:Error|Unavailable): )|Cargo|pg_config|distutils/

// pip fell back to a source distribution (no wheel for this Python) and building it failed
function pipBuild(c: Ctx): BuildDiagnosis | null {
  const failure =
    /subprocess-exited-with-error|Failed building wheel for|Failed to build |^ERROR: Exception:|BackendUnavailable/
  const at = c.body.findIndex((l) => failure.test(l))
  if (at < 0) return null
  const named =
    first(c.body, /Failed to build installable wheels for some pyproject\.toml based projects \(([^)]+)\)/)?.[1] ??
    first(c.body, /Failed building wheel for (\S+)/)?.[1] ??
    first(c.body, /ERROR: Failed to build '?([A-Za-z0-9_.-]+)'?$/)?.[1]
  const norm = (x: string): string => x.toLowerCase().replace(/[-_.]+/g, '-')
  // the package pip was busy with when the error came: the last one collected before it
  const collected = grepAll(
    c.body.slice(0, at),
    /^Collecting ([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?(?:==([\w.]+))?(?:.*\(from (.+)\))?/,
  )
  const hit = (named ? collected.filter((x) => norm(x[1]!) === norm(named)) : collected).at(-1)
  const pkg = named ?? hit?.[1] ?? 'a dependency'
  const sdist = grepAll(
    c.body.slice(0, at),
    /(?:Downloading|Using cached) ([A-Za-z0-9_.-]+?)-(\d[\w.]*)\.(?:tar\.gz|zip)/,
  )
    .filter((x) => norm(x[1]!) === norm(pkg))
    .at(-1)
  const version = hit?.[2] ?? sdist?.[2] ?? null
  // `(from pydantic==2.5.0->-r requirements.txt (line 7))`: the app's own pin that pulled it in
  const via = hit?.[3] ? /^([^-\s][^>]*?)->-r (\S+) \(line (\d+)\)/.exec(hit[3]) : null
  const direct = hit?.[3] ? /^-r (\S+) \(line (\d+)\)/.exec(hit[3]) : null
  const py = pythonOf(c)
  // a build backend that fetches its own toolchain (maturin downloads rustup) fails on the network, not the compiler
  const after = c.body.slice(at).join('\n')
  const fetched = /Downloading \S+ from https?:\/\/([\w.-]+)/.exec(after)?.[1]
  const failedFetch = /ConnectError|CERTIFICATE_VERIFY_FAILED|Name or service not known|ENOTFOUND|timed out/.test(after)
  const host = networkHost(c.body.slice(at)) ?? (fetched && failedFetch ? fetched : null)
  const reasons: [RegExp, string][] = [
    [
      /Rust not found|Cargo, the Rust package manager, is not installed|can't find Rust compiler/i,
      'it needs a Rust toolchain',
    ],
    [/pg_config executable not found|pg_config is required/, 'pg_config (libpq-dev) is missing'],
    [/Python\.h: No such file/, 'the Python headers are missing'],
    [/No module named 'distutils'/, 'it needs distutils, gone since Python 3.12'],
    [/error: command '([^']+)' failed/, 'the C compiler failed'],
    [/BackendUnavailable: Cannot import '([^']+)'/, 'its build backend does not load on this Python'],
  ]
  const why = reasons.find(([rx]) => rx.test(c.text))?.[1] ?? first(c.body.slice(at), /^\s*(\w*Error: .{5,120})$/)?.[1]
  const fetch = host ? `${why ? ', and downloading it from ' : ': '}${host} failed` : ''
  const forPy = py ? `Python ${py}` : 'this Python'
  const pin = via
    ? `${via[1]} (${c.dir}/${via[2]} line ${via[3]})`
    : direct
      ? `${pkg}${version ? `==${version}` : ''} (${c.dir}/${direct[1]} line ${direct[2]})`
      : `${pkg} in ${c.dir}'s requirements`
  return {
    cause:
      `${pkg}${version ? ` ${version}` : ''}${via ? ` (for ${via[1]})` : ''} has no wheel for ${forPy}, ` +
      'and building it ' +
      `from source failed${why || fetch ? ` (${why ?? ''}${fetch})` : ''}`,
    fix:
      `raise ${pin} to a release with wheels for ${forPy}, or set PYTHON_IMAGE in .env to an older Python ` +
      `${pkg} ${version ?? ''} has wheels for`.replace(/ {2,}/g, ' '),
    detail: c.body
      .slice(at)
      .map((l) => l.trim())
      .filter((l) => DETAIL.test(l))
      .slice(0, 6),
  }
}

function uvLock(c: Ctx): BuildDiagnosis | null {
  if (/The lockfile at `uv\.lock` needs to be updated, but `--locked` was provided/.test(c.text))
    return {
      cause: 'uv.lock is out of sync with pyproject.toml, so uv sync --locked stopped',
      // init sets this itself when it sees the lock lacks a declared package; a lock that differs otherwise gets here
      fix: `set BACKEND_DEPS_FROM=pyproject in .env   (installs pyproject.toml's list; or ${cd(c, 'uv lock')} and commit uv.lock)`,
    }
  const i = c.body.findIndex((l) => /No solution found when resolving dependencies/.test(l))
  // uv's own hint, when requires-python admits a Python a dependency does not support
  const hint = new RegExp(
    String.raw`The \`requires-python\` value \(([^)]+)\) includes Python versions that are not supported by your ` +
      String.raw`dependencies \(e\.g\., (.+?) only supports ([^)]+)\)\. Consider using a more restrictive ` +
      String.raw`\`requires-python\` value \(like ([^)]+)\)`,
  ).exec(c.text)
  if (i >= 0 && hint) {
    return {
      cause:
        `uv cannot lock the app's dependencies: ${hint[2]} supports only Python ${hint[3]}, but requires-python ` +
        `(${hint[1]}) also allows older ones`,
      fix: `set requires-python = "${hint[4]}" in ${c.dir}/pyproject.toml, then: ${cd(c, 'uv lock')} (commit uv.lock)`,
    }
  }
  if (i >= 0) {
    const why = c.body
      .slice(i + 1)
      .map((l) => l.replace(/^\s*[╰─▶]+\s*/, '').trim())
      .filter(Boolean)
    return {
      cause: `uv found no versions that fit the app's requirements${why[0] ? ` (${clip(why[0], 140)})` : ''}`,
      fix:
        `${cd(c, 'uv lock')}   (shows the conflict; loosen the pins in pyproject.toml, or set PYTHON_IMAGE to a ` +
        'Python they allow)',
      detail: why.slice(0, 5),
    }
  }
  return null
}

function poetryLock(c: Ctx): BuildDiagnosis | null {
  if (!/pyproject\.toml changed significantly since poetry\.lock was last generated/.test(c.text)) return null
  return {
    cause: 'poetry.lock is out of sync with pyproject.toml, so poetry install stopped',
    fix: `${cd(c, 'poetry lock')}   (updates poetry.lock; commit it and build again)`,
  }
}

/** The PyPI distribution that provides an imported top-level module, where the two names differ. */
export const pythonDistribution = (module: string): string => ({ jwt: 'PyJWT' })[module] ?? module

function pythonImport(c: Ctx): BuildDiagnosis | null {
  const uvicorn = first(c.body, /backend image: (uvicorn is not installed.*?); fix: (.*)$/)
  if (uvicorn) return { cause: uvicorn[1]!, fix: uvicorn[2]! }
  const m = first(c.body, /^\s*((?:ModuleNotFoundError|ImportError): (.*))$/)
  if (!m) return null
  const mod = /No module named '([^'.]+)/.exec(m[2]!)?.[1]
  const at = grepAll(c.body, /^\s*File "\/app\/([^"]+)", line (\d+)/).pop()
  return {
    cause: `the app's code did not import in the image: ${m[1]}${at ? ` (${at[1]}:${at[2]})` : ''}`,
    fix: mod
      ? `add ${pythonDistribution(mod)} to ${c.dir}'s requirements (requirements.txt or pyproject.toml), ` +
        'then build again'
      : `fix the import${at ? ` in ${c.dir}/${at[1]}:${at[2]}` : ''}, then build again`,
    detail: c.body
      .slice(-6)
      .map((l) => l.trim())
      .filter(Boolean),
  }
}

// compileall (the backend image byte-compiles every .py file it ships) stops on a file Python cannot parse, imported
// or not: `*** Error compiling '/app/tests/x.py'...`, then the file, line and error
function pythonSyntax(c: Ctx): BuildDiagnosis | null {
  const files = grepAll(c.body, /^\*\*\* Error compiling '\/app\/([^']+)'/).map((m) => m[1]!)
  if (!files.length) return null
  const i = c.body.findIndex((l) => l.startsWith('*** Error compiling'))
  const at = c.body
    .slice(i)
    .map((l) => /^\s*File "\/app\/([^"]+)", line (\d+)/.exec(l))
    .find((m) => m)
  const err = c.body
    .slice(i)
    .find((l) => /^\w*Error: /.test(l.trim()))
    ?.trim()
  const where = at ? `${at[1]}:${at[2]}` : files[0]!
  const more = files.length > 1 ? ` (and ${files.length - 1} more file${files.length > 2 ? 's' : ''})` : ''
  return {
    cause:
      `${c.dir}/${where} is not valid Python${err ? `: ${err}` : ''}${more}; the image byte-compiles every .py ` +
      'file it ships but tests, imported or not',
    fix: `fix or delete ${c.dir}/${where}${more ? ' and the others listed' : ''}, then build again`,
    detail: files.map((f) => `does not compile: ${f}`).slice(0, 6),
  }
}

// the base image is resolved first (`[internal] load metadata for docker.io/library/node:24-slim`): no pull, no build
function baseImage(c: Ctx): BuildDiagnosis | null {
  const meta = c.step ? /load metadata for (\S+)/.exec(c.step.title) : null
  const why = meta ? (c.step!.error ?? '') : ''
  const m = meta
    ? [meta[0], meta[1]!, why]
    : (/failed to resolve source metadata for (\S+?):? (.*)$/m.exec(c.solve) ??
      /pull access denied for (\S+?),(.*)$/m.exec(c.solve))
  if (!m) return null
  const image = m[1]!.replace(/^docker\.io\/(library\/)?/, '')
  const host = /lookup ([\w.-]+)/.exec(m[2]!)?.[1]
  const reason = host
    ? `${host} is unreachable`
    : /not found|pull access denied|denied/.test(m[2]!)
      ? 'no such image'
      : clip(m[2]!, 100)
  return {
    cause: `the base image ${image} is not on this machine and could not be pulled (${reason})`,
    fix:
      `set ${imageKey(c)} in .env to an image this machine has (docker images), or docker pull ${image} where the ` +
      'registry is reachable',
  }
}

function missingContext(c: Ctx): BuildDiagnosis | null {
  const m = /failed to (?:compute cache key|calculate checksum of ref)[^"]*"\/?([^"]+)": not found/.exec(c.solve)
  if (!m) return null
  return {
    cause:
      `the Dockerfile copies ${m[1]}, which is not in the build context ${c.dir} (or its ignore file leaves it ` +
      'out)',
    fix: `add ${m[1]} to ${c.dir}, or change the Dockerfile's COPY`,
  }
}

function diskFull(c: Ctx): BuildDiagnosis | null {
  if (!/no space left on device|ENOSPC/.test(c.text + c.solve)) return null
  return {
    cause: 'the disk Docker builds on is full (no space left on device)',
    fix: 'docker builder prune   (then: docker system df)',
  }
}

function npmRegistry(c: Ctx): BuildDiagnosis | null {
  const m = first(
    c.body,
    /npm (?:error|ERR!) (?:404 Not Found - GET (\S+)|notarget No matching version found for (\S+))/,
  )
  if (!m) return null
  const what = m[2] ?? decodeURIComponent(/registry\.[^/]+\/(.*?)(?:\/-\/|$)/.exec(m[1]!)?.[1] ?? m[1]!)
  return {
    cause: `npm could not download ${what} from the registry (${m[1] ? '404 Not Found' : 'no such version'})`,
    fix:
      `${cd(c, 'npm install')}   (resolves the versions again; commit package-lock.json), or pin another version ` +
      `of ${what}`,
  }
}

// `npm run build` in an app whose package.json has no build script (the image runs the app's own build)
function missingScript(c: Ctx): BuildDiagnosis | null {
  const m = first(c.body, /(?:npm (?:error|ERR!)|ERR_PNPM_NO_SCRIPT|error) Missing script:? "?([\w:-]+)"?/)
  if (!m) return null
  return {
    cause: `${c.dir}/package.json has no "${m[1]}" script, and the image runs it to build the app`,
    fix: `add "${m[1]}": "next build" to the scripts of ${c.dir}/package.json`,
  }
}

// Most specific first: a lock-file message beats the network error the same step also shows.
const RULES: Rule[] = [
  { name: 'base image', match: baseImage },
  { name: 'file missing from the build context', match: missingContext },
  { name: 'disk full', match: diskFull },
  { name: 'Python version pin', match: pythonPin },
  { name: 'no lock file', match: noLockfile },
  { name: 'npm lock file out of sync', match: npmLock },
  { name: 'yarn lock file out of sync', match: yarnLock },
  { name: 'pnpm', match: pnpm },
  { name: 'uv lock', match: uvLock },
  { name: 'Poetry lock', match: poetryLock },
  { name: 'out of memory', match: outOfMemory },
  { name: 'native module', match: nativeModule },
  { name: 'Google Fonts', match: googleFont },
  { name: 'HTTPS certificate refused', match: tlsIntercepted },
  { name: 'pip: no matching distribution', match: pipNoMatch },
  { name: 'pip: wheel build failed', match: pipBuild },
  { name: 'Python import error', match: pythonImport },
  { name: 'Python syntax error', match: pythonSyntax },
  { name: 'no build script', match: missingScript },
  { name: 'next build', match: nextBuild },
  { name: 'npm registry', match: npmRegistry },
  { name: 'network', match: network },
  { name: 'kit Dockerfile message', match: kitMessage },
]

/** The causes diagnoseBuild names, in the order it tries them (the rest get the failing step's last lines). */
export const RECOGNISED = RULES.map((r) => r.name)

// lines that say nothing about the cause: wrappers' own exit messages, log-file pointers, progress and advice
const NOISE = [
  /^\s*$/,
  /^npm (?:error|ERR!) (?:A complete log of this run|code |errno |command failed|command sh -c|Lifecycle script)/,
  /^npm (?:error|ERR!) path \/app$/,
  /^npm (?:warn|WARN|notice)/,
  /^(?:error )?Command failed with exit code \d+\.?$/,
  /^info Visit https:\/\/yarnpkg\.com/,
  /ELIFECYCLE|ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL/,
  /^\s*at (?:ignore-listed frames|.*\(node:)/,
  /^> /,
]

function lastLines(c: Ctx): BuildDiagnosis {
  const meaningful = c.body.map((l) => l.trimEnd()).filter((l) => !NOISE.some((rx) => rx.test(l)) && !l.includes(SHELL))
  const tail = meaningful.slice(-8)
  // npm states the error first and then its advice; everything else ends with it (a traceback's last line)
  const npm = tail.find((l) => /^npm (?:error|ERR!) \S/.test(l))
  const last = (npm ?? tail.at(-1))?.trim()
  const where = c.step ? stepName(c.step.title) : null
  const solved = c.solve && !c.solve.includes(SHELL) ? c.solve.trim() : null
  return {
    cause:
      `${where ? `${where} failed` : 'docker build failed'}${c.exit !== null ? ` (exit code ${c.exit})` : ''}` +
      `${last ? `: ${clip(last)}` : solved ? `: ${clip(solved)}` : ''}`,
    fix: `read the lines above (the whole log is saved), fix ${c.dir}, then build again`,
    detail: tail.map((l) => clip(l, 200)),
  }
}

/** The one cause and fix of a failed build, from its plain-progress log (`docker build --progress=plain`). */
export function diagnoseBuild(log: string, component: BuildComponent, o: DiagnoseOptions = {}): BuildDiagnosis {
  const steps = parseSteps(log)
  const failed = steps.find((s) => s.error !== null && !/^(?:failed to )?cancel/i.test(s.error)) ?? null
  const clean = log.replace(ANSI, '').split(/\r?\n/)
  const solve =
    [...clean]
      .reverse()
      .find((l) => /^ERROR: /.test(l))
      ?.slice(7) ??
    failed?.error ??
    ''
  const body = (failed ? failed.lines : clean.filter((l) => !STEP_LINE.test(l))).map((l) => l.trimEnd())
  const exit = /exit code: (\d+)/.exec(failed?.error ?? solve)?.[1]
  const c: Ctx = {
    component,
    dir: o.dir ?? `<the ${component} dir>`,
    baseImage: o.baseImage ?? null,
    lockfiles: o.lockfiles ?? [],
    body,
    text: body.join('\n'),
    all: steps.flatMap((s) => s.lines).join('\n'),
    raw: clean.join('\n'),
    exit: exit === undefined ? null : Number(exit),
    step: failed,
    solve,
  }
  for (const r of RULES) {
    const d = r.match(c)
    if (d) return scrub(d)
  }
  return scrub(lastLines(c))
}

// the shell never reaches the user, whatever a rule picked up
function scrub(d: BuildDiagnosis): BuildDiagnosis {
  const cut = (l: string): string => (l.includes(SHELL) ? `${l.slice(0, l.indexOf(SHELL)).trimEnd()} …` : l)
  const detail = d.detail?.filter((l) => l && !l.includes(SHELL))
  return { cause: cut(d.cause), fix: cut(d.fix), ...(detail && detail.length ? { detail } : {}) }
}

/**
 * The server settings a frontend's own code insists on while `next build` collects page data or prerenders: the
 * names its error gives (`Error: DATABASE_URL environment variable is required`, `Missing env var BETTER_AUTH_SECRET`).
 * A hosting platform has them at build time; here the build gets placeholders for them (BUILD_PLACEHOLDERS) and the
 * real values stay runtime-only. Empty when the failure was anything else.
 */
export function buildTimeSettings(log: string, handedTo: (constructor: string) => string[] = () => []): string[] {
  const clean = log.replace(ANSI, '')
  if (!/Failed to collect page data for|Error occurred prerendering page/.test(clean)) return []
  const names = new Set<string>()
  const errors = clean.split(/\r?\n/).filter((l) => /\bError\b/.test(l))
  const said = [
    /\b([A-Z][A-Z0-9_]{2,})\b(?: environment variable| env var)? (?:is (?:required|not set|missing|undefined|not defined)|must be (?:set|defined|provided))/,
    /(?:missing|required|not set|undefined)[^A-Z\n]{0,40}(?:environment variable|env(?:ironment)? var(?:iable)?|env)\b[:\s"'`]+([A-Z][A-Z0-9_]{2,})\b/i,
  ]
  for (const line of errors)
    for (const re of said) {
      const name = re.exec(line)?.[1]
      if (name && !name.startsWith('NEXT_PUBLIC_') && /^[A-Z][A-Z0-9_]+$/.test(name)) names.add(name)
    }
  // an SDK's own message names its constructor, not the variable (resend: `Missing API key. Pass it to the constructor
  // \`new Resend("re_123")\``): the variables the app's code hands that constructor
  for (const line of errors)
    for (const m of line.matchAll(/\bnew ([A-Z]\w*)\(/g))
      for (const name of handedTo(m[1]!)) if (!name.startsWith('NEXT_PUBLIC_')) names.add(name)
  return [...names].sort()
}
