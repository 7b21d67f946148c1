// Adds up the per-runner counts in a CI log (vitest projects and pytest) into one closing line.
import { readFileSync } from 'node:fs'

const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
let passed = 0
let failed = 0
for (const line of text.split('\n')) {
  const vitest = line.match(/^\s*Tests\s+(.*)\(\d+\)\s*$/)
  const pytest = line.match(/^=+ (.*) in [\d.]+s.* =+$/)
  const counts = vitest?.[1] ?? pytest?.[1]
  if (!counts) continue
  passed += Number(counts.match(/(\d+) passed/)?.[1] ?? 0)
  failed += Number(counts.match(/(\d+) failed/)?.[1] ?? 0)
}
console.log(`Summary: ${passed} passed, ${failed} failed`)
