// Checks on the chart's own files, no helm needed: what a reviewer relies on when reading them.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { chartFile, KUBE_VERSIONS } from './helm.ts'

const read = (name: string) => readFileSync(chartFile(name), 'utf8')

describe('templates', () => {
  // Two object files instead of one generated Deployment, so each reads as a Deployment; this keeps them twins.
  it('the backend Deployment file is the frontend one with the component renamed', () => {
    const frontend = read('templates/frontend-deployment.yaml')
    expect(frontend).toContain('include "todo-chatbot.pod" (dict "ctx" . "component" "frontend")')
    expect(read('templates/backend-deployment.yaml')).toBe(frontend.replaceAll('frontend', 'backend'))
  })
})

describe('messages', () => {
  // The chart is installed by hand and by other tools too: a failure names the value to set, not a tool of this repository.
  it('every required/fail message is chart-neutral', () => {
    const templates = readdirSync(chartFile('templates'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(yaml|tpl|txt)$/.test(f))
    const messages = templates.flatMap((f) => [...read(`templates/${f}`).matchAll(/\b(?:required|fail) "([^"]*)"/g)].map((m) => m[1]!))
    expect(messages.length).toBeGreaterThanOrEqual(7)
    for (const m of messages) expect(m).not.toMatch(/\bkit\b|\bnpm\b|\bnpx\b|scripts\//)
  })
})

describe('Kubernetes minimum', () => {
  const kubeVersion = (parse(read('Chart.yaml')) as { kubeVersion: string }).kubeVersion
  const minimum = /^>=(\d+\.\d+)\.0-0$/.exec(kubeVersion)?.[1]

  it('Chart.yaml kubeVersion, the chart README and the oldest version the tests validate against agree', () => {
    expect(kubeVersion, 'kubeVersion is a plain lower bound, e.g. ">=1.30.0-0" (-0 admits pre-release builds)').toMatch(/^>=\d+\.\d+\.0-0$/)
    const stated = [...read('README.md').matchAll(/Kubernetes (\d+\.\d+)\+/g)].map((m) => m[1])
    expect(stated.length, 'the chart README states the minimum as "Kubernetes <major.minor>+"').toBeGreaterThan(0)
    for (const v of stated) expect(v).toBe(minimum)
    expect(KUBE_VERSIONS[0].startsWith(`${minimum}.`)).toBe(true)
  })
})
