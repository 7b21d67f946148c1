// Content-hash tags: what changes a tag and what does not, and docker's .dockerignore semantics.
import { describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ImageSpec } from '../../scripts/lib/config.ts'
import { buildInputs, dockerignoreMatcher, imageTag, skippedInputs } from '../../scripts/lib/images.ts'

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
  const spec: ImageSpec = {
    component: 'backend',
    name: 'b',
    contextDir: path.join(dir, 'ctx'),
    dockerfile: path.join(dir, 'docker/Dockerfile'),
    buildArgs: { PYTHON_IMAGE: 'python:3.13-slim' },
    sizeBudgetMb: 1,
  }
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
    expect(buildInputs(spec)).toEqual({
      files: ['.dockerignore', 'main.py'],
      ignoreFile: path.join(path.dirname(spec.dockerfile), 'Dockerfile.dockerignore'),
      skipped: [],
    })
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

// Special files: docker itself sends no FIFO (and a socket only as an empty file); reading a FIFO blocks forever and
// opening a socket fails with ENXIO, so neither may be opened. A blocking read would freeze this very process (no test
// timeout can interrupt a synchronous open), hence the FIFO case runs in a child process that is killed after 15 s.
const imagesModule = fileURLToPath(new URL('../../scripts/lib/images.ts', import.meta.url))
function inChild(spec: ImageSpec): { tag: string; inputs: ReturnType<typeof buildInputs>; skipped: string[] } {
  const code = `const m = await import(${JSON.stringify(imagesModule)}); const spec = JSON.parse(process.argv[1]);
    const tag = m.imageTag(spec); console.log(JSON.stringify({ tag, inputs: m.buildInputs(spec), skipped: m.skippedInputs(spec) }))`
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', code, JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: 15_000,
    killSignal: 'SIGKILL',
  })
  if (r.error || r.status !== 0)
    throw new Error(
      `hashing ${spec.contextDir} ${r.signal === 'SIGKILL' ? 'hung (killed after 15 s)' : 'failed'}: ${r.error?.message ?? r.stderr}`,
    )
  return JSON.parse(r.stdout)
}

describe('special files in the build context', () => {
  it(
    'a FIFO is never read: the tag comes at once, unchanged, and the FIFO is reported as skipped unless ignored',
    { timeout: 30_000 },
    () => {
      const { spec, w, dir } = fixture()
      w('ctx/.dockerignore', '.venv\n*.ignored\n')
      const before = imageTag(fresh(spec))
      for (const f of ['pipe', 'pkg/pipe', 'x.ignored', '.venv/pipe'])
        execFileSync('mkfifo', [path.join(dir, 'ctx', f)])
      const started = Date.now()
      const r = inChild(spec)
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(r.tag).toBe(before)
      expect(r.inputs.skipped).toEqual(['pipe', 'pkg/pipe'])
      expect(r.inputs.files).toEqual(['.dockerignore', 'main.py', 'pkg/util.py'])
      expect(r.skipped).toEqual(['pipe', 'pkg/pipe'])
    },
  )

  it('a unix socket is never opened (no ENXIO) and is reported as skipped unless ignored', async () => {
    const { spec, w, dir } = fixture()
    w('ctx/.dockerignore', 'run/ignored.sock\n')
    const before = imageTag(fresh(spec))
    mkdirSync(path.join(dir, 'ctx/run'))
    const servers = await Promise.all(
      ['ctx/app.sock', 'ctx/run/ignored.sock'].map(
        (f) =>
          new Promise<net.Server>((resolve, reject) => {
            const srv = net.createServer().once('error', reject)
            srv.listen(path.join(dir, f), () => resolve(srv))
          }),
      ),
    )
    try {
      expect(imageTag(fresh(spec))).toBe(before)
      expect(buildInputs(spec).skipped).toEqual(['app.sock'])
      expect(skippedInputs(spec)).toEqual(['app.sock'])
    } finally {
      for (const srv of servers) srv.close()
    }
  })
})

