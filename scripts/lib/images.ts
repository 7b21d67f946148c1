// Image names and content-hash tags, computed without building: build, load, deploy and validate all derive the same
// tag from the same inputs, so "unchanged tree" means "nothing to build, load or roll".
//
// Inputs of a tag: every regular file and symlink of the build context that the ignore file does not exclude (path,
// exec bit, content; a symlink by its target string), the Dockerfile, its ignore file, and the build args. The ignore
// file is `<Dockerfile>.dockerignore` when present (BuildKit prefers it), else `<context>/.dockerignore`, as docker
// itself decides. Special files are listed in `skipped` instead: reading a FIFO blocks forever, opening a socket fails
// with ENXIO (docker build itself drops a FIFO and sends a socket as an empty file).
//
// .dockerignore matching uses @balena/dockerignore (a port of moby's matcher) for parsing, cleaning and glob → regexp,
// with five adjustments where it lags today's docker (moby/patternmatcher, used by buildx/BuildKit; each checked
// against a real `docker build`):
//   1. case-sensitive (the package ignores case by default; docker on Linux does not);
//   2. `.+()|{}$` in a pattern are literal (the package escapes only `.` and `$`: `app/(auth)` — a Next.js route
//      group — would be a regexp group, `c++` a regexp syntax error);
//   3. a pattern matching any parent directory excludes the path (the package, like moby's deprecated `Matches`, tries
//      only the parent at the pattern's own depth, so `a**/b` missed `a/x/y/b/f`);
//   4. a leading `**` not followed by `/` with a literal rest is a suffix match as in docker (`**.pyc` excludes
//      `a/b/c.pyc`; the package would only exclude files named exactly `.pyc`);
//   5. only a `#` in column 1 starts a comment: ` #x` is the pattern `#x` and `!!x` re-includes `!x` (the package
//      would re-read the trimmed rest as a comment or a second negation).
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import dockerignore from '@balena/dockerignore'
import type { Config, ImageSpec } from './config.ts'
import { KitError } from './errors.ts'
import { repoRoot } from './project-paths.ts'
import { readTextFile, UnreadableFile } from './safe-read.ts'

export type ImageRef = {
  component: 'frontend' | 'backend'
  local: string
  repository: string
  tag: string
  ref: string
}

// the package's default export is its factory; under NodeNext typing the CommonJS module object is what arrives, and
// the factory also carries itself as `.default`
const newIgnore = (dockerignore as unknown as { default: typeof dockerignore.default }).default

// regexp metacharacters docker's matcher escapes but the package passes through (see the header, item 2)
const LITERAL_META = new Set(['+', '(', ')', '|', '{', '}'])

function escapeMeta(pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\' && i + 1 < pattern.length) {
      // an escape keeps its character whatever it is
      out += c + pattern[i + 1]
      i += 1
    } else out += LITERAL_META.has(c) ? '\\' + c : c
  }
  return out
}

type Rule = { test: (p: string) => boolean; negate: boolean }

