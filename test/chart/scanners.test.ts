// The standard manifest scanners on the chart as shipped: kube-score and checkov (pinned, installed by
// `npm run test:setup`, see test/support/scanners.ts) over the default, dev and prod renders. Zero findings outside
// helm/todo-chatbot/ci/scanner-exceptions.yaml, and no entry there that matches nothing. A deliberately weakened
// render (the "canary") proves that both scanners run, parse and catch what the chart guards against.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkov as checkovBin, CHECKOV, KUBE_SCORE, kubeScore as kubeScoreBin } from '../support/scanners.ts'
import { layerV35 } from '../support/k8s-tools.ts'
import { chartFile, TAGS, template } from './helm.ts'
import { checkov, covers, kubeScore, loadExceptions, show, type Exception, type Finding } from './scanners.ts'

const helm = { label: 'helm 4.1', bin: layerV35().helm }
const EXCEPTIONS = chartFile('ci/scanner-exceptions.yaml')
const RENDERS: { values: string; files: string[] }[] = [
  { values: 'default', files: [] },
  { values: 'dev', files: ['values-dev.yaml'] },
  { values: 'prod', files: ['values-prod.yaml'] },
]
// The canary: the prod render with a writable root filesystem and privilege escalation (values), then without
// ephemeral-storage resources (edited out of the output: the schema refuses to render without them).
const CANARY_SET = [
  'containerSecurityContext.readOnlyRootFilesystem=false',
  'containerSecurityContext.allowPrivilegeEscalation=true',
]

const dir = mkdtempSync(path.join(tmpdir(), 'chart-scan-'))
const files: string[] = []
const results = {
  kubeScore: [] as Finding[],
  checkov: [] as Finding[],
  counted: { kubeScore: new Map<string, number>(), checkov: new Map<string, number>() },
  parsingErrors: 0,
}
let setupError: unknown
const timings: string[] = []

const attempt = <T>(f: () => T): { value?: T; error?: unknown } => {
  try {
    return { value: f() }
  } catch (error) {
    return { error }
  }
}
// Resolved up front: a missing scanner fails the tests below with the command that installs it (never a skip).
const ks = attempt(kubeScoreBin)
const ck = attempt(checkovBin)

beforeAll(() => {
  try {
    for (const r of RENDERS) {
      const out = template(helm, { values: r.files, set: TAGS, args: ['--namespace', `todo-${r.values}`] })
      if (out.status !== 0) throw new Error(`helm template (${r.values}) failed:\n${out.stderr}`)
      const file = path.join(dir, `${r.values}.yaml`)
      writeFileSync(file, out.stdout)
      files.push(file)
    }
    const canary = template(helm, {
      values: ['values-prod.yaml'],
      set: [...TAGS, ...CANARY_SET],
      args: ['--namespace', 'todo-canary'],
    })
    if (canary.status !== 0) throw new Error(`helm template (canary) failed:\n${canary.stderr}`)
    const canaryFile = path.join(dir, 'canary.yaml')
    writeFileSync(canaryFile, canary.stdout.replace(/^\s*ephemeral-storage: .*\n/gm, ''))
    files.push(canaryFile)
    // each scanner on its own: one that is missing fails its own tests only
    if (ks.value) {
      const t = Date.now()
      const k = kubeScore(ks.value, files)
      timings.push(`kube-score ${Date.now() - t} ms`)
      results.kubeScore = k.findings
      results.counted.kubeScore = k.objects
    }
    if (ck.value) {
      const t = Date.now()
      const c = checkov(ck.value, dir)
      timings.push(`checkov ${Date.now() - t} ms`)
      results.checkov = c.findings
      results.counted.checkov = c.resources
      results.parsingErrors = c.parsingErrors
    }
    console.log(`scanners: ${timings.join(', ')} for ${files.length} renders`)
  } catch (err) {
    setupError = err
  }
}, 300_000)

