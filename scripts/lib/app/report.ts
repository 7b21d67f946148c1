// init's report as text lines: what it decided and from which file:line, what it could not decide with the key to
// set, and what needs support the chart, the kit or the images lack. Pure.
import type { Component, Plan } from './plan.ts'
import type { Evidence } from './source.ts'

export function evidenceList(from: Evidence[], label: string): string {
  const seen = [...new Set(from.map((e) => `${label ? `${label}/` : ''}${e.file}:${e.line}`))]
  return seen.length > 3 ? `${seen.slice(0, 3).join(', ')} and ${seen.length - 3} more` : seen.join(', ')
}

export function reportLines(plan: Plan, labels: Record<Component, string>): string[] {
  const at = (c: Component, from: Evidence[]): string => (from.length ? `  (${evidenceList(from, labels[c])})` : '')
  const out: string[] = ['Decided:']
  for (const s of plan.settings) out.push(`  ${s.component.padEnd(8)} ${s.what}: ${s.value}  → ${s.to}${at(s.component, s.from)}`)
  if (plan.open.length) {
    out.push('', 'Could not decide (set the key to choose):')
    for (const o of plan.open) out.push(`  ${o.component.padEnd(8)} ${o.what}; ${o.used === null ? 'left unset' : `using ${o.used}`} → set ${o.key}${at(o.component, o.from)}`)
  }
  if (plan.support.length) {
    out.push('', 'Needs support the kit does not have yet (init wrote nothing for these):')
    for (const s of plan.support) out.push(`  ${s.component.padEnd(8)} needs ${s.needs} support: ${s.what}${at(s.component, s.from)}`)
  }
  if (plan.notes.length) {
    out.push('', 'Notes:')
    for (const n of plan.notes) out.push(`  ${n.component.padEnd(8)} ${n.text}${at(n.component, n.from)}`)
  }
  return out
}