export function dockerignoreMatcher(
  lines: string[],
  source = '.dockerignore',
): { excluded: (rel: string) => boolean; hasNegations: boolean } {
  const rules: Rule[] = []
  for (const raw of lines) {
    // as in docker: a comment is a line whose first character is `#` (before trimming); blank lines are skipped
    if (raw.startsWith('#')) continue
    let p = raw.trim()
    const negate = p.startsWith('!')
    if (negate) p = p.slice(1).trim()
    if (!p) continue
    p = path.posix.normalize(p).replace(/(?<=.)\/$/, '')
    if (p.length > 1 && p.startsWith('/')) p = p.slice(1)
    // docker's suffix match (header, item 4): `**X` with a literal X not starting with `/` is "ends with X"
    const suffix = /^\*\*([^/*?[\]\\][^*?[\]\\]*)$/.exec(p)
    if (suffix) p = `**/*${suffix[1]}`
    // the package would read a body starting with `#` as a comment and one starting with `!` as a negation: docker
    // reads them literally here (` #x` is a pattern, `!!x` re-includes `!x`)
    if (p.startsWith('#') || p.startsWith('!')) p = '\\' + p
    const ig = newIgnore({ ignorecase: false }).add(escapeMeta(p))
    try {
      ig.ignores('probe') // the package compiles lazily: surface a malformed pattern (e.g. an unclosed `[`) here
    } catch {
      throw new KitError(
        `${source}: malformed pattern ${JSON.stringify(raw.trim())} (docker build rejects it too)`,
        `edit ${source}: fix or remove that line`,
      )
    }
    rules.push({ test: (rel) => ig.ignores(rel), negate })
  }
  const excluded = (rel: string): boolean => {
    // moby/patternmatcher MatchesOrParentMatches: a rule applies when it matches the path or any parent directory;
    // the last applicable rule wins. ig.ignores(prefix) also tries some parents of prefix: all of them prefixes too.
    const parts = rel.split('/')
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let out = false
    for (const r of rules) {
      if (r.negate !== out) continue // as docker: an inclusion cannot change a kept path, nor an exclusion an excluded one
      if (prefixes.some(r.test)) out = !r.negate
    }
    return out
  }
  return { excluded, hasNegations: rules.some((r) => r.negate) }
}

/** The ignore file's text; one that is not a regular file (a FIFO would block the hash forever) is named. */
function readIgnoreFile(file: string): string {
  try {
    return readTextFile(file)
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e
    throw new KitError(
      `${e.message}: docker reads it as the ignore file of this build`,
      `replace ${file} with a regular file`,
    )
  }
}

export function ignoreFileFor(spec: ImageSpec): string | null {
  const specific = `${spec.dockerfile}.dockerignore`
  if (existsSync(specific)) return specific
  const general = path.join(spec.contextDir, '.dockerignore')
  return existsSync(general) ? general : null
}

/** The image's ignore file (ignoreFileFor) read into a matcher; none excludes nothing. */
export function ignoreMatcher(spec: ImageSpec): {
  ignoreFile: string | null
  matcher: ReturnType<typeof dockerignoreMatcher>
} {
  const ignoreFile = ignoreFileFor(spec)
  return {
    ignoreFile,
    matcher: ignoreFile
      ? dockerignoreMatcher(readIgnoreFile(ignoreFile).split(/\r?\n/), ignoreFile)
      : dockerignoreMatcher([]),
  }
}

export function buildInputs(spec: ImageSpec): { files: string[]; ignoreFile: string | null; skipped: string[] } {
  const { ignoreFile, matcher: m } = ignoreMatcher(spec)
  const files: string[] = []
  const skipped: string[] = []
  const walk = (dirRel: string): void => {
    const abs = path.join(spec.contextDir, dirRel)
    // Dirent types come from the directory listing itself (lstat semantics: a symlink is a symlink), nothing is opened
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name
      const ex = m.excluded(rel)
      if (e.isDirectory()) {
        // an excluded directory can only contribute files when a `!` rule re-includes something below it
        if (ex && !m.hasNegations) continue
        walk(rel)
      } else if (ex) continue
      else if (e.isFile() || e.isSymbolicLink()) files.push(rel)
      else skipped.push(rel) // FIFO, socket, block or character device
    }
  }
  walk('')
  files.sort()
  skipped.sort()
  return { files, ignoreFile, skipped }
}

export function skippedInputs(spec: ImageSpec): string[] {
  return buildInputs(spec).skipped
}

// not cached: sources can change while a process runs (tests, long `up` runs), and hashing is cheap next to a build
export function imageTag(spec: ImageSpec): string {
  return 'h-' + inputsDigest(spec).slice(0, 12)
}

/** sha256 (hex) over the tag's inputs; `keep` leaves build-context files out (the Dockerfile, ignore file and args stay) */
export function inputsDigest(spec: ImageSpec, keep: (rel: string) => boolean = () => true): string {
  const { files: all, ignoreFile } = buildInputs(spec)
  const files = all.filter(keep)
  const h = createHash('sha256')
  const field = (s: string | Buffer): void => {
    h.update(String(Buffer.byteLength(s)) + ':')
    h.update(s)
  }
  field('todo-k8s-kit/tag/v1')
  for (const f of files) {
    const abs = path.join(spec.contextDir, f)
    // lstat before any read: a path that stopped being a regular file or symlink since the walk is never opened
    const st = lstatSync(abs)
    if (st.isSymbolicLink()) {
      field(f)
      field('link:' + readlinkSync(abs))
    } else if (st.isFile()) {
      field(f)
      field(st.mode & 0o111 ? 'x' : '-')
      field(createHash('sha256').update(readFileSync(abs)).digest('hex'))
    }
  }
  field('dockerfile')
  field(readFileSync(spec.dockerfile))
  field('ignore')
  field(ignoreFile ? readIgnoreFile(ignoreFile) : '')
  for (const k of Object.keys(spec.buildArgs).sort()) field(`arg:${k}=${spec.buildArgs[k]}`)
  // only when set: the default stage's tags stay what they were
  if (spec.target) field(`target:${spec.target}`)
  return h.digest('hex')
}

export function imageRef(cfg: Config, spec: ImageSpec): ImageRef {
  const tag = readableTag(spec)
  const repository = cfg.loadMethod === 'registry' && cfg.registry ? `${cfg.registry}/${spec.name}` : spec.name
  return { component: spec.component, local: `${spec.name}:${tag}`, repository, tag, ref: `${repository}:${tag}` }
}

/** imageTag, with a file it cannot read (permissions, a file that went away) named as the cause instead of a trace. */
function readableTag(spec: ImageSpec): string {
  try {
    return imageTag(spec)
  } catch (e) {
    if (e instanceof KitError) throw e
    const err = e as NodeJS.ErrnoException
    const what = err.path ?? spec.contextDir
    if (err.code === 'EACCES' || err.code === 'EPERM')
      throw new KitError(
        `cannot read ${what} (permission denied): the ${spec.component} image's tag hashes every file docker would send`,
        `chmod a+r ${what}   (or exclude it in ${path.basename(spec.dockerfile)}.dockerignore)`,
      )
    throw new KitError(
      `cannot read the ${spec.component} build context (${err.code ?? err.message}${err.path ? `: ${err.path}` : ''})`,
      `ls -la ${what}`,
    )
  }
}

/**
 * FRONTEND_AUTH_MIGRATE's image: the frontend's own build (same context, Dockerfile and args, so every layer up to
 * the build is the frontend's cache) with the Dockerfile's auth-migrate stage on top, named <FRONTEND_IMAGE>-migrate.
 * Its tag hashes the frontend's inputs plus AUTH_CONFIG and the target, so a new config path is a new image.
 */
export function frontendMigrateSpec(cfg: Config): ImageSpec | null {
  const m = cfg.frontendMigrate
  if (!m) return null
  return {
    ...cfg.frontend,
    name: `${cfg.frontend.name}-migrate`,
    buildArgs: { ...cfg.frontend.buildArgs, AUTH_CONFIG: m.config, AUTH_MIGRATE_OPTIONS: migrationOptionsSource() },
    target: 'auth-migrate',
    notes: [],
  }
}

/** build args that carry a file of the kit's (not in the app's build context): build passes them by environment */
export const FILE_BUILD_ARGS = new Set(['AUTH_MIGRATE_OPTIONS'])

/** the options the migration hands Better Auth's CLI (the Drizzle adapter's names): a file of the kit, not the app's */
let migrationOptions: string | undefined
const migrationOptionsSource = (): string =>
  (migrationOptions ??= readFileSync(
    path.join(repoRoot, 'frontend-docker', 'auth-migrate', 'migration-options.mjs'),
    'utf8',
  ))

/**
 * the command of the migration step that runs in frontendMigrateSpec's image: its `auth-migrate`, Better Auth's
 * `migrate -y` on the app's config as migration-options.mjs hands it over
 */
export function frontendMigrateCommand(cfg: Config): string[] | null {
  return cfg.frontendMigrate ? ['auth-migrate'] : null
}

export function images(cfg: Config): { frontend: ImageRef; backend: ImageRef } {
  return { frontend: imageRef(cfg, cfg.frontend), backend: imageRef(cfg, cfg.backend) }
}

/** frontendMigrateSpec's image reference, or null without FRONTEND_AUTH_MIGRATE */
export function frontendMigrateImage(cfg: Config): ImageRef | null {
  const spec = frontendMigrateSpec(cfg)
  return spec ? imageRef(cfg, spec) : null
}

/**
 * FRONTEND_DB_DRIVER=neon: the kit's neon-proxy (frontend-docker/neon-proxy), named <FRONTEND_IMAGE>-neon-proxy and
 * built from the frontend's NODE_IMAGE. Only with the in-cluster PostgreSQL: an external DATABASE_URL (Neon itself,
 * say) is reached as the app always did.
 */
export function neonProxySpec(cfg: Config): ImageSpec | null {
  if (cfg.frontendDbDriver !== 'neon' || cfg.externalDatabase) return null
  const dir = path.join(repoRoot, 'frontend-docker', 'neon-proxy')
  return {
    component: 'frontend',
    role: 'neon-proxy',
    name: `${cfg.frontend.name}-neon-proxy`,
    contextDir: dir,
    dockerfile: path.join(dir, 'Dockerfile'),
    buildArgs: { NODE_IMAGE: cfg.frontend.buildArgs.NODE_IMAGE ?? 'node:24-slim' },
    // pg and ws: well under a megabyte over the base image
    sizeBudgetMb: 10,
    notes: [],
  }
}

export function neonProxyImage(cfg: Config): ImageRef | null {
  const spec = neonProxySpec(cfg)
  return spec ? imageRef(cfg, spec) : null
}

/** Every image the release runs, in build order: the frontend, its migration and neon-proxy images, the backend. */
export function releaseImages(cfg: Config): ImageRef[] {
  const imgs = images(cfg)
  return [imgs.frontend, frontendMigrateImage(cfg), neonProxyImage(cfg), imgs.backend].filter(
    (i): i is ImageRef => i !== null,
  )
}
