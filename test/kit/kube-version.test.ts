// The oldest Kubernetes the kit deploys to is stated once, in the chart's kubeVersion (Helm enforces it); setup reads
// it from there, and the READMEs must say the same.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { chartMinimum, olderThan } from '../../scripts/lib/kube-version.ts'
import { root } from './harness.ts'

const chartDir = path.join(root, 'helm', 'todo-chatbot')

describe('the minimum Kubernetes', () => {
  it("is read from the chart's kubeVersion, and both READMEs state the same", () => {
    const min = chartMinimum(chartDir)
    expect(min).toMatch(/^1\.\d+$/)
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toMatch(
      new RegExp(`\\| Kubernetes \\(minikube's or yours\\) \\| ${min!.replace('.', '\\.')} \\|`),
    )
    expect(readFileSync(path.join(chartDir, 'README.md'), 'utf8')).toContain(`Kubernetes ${min}`)
  })

  it('compares major.minor of the versions clusters report, and never refuses what it cannot read', () => {
    expect(olderThan('v1.29.15+k3s1', '1.30')).toBe(true)
    expect(olderThan('v1.30.2-eks-1a2b3c', '1.30')).toBe(false)
    expect(olderThan('1.35.1', '1.30')).toBe(false)
    expect(olderThan('v2.0.0', '1.30')).toBe(false)
    expect(olderThan('v0.99.0', '1.30')).toBe(true)
    for (const unknown of ['stable', 'latest', '', 'v1', 'garbage']) expect(olderThan(unknown, '1.30')).toBe(false)
  })
})
