// The oldest Kubernetes the kit deploys to, read from where Helm reads it (the chart's kubeVersion), so setup's check,
// the chart and README cannot drift apart.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

/** "1.30" from Chart.yaml's `kubeVersion: ">=1.30.0-0"`; null when the chart states no minimum */
export function chartMinimum(chartDir: string): string | null {
  let chart: { kubeVersion?: unknown }
  try {
    chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { kubeVersion?: unknown }
  } catch {
    return null // the chart's own checks (deploy's lint) name a missing or broken Chart.yaml
  }
  const m = /^\s*>=?\s*v?(\d+)\.(\d+)/.exec(String(chart?.kubeVersion ?? ''))
  return m ? `${m[1]}.${m[2]}` : null
}

/** major.minor of "v1.35.1", "1.29.4+k3s1", "v1.30.2-eks-1a2b"; null for stable, latest or anything else */
const minorOf = (version: string): [number, number] | null => {
  const m = /^v?(\d+)\.(\d+)(\.|$)/.exec(version.trim())
  return m ? [Number(m[1]), Number(m[2])] : null
}

/** true only when both are versions and `version` is older than `minimum` (major.minor) */
export function olderThan(version: string, minimum: string): boolean {
  const [v, min] = [minorOf(version), minorOf(minimum)]
  if (!v || !min) return false
  return v[0] < min[0] || (v[0] === min[0] && v[1] < min[1])
}
