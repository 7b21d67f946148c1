// Content-hash tags: what changes a tag and what does not, and docker's .dockerignore semantics.
import { describe, expect, it } from 'vitest'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ImageSpec } from '../../scripts/lib/config.ts'
import { buildInputs, dockerignoreMatcher, imageTag } from '../../scripts/lib/images.ts'

function fixture(): { spec: ImageSpec; w: (rel: string, s: string) => void; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-img-'))
  const w = (rel: string, s: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), s)
  }
  w('ctx/main.py', 'print(1)\n')
  w('ctx/pkg/util.py', 'x = 1\n')
  w('ctx/.venv/lib/site.py', 'venv\n')
  w('docker/Dockerfile', 'FROM python\n')
  const spec: ImageSpec = { component: 'backend', name: 'b', contextDir: path.join(dir, 'ctx'), dockerfile: path.join(dir, 'docker/Dockerfile'), buildArgs: { PYTHON_IMAGE: 'python:3.13-slim' }, sizeBudgetMb: 1 }
  return { spec, w, dir }
}
// the size budget is not a build input: varying it must not change the tag
let n = 0
const fresh = (s: ImageSpec): ImageSpec => ({ ...s, sizeBudgetMb: ++n })

describe('imageTag', () => {
  it('is h- plus 12 hex, stable for the same inputs', () => {
    const { spec } = fixture()
    const t = imageTag(fresh(spec))
    expect(t).toMatch(/^h-[0-9a-f]{12}$/)
    expect(imageTag(fresh(spec))).toBe(t)
  })

  it('changes with a source file, a new file, the exec bit, the Dockerfile and the build args', () => {
    const { spec, w, dir } = fixture()
    const seen = new Set([imageTag(fresh(spec))])
    const changed = (): void => {
      const t = imageTag(fresh(spec))
      expect(seen.has(t)).toBe(false)
      seen.add(t)
    }
    w('ctx/main.py', 'print(2)\n')
    changed()
    w('ctx/new.py', '\n')
    changed()
    chmodSync(path.join(dir, 'ctx/new.py'), 0o755)
    changed()
    w('docker/Dockerfile', 'FROM python\nUSER 10001\n')
    changed()
    spec.buildArgs = { PYTHON_IMAGE: 'local/python:3.13' }
    changed()
  })

  it('ignores what the ignore file excludes; the ignore file itself counts; Dockerfile.dockerignore wins over the context one', () => {
    const { spec, w } = fixture()
    w('ctx/.dockerignore', '.venv\n')
    const t1 = imageTag(fresh(spec))
    w('ctx/.venv/lib/site.py', 'changed\n')
    expect(imageTag(fresh(spec))).toBe(t1)
    expect(buildInputs(spec).files).toEqual(['.dockerignore', 'main.py', 'pkg/util.py'])
    w('docker/Dockerfile.dockerignore', '**/.venv\npkg\n')
    const t2 = imageTag(fresh(spec))
    expect(t2).not.toBe(t1)
    expect(buildInputs(spec)).toEqual({ files: ['.dockerignore', 'main.py'], ignoreFile: path.join(path.dirname(spec.dockerfile), 'Dockerfile.dockerignore') })
    w('ctx/pkg/util.py', 'x = 2\n')
    expect(imageTag(fresh(spec))).toBe(t2)
  })
})

describe('dockerignoreMatcher', () => {
  const m = (patterns: string[], p: string): boolean => dockerignoreMatcher(patterns).excluded(p)
  it('follows docker semantics', () => {
    expect(m(['node_modules'], 'node_modules/a/b.js')).toBe(true) // a parent directory match excludes its contents
    expect(m(['node_modules'], 'web/node_modules/a.js')).toBe(false) // patterns are anchored at the context root
    expect(m(['**/node_modules'], 'web/node_modules/a.js')).toBe(true)
    expect(m(['**/node_modules'], 'node_modules/a.js')).toBe(true)
    expect(m(['*.md'], 'README.md')).toBe(true)
    expect(m(['*.md'], 'docs/README.md')).toBe(false)
    expect(m(['**/*.py[cod]'], 'a/b/c.pyc')).toBe(true)
    expect(m(['/build/'], 'build/out.js')).toBe(true)
    expect(m(['docs', '!docs/keep.md'], 'docs/keep.md')).toBe(false)
    expect(m(['docs', '!docs/keep.md'], 'docs/other.md')).toBe(true)
    expect(m(['# comment', '', 'a?c'], 'abc')).toBe(true)
    expect(m(['Dockerfile*'], 'Dockerfile.prod')).toBe(true)
  })
  it('re-included files below an excluded directory are still found', () => {
    const { spec, w } = fixture()
    w('ctx/.dockerignore', 'pkg\n!pkg/util.py\n')
    expect(buildInputs(spec).files).toContain('pkg/util.py')
  })
})
