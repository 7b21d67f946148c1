// Loading a configuration from a throwaway .env in the config tests, and catching the one error they expect.
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig, type Config } from '../../scripts/lib/config.ts'
import { ConfigError } from '../../scripts/lib/errors.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kit-config-'))

/** a .env with this text (in a fresh temp file) and this environment; paths unchecked; a HOME with no minikube profile */
export function configFrom(fileText: string, env: Record<string, string> = {}): Config {
  const f = path.join(tmp, `${Math.random().toString(36).slice(2)}.env`)
  writeFileSync(f, fileText)
  return loadConfig({ env: { HOME: tmp, ...env }, envFile: f, checkPaths: false })
}

export function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('no ConfigError')
}
