// Checks on the chart's own files, no helm needed: what a reviewer relies on when reading them.
import { readFileSync } from 'node:fs'
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
