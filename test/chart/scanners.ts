// Runs the standard manifest scanners (kube-score, checkov) on rendered chart files and compares their findings with
// the chart's exceptions file (helm/todo-chatbot/ci/scanner-exceptions.yaml). Each values file is rendered into its
// own namespace (todo-default, todo-dev, ...), so one scanner invocation covers all of them and every finding still
// says which values file it came from: kube-score merges objects of the same kind, namespace and name.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

export type Finding = {
  scanner: 'kube-score' | 'checkov'
  /** kube-score test id or checkov check id */
  check: string
  /** Kind/name */
  object: string
  /** the render it was found in: the namespace minus the `todo-` prefix (default, dev, prod, ...) */
  values: string
  message: string
}

export type Exception = {
  scanner: Finding['scanner']
  check: string
  object: string
  values?: string[]
  reason: string
}

const valuesOf = (namespace: string | undefined) => (namespace ?? '').replace(/^todo-/, '')

type KubeScoreObject = {
  type_meta: { kind: string }
  object_meta: { name: string; namespace?: string }
  checks: {
    check: { id: string; name: string }
    grade: number
    skipped: boolean
    comments: { path: string; summary: string }[] | null
  }[]
}

/**
 * kube-score over all files at once; a finding is every check graded below "all OK" (warnings included).
 * Also counts the objects it scored per render, to prove it saw every file.
 */
export function kubeScore(bin: string, files: string[]): { findings: Finding[]; objects: Map<string, number> } {
  const r = spawnSync(bin, ['score', '--output-format', 'json', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.error) throw r.error
  let parsed: KubeScoreObject[]
  try {
    parsed = JSON.parse(r.stdout) as KubeScoreObject[]
  } catch {
    throw new Error(`kube-score printed no JSON (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr}`)
  }
  const findings: Finding[] = []
  const objects = new Map<string, number>()
  for (const o of parsed) {
    const values = valuesOf(o.object_meta.namespace)
    objects.set(values, (objects.get(values) ?? 0) + 1)
    for (const c of o.checks) {
      if (c.skipped || c.grade >= 10) continue
      const detail = (c.comments ?? []).map((x) => (x.path ? `(${x.path}) ${x.summary}` : x.summary))
      findings.push({
        scanner: 'kube-score',
        check: c.check.id,
        object: `${o.type_meta.kind}/${o.object_meta.name}`,
        values,
        message: `${c.check.name}: ${[...new Set(detail)].join('; ')}`,
      })
    }
  }
  return { findings, objects }
}

type CheckovReport = {
  check_type: string
  results: {
    failed_checks: { check_id: string; check_name: string; resource: string }[]
    passed_checks: { resource: string }[]
  }
  summary: { parsing_errors: number; resource_count: number }
}

/**
 * checkov's Kubernetes checks over one directory of rendered files (one Python start-up). Resources are named
 * `Kind.namespace.name`. Offline: no platform key, no policy download.
 */
export function checkov(
  bin: string,
  dir: string,
): { findings: Finding[]; resources: Map<string, number>; parsingErrors: number } {
  const r = spawnSync(
    bin,
    ['--directory', dir, '--framework', 'kubernetes', '--output', 'json', '--skip-download', '--compact'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, BC_API_KEY: '', PYTHONWARNINGS: 'ignore' },
    },
  )
  if (r.error) throw r.error
  let parsed: CheckovReport | CheckovReport[]
  try {
    parsed = JSON.parse(r.stdout) as CheckovReport | CheckovReport[]
  } catch {
    throw new Error(`checkov printed no JSON (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`)
  }
  const reports = (Array.isArray(parsed) ? parsed : [parsed]).filter((x) => x.check_type === 'kubernetes')
  if (reports.length === 0)
    throw new Error(
      `checkov reported no kubernetes results (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`,
    )
  const split = (resource: string) => {
    const [kind, namespace, ...name] = resource.split('.')
    return { object: `${kind}/${name.join('.')}`, values: valuesOf(namespace) }
  }
  const findings: Finding[] = []
  const resources = new Map<string, number>()
  const seen = new Set<string>()
  let parsingErrors = 0
  for (const rep of reports) {
    parsingErrors += rep.summary.parsing_errors
    for (const f of rep.results.failed_checks)
      findings.push({ scanner: 'checkov', check: f.check_id, ...split(f.resource), message: f.check_name })
    for (const f of [...rep.results.failed_checks, ...(rep.results.passed_checks ?? [])]) {
      if (seen.has(f.resource)) continue
      seen.add(f.resource)
      const v = split(f.resource).values
      resources.set(v, (resources.get(v) ?? 0) + 1)
    }
  }
  return { findings, resources, parsingErrors }
}

export function loadExceptions(file: string): Exception[] {
  const doc = parse(readFileSync(file, 'utf8')) as { exceptions?: Exception[] }
  return doc?.exceptions ?? []
}

export const covers = (e: Exception, f: Finding) =>
  e.scanner === f.scanner && e.check === f.check && e.object === f.object && (!e.values || e.values.includes(f.values))

export const show = (f: Finding) => `${f.scanner} ${f.check} ${f.object} [values: ${f.values}]: ${f.message}`
