// Where the frontend and the backend are inside an app repository: a directory whose package.json depends on next,
// and a directory with Python project files and a FastAPI app. The repository root counts too.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { asgiApps, isPythonApp } from './detect-backend.ts'
import { isNextApp } from './detect-frontend.ts'

const SKIP = new Set(['node_modules', '.next', '.venv', 'venv', '__pycache__', '.git', 'dist', 'build', 'out', 'coverage', 'tests', 'test', 'e2e'])
const MAX_DEPTH = 3

export function findApps(root: string): { frontends: string[]; backends: string[] } {
  const frontends: string[] = []
  // each backend candidate with the FastAPI apps found under it (read once: it scans every .py file below)
  const backends = new Map<string, ReturnType<typeof asgiApps>>()
  const visit = (dir: string, depth: number): void => {
    if (isNextApp(dir)) frontends.push(dir)
    // a FastAPI app, not just any Python project (a scripts/ folder with a requirements.txt)
    else if (isPythonApp(dir)) {
      const apps = asgiApps(dir)
      if (apps.length) backends.set(dir, apps)
    }
    if (depth >= MAX_DEPTH) return
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name)))
      if (e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith('.')) visit(path.join(dir, e.name), depth + 1)
  }
  visit(root, 0)
  const dirs = [...backends.keys()]
  return { frontends, backends: dirs.filter((dir) => !onlyHoldsOthers(dir, backends.get(dir)!, dirs)) }
}

/**
 * A directory (often the repository root, with a pyproject.toml of its own) whose every FastAPI app lies inside another
 * candidate below it is not a backend of its own: the nested one is.
 */
function onlyHoldsOthers(dir: string, apps: ReturnType<typeof asgiApps>, candidates: string[]): boolean {
  const nested = candidates.filter((c) => c !== dir && c.startsWith(dir + path.sep))
  if (!nested.length) return false
  return apps.every((app) =>
    app.from.every((e) => nested.some((c) => path.join(dir, e.file).startsWith(c + path.sep))),
  )
}
