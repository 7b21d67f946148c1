// Checks on the chart's own files, no helm needed: what a reviewer relies on when reading them.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { valueRows, valuesTable, withValuesTable } from '../../scripts/gen-chart-docs.ts'
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
  // The chart is installed by hand and by other tools too: a failure names the value to set, not a tool of this repo.
  it('every required/fail message is chart-neutral', () => {
    const templates = readdirSync(chartFile('templates'), { recursive: true, encoding: 'utf8' })
    const messages = templates
      .filter((f) => /\.(yaml|tpl|txt)$/.test(f))
      .flatMap((f) => [...read(`templates/${f}`).matchAll(/\b(?:required|fail) "([^"]*)"/g)].map((m) => m[1]!))
    expect(messages.length).toBeGreaterThanOrEqual(7)
    for (const m of messages) expect(m).not.toMatch(/\bkit\b|\bnpm\b|\bnpx\b|scripts\//)
  })
})

describe('Kubernetes minimum', () => {
  const kubeVersion = (parse(read('Chart.yaml')) as { kubeVersion: string }).kubeVersion
  const minimum = /^>=(\d+\.\d+)\.0-0$/.exec(kubeVersion)?.[1]

  it('Chart.yaml kubeVersion, the chart README and the oldest version the tests validate against agree', () => {
    // a plain lower bound; -0 admits the pre-release builds some providers report
    expect(kubeVersion).toMatch(/^>=\d+\.\d+\.0-0$/)
    const stated = [...read('README.md').matchAll(/Kubernetes (\d+\.\d+)\+/g)].map((m) => m[1])
    expect(stated.length, 'the chart README states the minimum as "Kubernetes <major.minor>+"').toBeGreaterThan(0)
    for (const v of stated) expect(v).toBe(minimum)
    expect(KUBE_VERSIONS[0].startsWith(`${minimum}.`)).toBe(true)
  })
})

describe('values documentation (npm run gen:chart-docs)', () => {
  const values = read('values.yaml')

  it('every value of values.yaml has a # -- comment (itself or a map above it)', () => {
    expect(valueRows(values).undocumented).toEqual([])
  })

  it("the chart README's values table is the one generated from values.yaml", () => {
    const readme = read('README.md')
    const stale = 'helm/todo-chatbot/README.md is out of date: npm run gen:chart-docs'
    expect(withValuesTable(readme, values) === readme, stale).toBe(true)
    // a changed default is a changed table
    expect(withValuesTable(readme, values.replace('replicaCount: 1', 'replicaCount: 3'))).not.toBe(readme)
  })

  it('reads # -- comments the way helm-docs does', () => {
    const { rows, undocumented } = valueRows(
      [
        '# A file comment, not a description.',
        '',
        '# A section comment.',
        '# -- Name of the thing, with a | pipe and <placeholder>',
        '# and a second line in `<code>`.',
        'name: ""',
        'app:',
        '  # -- (int) Port; null picks one.',
        '  port: null',
        '  # -- Requests and limits: one row for the whole map.',
        '  resources:',
        '    limits: { cpu: 1 }',
        '  # -- A documented map whose documented key gets a row too.',
        '  egress:',
        '    # -- Ports.',
        '    ports: [443]',
        '    cidrs: []',
        '  # -- Detached by a blank line.',
        '',
        '  debug: false',
        '  nested:',
        '    empty: {}',
      ].join('\n'),
    )
    expect(rows.map((r) => [r.key, r.type, r.default])).toEqual([
      ['name', 'string', ''],
      ['app.port', 'int', null],
      ['app.resources', 'object', { limits: { cpu: 1 } }],
      ['app.egress', 'object', { ports: [443], cidrs: [] }],
      ['app.egress.ports', 'list', [443]],
    ])
    const description = 'Name of the thing, with a | pipe and <placeholder> and a second line in `<code>`.'
    expect(rows[0]!.description).toBe(description)
    expect(undocumented).toEqual(['app.debug', 'app.nested.empty'])
    expect(valuesTable(rows.slice(0, 2))).toBe(
      [
        '| key | type | default | description |',
        '| --- | --- | --- | --- |',
        '| `name` | string | `""` | Name of the thing, with a \\| pipe and &lt;placeholder> and a second line in ' +
          '`<code>`. |',
        '| `app.port` | int | `null` | Port; null picks one. |',
      ].join('\n'),
    )
    expect(() => withValuesTable('no markers', 'a: 1')).toThrow(/no "# --" comment above a/)
  })
})
