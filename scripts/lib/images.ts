// Image names and content-hash tags, computed without building: build, load, deploy and validate all derive the same
// tag from the same inputs, so "unchanged tree" means "nothing to build, load or roll".
//
// Exported API (stable):
//   imageTag(spec: ImageSpec): string            — `h-` + 12 hex of sha256 over the build inputs
//   images(cfg: Config): { frontend: ImageRef; backend: ImageRef }
//   ImageRef = { component, local: 'todo-frontend:h-…', repository, tag, ref }
//     local      — the name docker builds and minikube/kind/containerd load
//     repository — what the chart pulls (REGISTRY/name for LOAD_METHOD=registry, else the plain name)
//     ref        — repository:tag
//   buildInputs(spec): { files: string[]; ignoreFile: string | null }   — what the tag covers (tests, --explain)
//   dockerignoreMatcher(patterns): (relPath, isDir) => boolean            — docker's .dockerignore semantics
//
// Inputs of a tag: every file of the build context that the ignore file does not exclude (path, exec bit, content),
// the Dockerfile, its ignore file, and the build args. The ignore file is `<Dockerfile>.dockerignore` when present
// (BuildKit prefers it), else `<context>/.dockerignore`, as docker itself decides.
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import type { Config, ImageSpec } from './config.ts'

export type ImageRef = { component: 'frontend' | 'backend'; local: string; repository: string; tag: string; ref: string }

type Rule = { re: RegExp; negate: boolean }

function globToRegExp(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below
        if (pattern[i + 2] === '/') {
          re += '(?:.*/)?'
          i += 2
        } else {
          re += '.*'
          i += 1
        }
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end === -1) re += '\\['
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']'
        i = end
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += '\\' + pattern[i + 1]
      i += 1
    } else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

export function dockerignoreMatcher(lines: string[]): { excluded: (rel: string) => boolean; hasNegations: boolean } {
  const rules: Rule[] = []
  for (const raw of lines) {
    let l = raw.trim()
    if (!l || l.startsWith('#')) continue
    const negate = l.startsWith('!')
    if (negate) l = l.slice(1).trim()
    l = path.posix.normalize(l).replace(/^\/+/, '').replace(/\/+$/, '')
    if (l === '.' || l === '') continue
    rules.push({ re: globToRegExp(l), negate })
  }
  const excluded = (rel: string): boolean => {
    // a pattern excludes a path when it matches the path or one of its parent directories (moby/patternmatcher)
    const parts = rel.split('/')
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let out = false
    for (const r of rules) if (prefixes.some((p) => r.re.test(p))) out = !r.negate
    return out
  }
  return { excluded, hasNegations: rules.some((r) => r.negate) }
}

export function ignoreFileFor(spec: ImageSpec): string | null {
  const specific = `${spec.dockerfile}.dockerignore`
  if (existsSync(specific)) return specific
  const general = path.join(spec.contextDir, '.dockerignore')
  return existsSync(general) ? general : null
}

export function buildInputs(spec: ImageSpec): { files: string[]; ignoreFile: string | null } {
  const ignoreFile = ignoreFileFor(spec)
  const m = dockerignoreMatcher(ignoreFile ? readFileSync(ignoreFile, 'utf8').split(/\r?\n/) : [])
  const files: string[] = []
  const walk = (dirRel: string): void => {
    const abs = path.join(spec.contextDir, dirRel)
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name
      const ex = m.excluded(rel)
      if (e.isDirectory()) {
        // an excluded directory can only contribute files when a `!` rule re-includes something below it
        if (ex && !m.hasNegations) continue
        walk(rel)
      } else if (!ex) files.push(rel)
    }
  }
  walk('')
  files.sort()
  return { files, ignoreFile }
}

// not cached: sources can change while a process runs (tests, long `up` runs), and hashing is cheap next to a build
export function imageTag(spec: ImageSpec): string {
  const { files, ignoreFile } = buildInputs(spec)
  const h = createHash('sha256')
  const field = (s: string | Buffer): void => {
    h.update(String(Buffer.byteLength(s)) + ':')
    h.update(s)
  }
  field('todo-k8s-kit/tag/v1')
  for (const f of files) {
    const abs = path.join(spec.contextDir, f)
    const st = lstatSync(abs)
    field(f)
    if (st.isSymbolicLink()) field('link:' + readlinkSync(abs))
    else {
      field(st.mode & 0o111 ? 'x' : '-')
      field(createHash('sha256').update(readFileSync(abs)).digest('hex'))
    }
  }
  field('dockerfile')
  field(readFileSync(spec.dockerfile))
  field('ignore')
  field(ignoreFile ? readFileSync(ignoreFile) : '')
  for (const k of Object.keys(spec.buildArgs).sort()) field(`arg:${k}=${spec.buildArgs[k]}`)
  return 'h-' + h.digest('hex').slice(0, 12)
}

export function imageRef(cfg: Config, spec: ImageSpec): ImageRef {
  const tag = imageTag(spec)
  const repository = cfg.loadMethod === 'registry' && cfg.registry ? `${cfg.registry}/${spec.name}` : spec.name
  return { component: spec.component, local: `${spec.name}:${tag}`, repository, tag, ref: `${repository}:${tag}` }
}

export function images(cfg: Config): { frontend: ImageRef; backend: ImageRef } {
  return { frontend: imageRef(cfg, cfg.frontend), backend: imageRef(cfg, cfg.backend) }
}
