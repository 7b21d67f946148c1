// The project's paths: where the root is, how a path is shown, and that the configured sources and chart exist.
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { PYTHON_MARKERS, isPythonApp } from './app/detect-backend.ts'
import { MAX_TEXT_FILE_BYTES, UnreadableFile, notRegular, readTextFile, sizeText } from './safe-read.ts'
import { Invalid, type Report } from './value-rules.ts'

export const repoRoot = path.resolve(import.meta.dirname, '..', '..')

/** A path as the kit shows it: relative to `root` when inside it (with / on every OS), else as it is. */
export function relPath(root: string, p: string): string {
  const r = path.relative(root, p)
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r.split(path.sep).join('/') : p
}

function checkPath(abs: string, kind: 'dir' | 'file'): void {
  const st = statSync(abs, { throwIfNoEntry: false })
  if (!st || (kind === 'dir' ? !st.isDirectory() : !st.isFile())) {
    const what = st ? `; it is ${notRegular(st) ?? 'a file'}` : ''
    throw new Invalid(`an existing ${kind === 'dir' ? 'directory' : 'file'} (looked for ${abs}${what})`)
  }
  if (kind === 'file' && st.size > MAX_TEXT_FILE_BYTES) {
    throw new Invalid(`a file of at most ${sizeText(MAX_TEXT_FILE_BYTES)} (${abs} has ${sizeText(st.size)})`)
  }
}

// helm takes any directory as a chart and fails late; the chart's marker file says it is one
function checkChart(abs: string): void {
  checkPath(abs, 'dir')
  const marker = path.join(abs, 'Chart.yaml')
  const st = statSync(marker, { throwIfNoEntry: false })
  if (!st?.isFile()) throw new Invalid(`a Helm chart directory (missing ${marker})`)
}

// A mistyped FRONTEND_DIR=../../../etc would otherwise build and ship whatever is there.
function checkNextApp(abs: string): void {
  checkPath(abs, 'dir')
  const pkg = path.join(abs, 'package.json')
  if (!existsSync(pkg)) throw new Invalid(`a Next.js app directory (missing ${pkg})`)
  let text: string
  try {
    text = readTextFile(pkg)
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e
    throw new Invalid(`a Next.js app directory (${e.message})`)
  }
  let deps: Record<string, unknown> = {}
  try {
    type Manifest = { dependencies?: Record<string, unknown>; devDependencies?: Record<string, unknown> }
    const p = JSON.parse(text) as Manifest
    deps = { ...p.dependencies, ...p.devDependencies }
  } catch {
    throw new Invalid(`a Next.js app directory (${pkg} is not valid JSON)`)
  }
  if (!('next' in deps)) {
    throw new Invalid(`a Next.js app directory (${pkg} has no "next" in dependencies or devDependencies)`)
  }
}

function checkPythonApp(abs: string): void {
  checkPath(abs, 'dir')
  if (!isPythonApp(abs)) {
    const markers = PYTHON_MARKERS.join(', ')
    throw new Invalid(`a Python app directory (missing ${path.join(abs, 'pyproject.toml')}; any of ${markers} will do)`)
  }
}

type PathKeys = {
  CHART_DIR: string
  FRONTEND_DIR: string
  BACKEND_DIR: string
  FRONTEND_DOCKERFILE: string
  BACKEND_DOCKERFILE: string
}

/** The rules across keys: the chart, a Next.js and a Python app and both Dockerfiles are there (values files: values-files.ts). */
export function checkAppPaths(v: PathKeys, root: string, issue: Report): void {
  const at = (p: string): string => path.resolve(root, p)
  const checks: [keyof PathKeys, string, (abs: string) => void][] = [
    ['CHART_DIR', v.CHART_DIR, checkChart],
    ['FRONTEND_DIR', v.FRONTEND_DIR, checkNextApp],
    ['BACKEND_DIR', v.BACKEND_DIR, checkPythonApp],
    ['FRONTEND_DOCKERFILE', v.FRONTEND_DOCKERFILE, (a) => checkPath(a, 'file')],
    ['BACKEND_DOCKERFILE', v.BACKEND_DOCKERFILE, (a) => checkPath(a, 'file')],
  ]
  for (const [key, p, check] of checks) {
    try {
      check(at(p))
    } catch (e) {
      issue(key, e)
    }
  }
}
