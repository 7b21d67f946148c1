// Checks on the chart's own files, no helm needed: what a reviewer relies on when reading them.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chartFile } from './helm.ts'

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
