// The project's paths: where the root is, how a path is shown, and that the configured sources and chart exist.
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { PYTHON_MARKERS, isPythonApp } from './app/detect-backend.ts'
import { Invalid, type Report } from './value-rules.ts'

export const repoRoot = path.resolve(import.meta.dirname, '..', '..')

/** A path as the kit shows it: relative to `root` when inside it (with / on every OS), else as it is. */
export function relPath(root: string, p: string): string {
  const r = path.relative(root, p)
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r.split(path.sep).join('/') : p
}

function checkPath(abs: string, kind: 'dir' | 'file'): void {
  const st = existsSync(abs) ? statSync(abs) : null
  if (!st || (kind === 'dir' ? !st.isDirectory() : !st.isFile())) {
    throw new Invalid(`an existing ${kind === 'dir' ? 'directory' : 'file'} (looked for ${abs})`)
  }
}

// A mistyped FRONTEND_DIR=../../../etc would otherwise build and ship whatever is there.
function checkNextApp(abs: string): void {
  checkPath(abs, 'dir')
  const pkg = path.join(abs, 'package.json')
  if (!existsSync(pkg)) throw new Invalid(`a Next.js app directory (missing ${pkg})`)
  let deps: Record<string, unknown> = {}
  try {
    type Manifest = { dependencies?: Record<string, unknown>; devDependencies?: Record<string, unknown> }
    const p = JSON.parse(readFileSync(pkg, 'utf8')) as Manifest
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
  HELM_VALUES_FILES: string[]
}

/** The rules across keys: the chart, a Next.js and a Python app, both Dockerfiles and every values file exist. */
export function checkAppPaths(v: PathKeys, root: string, issue: Report): void {
  const at = (p: string): string => path.resolve(root, p)
  const checks: [keyof PathKeys, string, (abs: string) => void][] = [
    ['CHART_DIR', v.CHART_DIR, (a) => checkPath(a, 'dir')],
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
  for (const f of v.HELM_VALUES_FILES) {
    try {
      checkPath(at(f), 'file')
    } catch (e) {
      issue('HELM_VALUES_FILES', e instanceof Invalid ? new Invalid(e.message, f) : e)
    }
  }
}
