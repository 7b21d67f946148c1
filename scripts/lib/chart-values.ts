// A value of the chart as helm will see it without the kit's own --set values: the chart's values.yaml, overridden
// by each HELM_VALUES_FILES file in turn (maps merge, anything else, lists included, is replaced whole).
import { readTextFile } from './safe-read.ts'
import path from 'node:path'
import YAML from 'yaml'
import type { Config } from './config.ts'

export function chartValue(cfg: Config, keys: string[]): unknown {
  let found: unknown
  for (const f of [path.join(cfg.chartDir, 'values.yaml'), ...cfg.helmValuesFiles]) {
    let cur: unknown
    try {
      cur = YAML.parse(readTextFile(f))
    } catch {
      continue // helm itself reports a values file it cannot read
    }
    for (const k of keys)
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined
    if (cur !== undefined) found = cur
  }
  return found
}
