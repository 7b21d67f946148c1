// Small apps for init's tests: a throwaway directory with the given files, and the context init plans in.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { PlanContext } from '../../scripts/lib/app/plan.ts'

/** a throwaway app dir with the given files */
export function tree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-app-'))
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
    writeFileSync(path.join(dir, f), text)
  }
  return dir
}

/** what init plans with: a public URL, the Secret's name, the release, the default base images */
export const planContext: PlanContext = {
  publicUrl: 'https://todo.example.com',
  secretName: 'my-secrets',
  release: 'todo',
  pythonImage: 'python:3.13-slim',
  nodeImage: 'node:24-slim',
}