// Every expectation below was checked against what a real `docker build` (buildx/BuildKit) sends for the same tree.
describe('dockerignoreMatcher, as docker build', () => {
  const kept = (patterns: string[], paths: string[]): string[] => {
    const m = dockerignoreMatcher(patterns)
    return paths.filter((p) => !m.excluded(p))
  }
  it('follows the examples of the docker docs: `*/temp*`, `*/*/temp*`, `temp?`, `**/*.go`, `!` exceptions, leading `/`, spaces, comments', () => {
    expect(kept(['*/temp*'], ['temp.txt', 'a/temp.txt', 'a/tempdir/x', 'a/b/temp.txt', 'a/keep'])).toEqual([
      'temp.txt',
      'a/b/temp.txt',
      'a/keep',
    ])
    expect(kept(['*/*/temp*'], ['temp.txt', 'a/temp.txt', 'a/b/temp.txt', 'a/b/tempdir/x', 'a/b/c/temp.txt'])).toEqual([
      'temp.txt',
      'a/temp.txt',
      'a/b/c/temp.txt',
    ])
    expect(kept(['temp?'], ['temp1', 'temp12', 'a/temp1', 'temp'])).toEqual(['temp12', 'a/temp1', 'temp'])
    expect(kept(['**/*.go'], ['main.go', 'a/b/c.go', 'x.gox', 'a/go'])).toEqual(['x.gox', 'a/go'])
    expect(kept(['*.md', '!README*.md'], ['README.md', 'README-x.md', 'CHANGES.md', 'docs/a.md'])).toEqual([
      'README.md',
      'README-x.md',
      'docs/a.md',
    ])
    expect(kept(['/foo'], ['foo/x', 'a/foo/x', 'foo.txt'])).toEqual(['a/foo/x', 'foo.txt'])
    expect(kept(['secret.txt   ', '  *.log  '], ['secret.txt', 'a.log', 'other.txt'])).toEqual(['other.txt'])
    expect(kept(['*.log', '!  important.log'], ['a.log', 'important.log'])).toEqual(['important.log'])
    // a comment is a `#` in column 1; ` #hash` is the pattern `#hash`
    expect(kept(['#comment', ' #hash'], ['#comment', '#hash', 'comment'])).toEqual(['#comment', 'comment'])
  })
  it('is case-sensitive, reads `[!a]` as Go does, takes `+()|{}` literally and `**` anywhere like docker', () => {
    expect(kept(['*.MD', 'Dockerfile'], ['README.md', 'X.MD', 'dockerfile'])).toEqual(['README.md', 'dockerfile'])
    expect(kept(['[!a]*'], ['a1', 'b1', '!x'])).toEqual(['b1']) // Go's filepath.Match negates with `^` only
    expect(kept(['app/(auth)'], ['app/(auth)/page.tsx', 'app/auth/page.tsx'])).toEqual(['app/auth/page.tsx']) // a Next.js route group
    expect(kept(['c++', 'a+b', 'x{1}', 'a|b'], ['c++', 'cc', 'a+b', 'aab', 'x{1}', 'x', 'a|b', 'a'])).toEqual([
      'cc',
      'aab',
      'x',
      'a',
    ])
    expect(kept(['a**/b'], ['a/x/y/b/f', 'a/b/f', 'ab/f', 'a/x/b', 'a/x/c'])).toEqual(['a/x/c'])
    expect(kept(['**.pyc'], ['c.pyc', 'a/b/c.pyc', '.pyc', 'a/c.py'])).toEqual(['a/c.py'])
    expect(kept(['**foo/bar'], ['xfoo/bar', 'a/xfoo/bar', 'foo/bar', 'foo/baz'])).toEqual(['foo/baz'])
    expect(kept(['**/temp/**/*.log'], ['temp/a.log', 'x/temp/y/z.log', 'x/temp/y/z.txt', 'a.log'])).toEqual([
      'x/temp/y/z.txt',
      'a.log',
    ])
    expect(kept(['*', '!!bang', '! #hash'], ['!bang', 'bang', '#hash', 'x'])).toEqual(['!bang', '#hash'])
    expect(kept(['*', '!src'], ['src/a', 'src/b/c', 'other', 'x/src'])).toEqual(['src/a', 'src/b/c'])
    expect(kept(['logs', '!logs/keep', 'logs/keep/tmp'], ['logs/a', 'logs/keep/b', 'logs/keep/tmp/c'])).toEqual([
      'logs/keep/b',
    ])
  })
  it('rejects a malformed pattern, as docker build does ("syntax error in pattern")', () => {
    expect(() => dockerignoreMatcher(['ok', '[abc'])).toThrow(/malformed pattern "\[abc"/)
    const { spec, w } = fixture()
    w('ctx/.dockerignore', '[abc\n')
    expect(() => buildInputs(spec)).toThrow(path.join(spec.contextDir, '.dockerignore'))
  })
})
