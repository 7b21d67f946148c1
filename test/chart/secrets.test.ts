// Secret values appear only inside Secret objects: never in ConfigMaps, env literals, annotations,
// hooks, tests or NOTES, and never in the shipped values files.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { chartFile, helms, TAGS, template } from './helm.ts'

const SENTINELS = {
  betterAuthSecret: 'SENTINELauthSECRET0123456789abcdefXYZ',
  postgresPassword: 'SENTINELpgPW0123456789',
  openaiApiKey: 'sk-SENTINELopenaiKEY0123456789',
  databaseUrl: 'postgresql://neon:SENTINELdbPW42@ep-x.example.com:5432/todo?sslmode=require',
}
const forms = (v: string) => [v, Buffer.from(v).toString('base64')]

describe.each(helms())('$label', (helm) => {
  it.each([
    ['in-cluster database', ['postgresql.enabled=true'], ['betterAuthSecret', 'postgresPassword', 'openaiApiKey']],
    ['external database', ['postgresql.enabled=false'], ['betterAuthSecret', 'databaseUrl', 'openaiApiKey']],
  ] as const)('chart-made Secret (%s): values only inside the Secret', (_name, mode, keys) => {
    const set = [...TAGS, ...mode, 'secrets.create=true', ...keys.map((k) => `secrets.${k}=${SENTINELS[k]}`)]
    const r = template(helm, {
      set: set.filter((s) => !s.startsWith('secrets.databaseUrl')),
      args: ['--set-string', `secrets.databaseUrl=${SENTINELS.databaseUrl}`],
    })
    expect(r.stderr).toBe('')
    const secrets = r.objects.filter((o) => o.kind === 'Secret')
    expect(secrets.map((s) => s.metadata.name)).toEqual(['todo-secrets'])
    const decoded = Object.fromEntries(
      Object.entries(secrets[0]!.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    )
    expect(decoded.BETTER_AUTH_SECRET).toBe(SENTINELS.betterAuthSecret)
    expect(decoded.OPENAI_API_KEY).toBe(SENTINELS.openaiApiKey)
    if (keys.includes('databaseUrl' as never)) expect(decoded.DATABASE_URL).toBe(SENTINELS.databaseUrl)
    else expect(decoded.POSTGRES_PASSWORD).toBe(SENTINELS.postgresPassword)

    const rest = stringify(r.objects.filter((o) => o.kind !== 'Secret'))
    for (const k of keys) for (const f of forms(SENTINELS[k])) expect(rest).not.toContain(f)
    // The raw output too (comments, hooks, tests): each value occurs in the Secret document only.
    const docs = r.stdout.split(/^---$/m)
    for (const k of keys)
      for (const doc of docs.filter((d) => forms(SENTINELS[k]).some((f) => d.includes(f))))
        expect(doc).toMatch(/^kind: Secret$/m)
  })

  it('existing Secret: nothing secret is rendered, every secret env var is a secretKeyRef', () => {
    const r = template(helm, { set: TAGS })
    expect(r.objects.filter((o) => o.kind === 'Secret')).toEqual([])
    const text = stringify(r.objects)
    expect(text).not.toMatch(/BETTER_AUTH_SECRET:\s*\S/)
    for (const cm of r.objects.filter((o) => o.kind === 'ConfigMap'))
      for (const k of Object.keys(cm.data ?? {})) expect(k).not.toMatch(/PASSWORD|SECRET|API_KEY|DATABASE_URL/)
  })
})

describe('shipped values files', () => {
  it.each(['values.yaml', 'values-dev.yaml', 'values-prod.yaml', 'ci/default-values.yaml'])(
    '%s carries no secret',
    (file) => {
      const values = parse(readFileSync(chartFile(file), 'utf8')) ?? {}
      for (const v of Object.values(values.secrets ?? {})) expect(v === false || v === true || v === '').toBe(true)
      expect(JSON.stringify(values)).not.toMatch(/sk-[A-Za-z0-9]{8,}|postgres(ql)?:\/\/[^"]*:[^"@]+@/)
    },
  )
})
