// The manifest scanners the chart suite runs on the rendered chart: kube-score (built with Go from the module proxy)
// and checkov (pip, in a private virtualenv). `npm run test:setup` installs both at the pinned versions below into the
// same cache as helm and kubectl (./fetch-scanners.ts); this module only reads that cache, and says how to fill it.
//
// kube-linter is not among them: its module (golang.stackrox.io/kube-linter) is not served by the Go module proxy this
// project builds from (every pinned version is refused), and it ships no package on npm or PyPI.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { cacheRoot } from './k8s-tools.ts'

export const KUBE_SCORE = {
  module: 'github.com/zegl/kube-score',
  pkg: 'github.com/zegl/kube-score/cmd/kube-score',
  version: 'v1.20.0',
}
export const CHECKOV = { pkg: 'checkov', version: '3.3.30' }

/** Written last by the installer: a directory without it is a half-finished install. */
export const MARKER = '.installed'

export type Scanner = { name: string; version: string; dir: string; bin: string }

export function kubeScorePaths(): Scanner {
  const dir = path.join(cacheRoot(), `kube-score@${KUBE_SCORE.version}`)
  return { name: 'kube-score', version: KUBE_SCORE.version, dir, bin: path.join(dir, 'kube-score') }
}

export function checkovPaths(): Scanner {
  // a virtualenv is not relocatable: it is made in place, and the marker says it is complete
  const dir = path.join(cacheRoot(), `checkov@${CHECKOV.version}`)
  return { name: 'checkov', version: CHECKOV.version, dir, bin: path.join(dir, 'venv', 'bin', 'checkov') }
}

export const installed = (s: Scanner): boolean =>
  existsSync(s.bin) &&
  existsSync(path.join(s.dir, MARKER)) &&
  readFileSync(path.join(s.dir, MARKER), 'utf8').trim() === s.version

function ready(s: Scanner): string {
  if (!installed(s))
    throw new Error(`${s.name} ${s.version} for the chart suite is not in ${s.dir}: run: npm run test:setup`)
  return s.bin
}

/** Path of the kube-score binary; throws with the command that installs it when it is missing. */
export const kubeScore = (): string => ready(kubeScorePaths())
/** Path of the checkov entry point; throws with the command that installs it when it is missing. */
export const checkov = (): string => ready(checkovPaths())
