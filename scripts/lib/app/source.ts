// Reading an app's source for the detectors: which files to look at, their text, and where a match is (file:line).
// Read-only by design: init inspects an app its owner must not have changed under them.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'

export type Evidence = { file: string; line: number; text: string }
export type Finding<T> = { value: T; from: Evidence[] }
export type Hit = Evidence & { groups: string[]; index: number }

// dependency trees, build output and tests say nothing about what the deployed app does
const SKIP = new Set(['node_modules', '.next', '.venv', 'venv', '__pycache__', '.git', 'dist', 'build', 'out', '.turbo', 'coverage', '.pytest_cache', '.mypy_cache', '.ruff_cache', 'tests', 'test', '__tests__', 'e2e'])
const MAX_FILES = 5000
const MAX_BYTES = 1_000_000

export function sourceFiles(dir: string, exts: readonly string[]): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    let entries
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= MAX_FILES) return
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!SKIP.has(e.name) && !e.name.startsWith('.')) walk(r)
      } else if (e.isFile() && exts.some((x) => e.name.endsWith(x)) && !/\.(test|spec)\.[jt]sx?$|^test_.*\.py$|_test\.py$/.test(e.name)) out.push(r)
    }
  }
  walk('')
  return out
}

export function readText(dir: string, rel: string): string | null {
  try {
    // a link that leads out of the app (to /etc/shadow, say) is never followed: init reads the app and nothing else
    const real = realpathSync(path.join(dir, rel))
    const root = realpathSync(dir)
    if (!real.startsWith(root + path.sep)) return null
    const st = statSync(real)
    if (!st.isFile() || st.size > MAX_BYTES) return null
    return decodeText(readFileSync(real))
  } catch {
    return null
  }
}

/**
 * Text by its byte-order mark: pip reads a requirements.txt saved as UTF-16 (Windows editors and PowerShell's `>` write
 * one), so the detectors must read it too; without a mark, UTF-8.
 */
export function decodeText(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le')
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(buf.subarray(2, buf.length - (buf.length % 2))).swap16().toString('utf16le')
  return buf.toString('utf8').replace(/^\uFEFF/, '')
}

export function lineAt(text: string, index: number): number {
  let n = 1
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) n++
  return n
}

const lineText = (text: string, line: number): string => (text.split('\n')[line - 1] ?? '').trim().slice(0, 160)

export function evidence(file: string, text: string, index: number): Evidence {
  const line = lineAt(text, index)
  return { file, line, text: lineText(text, line) }
}

export function matches(dir: string, files: readonly string[], re: RegExp): Hit[] {
  const hits: Hit[] = []
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')
  for (const f of files) {
    const text = readText(dir, f)
    if (text === null) continue
    for (const m of text.matchAll(g)) hits.push({ ...evidence(f, text, m.index), groups: m.slice(1).map((x) => x ?? ''), index: m.index })
  }
  return hits
}

export const where = (e: Evidence): string => `${e.file}:${e.line}`

