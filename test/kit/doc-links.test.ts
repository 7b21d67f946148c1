// Every relative link in README.md and docs/*.md points at a file that exists and, when it carries a #fragment into a
// Markdown file, at a heading there (GitHub's anchors), so moving a section cannot leave a dead link behind.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from './harness.ts'

/** GitHub's anchor for a heading's text: lower case, punctuation dropped (but - and _), each space a hyphen. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** The heading's text as GitHub renders it: links by their text, code spans and emphasis by their content. */
const plain = (md: string): string =>
  md
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__|\*|\b_)(\S[^*]*?)\1/g, '$2')
    .trim()

/** The lines outside fenced code blocks (blanks in their place, so line numbers stay). */
function prose(md: string): string[] {
  let fence: string | null = null
  return md.split('\n').map((line) => {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence === null && f) {
      fence = f
      return ''
    }
    if (fence !== null) {
      if (f && f[0] === fence[0] && f.length >= fence.length && line.trim() === f) fence = null
      return ''
    }
    return line
  })
}

/** Every anchor a Markdown page has: its headings (ATX and setext; repeats get -1, -2, …) and explicit ids. */
function anchors(md: string): Set<string> {
  const lines = prose(md)
  const seen = new Map<string, number>()
  const out = new Set<string>()
  const add = (text: string): void => {
    const base = slug(plain(text))
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n ? `${base}-${n}` : base)
  }
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)
    if (atx) add(atx[1] as string)
    else if (/^ {0,3}(=+|-+)\s*$/.test(lines[i + 1] ?? '') && line.trim() && !/^\s*[|>*+-]/.test(line)) add(line)
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1] as string)
  })
  return out
}

/** The link targets in a Markdown page, outside code: inline links, reference definitions, HTML href/src. */
function links(md: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = []
  prose(md).forEach((raw, i) => {
    const line = raw.replace(/(`+)[\s\S]*?\1/g, '')
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ line: i + 1, target: m[1] as string })
    const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line)
    if (def) out.push({ line: i + 1, target: def[1] as string })
    for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) out.push({ line: i + 1, target: m[1] as string })
  })
  return out
}

/** The broken relative links of the given pages (paths relative to repo), as "page:line target — why". */
function brokenLinks(repo: string, pages: string[]): string[] {
  const read = (f: string): string => readFileSync(path.join(repo, f), 'utf8')
  const kind = (f: string): 'file' | 'dir' | null => {
    try {
      return statSync(path.join(repo, f)).isDirectory() ? 'dir' : 'file'
    } catch {
      return null
    }
  }
  const broken: string[] = []
  for (const page of pages) {
    for (const { line, target } of links(read(page))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue
      const hash = target.indexOf('#')
      const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash))
      const fragment = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1))
      const to =
        file === '' ? page : file.startsWith('/') ? file.slice(1) : path.posix.join(path.posix.dirname(page), file)
      const where = `${page}:${line} ${target}`
      if (to.startsWith('..')) broken.push(`${where} — outside the repository`)
      else if (!kind(to)) broken.push(`${where} — no file ${to}`)
      else if (fragment !== null && kind(to) === 'file' && to.endsWith('.md') && !anchors(read(to)).has(fragment)) {
        broken.push(`${where} — ${to} has no heading with the anchor #${fragment}`)
      }
    }
  }
  return broken
}

describe('links in README.md and docs/', () => {
  it('every relative link points at a file that exists, and every #anchor at a heading in it', () => {
    const pages = [
      'README.md',
      ...readdirSync(path.join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ]
    expect(pages).toEqual(expect.arrayContaining(['docs/stages.md', 'docs/configuration.md', 'docs/testing.md']))
    expect(brokenLinks(root, pages)).toEqual([])
  })

  it('README links the pages its sections moved to', () => {
    const targets = links(readFileSync(path.join(root, 'README.md'), 'utf8')).map((l) => l.target.replace(/#.*/, ''))
    for (const doc of [
      'docs/stages.md',
      'docs/configuration.md',
      'docs/other-clusters.md',
      'docs/troubleshooting.md',
      'docs/testing.md',
      'docs/app-contract.md',
    ]) {
      expect(targets).toContain(doc)
    }
  })

  it("anchors are GitHub's: punctuation dropped, spaces to hyphens, repeats numbered", () => {
    expect(slug('Browser → backend')).toBe('browser--backend')
    expect(slug(plain('What `build.sh` builds (all cached; a warm run takes seconds)'))).toBe(
      'what-buildsh-builds-all-cached-a-warm-run-takes-seconds',
    )
    expect(slug(plain('The [chart](x.md) and **its** values_file'))).toBe('the-chart-and-its-values_file')
    expect([...anchors('# A\n\n## A\n\n```sh\n# not a heading\n```\n\nSetext\n------\n\n<a id="here"></a>\n')]).toEqual(
      ['a', 'a-1', 'setext', 'here'],
    )
  })

  it('fails on a missing file, a missing heading, a same-page anchor and a link that leaves the repository', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'doc-links-'))
    mkdirSync(path.join(repo, 'docs'))
    writeFileSync(path.join(repo, 'docs', 'a.md'), '# A page\n\n## Browser → backend\n')
    writeFileSync(
      path.join(repo, 'README.md'),
      [
        '# Repo',
        '',
        '[ok](docs/a.md) [ok](docs/a.md#browser--backend) [ok](#repo) [ok](docs/) [web](https://example.com/x#y)',
        '`[in code](docs/gone.md)`',
        '',
        '```md',
        '[in a fence](docs/gone.md)',
        '```',
        '',
        '[gone](docs/gone.md)',
        '[no heading](docs/a.md#browser-backend)',
        '[no anchor](#nope)',
        '[out](../elsewhere.md)',
        '[ref]: docs/also-gone.md',
        '',
      ].join('\n'),
    )
    expect(brokenLinks(repo, ['README.md'])).toEqual([
      'README.md:10 docs/gone.md — no file docs/gone.md',
      'README.md:11 docs/a.md#browser-backend — docs/a.md has no heading with the anchor #browser-backend',
      'README.md:12 #nope — README.md has no heading with the anchor #nope',
      'README.md:13 ../elsewhere.md — outside the repository',
      'README.md:14 docs/also-gone.md — no file docs/also-gone.md',
    ])
  })
})