const need = (tool: { error?: unknown }) => {
  if (tool.error) throw tool.error
  if (setupError) throw setupError
}
const shipped = (fs: Finding[]) => fs.filter((f) => f.values !== 'canary')

describe('the exceptions file', () => {
  const list = loadExceptions(EXCEPTIONS)

  it('lists each scanner, check and object once, with a one-line reason', () => {
    expect(list.length).toBeGreaterThan(0)
    const keys = new Set<string>()
    for (const e of list) {
      expect(['kube-score', 'checkov'], JSON.stringify(e)).toContain(e.scanner)
      expect(e.check, JSON.stringify(e)).toMatch(/^(CKV2?_K8S_\d+|[a-z0-9-]+)$/)
      expect(e.object, JSON.stringify(e)).toMatch(/^[A-Za-z]+\/todo(-[a-z0-9-]+)?$/)
      expect(typeof e.reason === 'string' && e.reason.length >= 20 && !e.reason.includes('\n'), JSON.stringify(e)).toBe(
        true,
      )
      for (const v of e.values ?? []) expect(RENDERS.map((r) => r.values)).toContain(v)
      const key = `${e.scanner} ${e.check} ${e.object}`
      expect(keys.has(key), `listed twice: ${key}`).toBe(false)
      keys.add(key)
    }
    // the file explains itself: a comment before the list
    expect(readFileSync(EXCEPTIONS, 'utf8')).toMatch(/^# /)
  })
})

describe.each([
  { scanner: 'kube-score' as const, version: KUBE_SCORE.version, tool: ks },
  { scanner: 'checkov' as const, version: CHECKOV.version, tool: ck },
])('$scanner $version on the default, dev and prod renders', ({ scanner, tool }) => {
  const exceptions = () => loadExceptions(EXCEPTIONS).filter((e) => e.scanner === scanner)
  const findings = () => shipped(scanner === 'kube-score' ? results.kubeScore : results.checkov)

  it('scanned every object of every render', () => {
    need(tool)
    const counted = scanner === 'kube-score' ? results.counted.kubeScore : results.counted.checkov
    for (const r of RENDERS)
      expect(counted.get(r.values) ?? 0, `${scanner} objects in the ${r.values} render`).toBeGreaterThan(15)
    if (scanner === 'checkov') expect(results.parsingErrors).toBe(0)
  })

  it('finds nothing outside the exceptions file', () => {
    need(tool)
    const list = exceptions()
    const unexpected = findings().filter((f) => !list.some((e) => covers(e, f)))
    expect(unexpected.map(show)).toEqual([])
  })

  it('every exception still matches a finding (the list cannot rot)', () => {
    need(tool)
    const all = findings()
    const stale = exceptions().filter((e: Exception) => !all.some((f) => covers(e, f)))
    expect(
      stale.map((e) => `${e.scanner} ${e.check} ${e.object}${e.values ? ` [values: ${e.values.join(', ')}]` : ''}`),
    ).toEqual([])
  })

  it('catches a weakened chart (the canary render)', () => {
    need(tool)
    const canary = (scanner === 'kube-score' ? results.kubeScore : results.checkov).filter((f) => f.values === 'canary')
    const hit = (check: string, object: string) => canary.some((f) => f.check === check && f.object === object)
    if (scanner === 'kube-score') {
      expect(hit('container-security-context-readonlyrootfilesystem', 'Deployment/todo-frontend')).toBe(true)
      expect(hit('container-ephemeral-storage-request-and-limit', 'Deployment/todo-backend')).toBe(true)
      expect(hit('container-ephemeral-storage-request-and-limit', 'StatefulSet/todo-postgresql')).toBe(true)
    } else {
      expect(hit('CKV_K8S_22', 'Deployment/todo-frontend')).toBe(true) // readOnlyRootFilesystem
      expect(hit('CKV_K8S_20', 'Deployment/todo-backend')).toBe(true) // allowPrivilegeEscalation
    }
  })
})
