// values.schema.json and the templates' `required` checks reject bad values before anything reaches a
// cluster: wrong types, unknown keys, missing or unusable image tags, incomplete chart-made Secrets.
import { describe, expect, it } from 'vitest'
import { helms, TAGS, template } from './helm.ts'

const path = (dotted: string) => new RegExp(dotted.split('.').map((p) => p.replace(/[-]/g, '\\$&')).join('[./]'))

const BAD: { name: string; set?: string[]; setJson?: string[]; error: RegExp }[] = [
  { name: 'no image tags at all', set: [], error: path('frontend.image.tag') },
  { name: 'empty backend tag', set: [TAGS[0], 'backend.image.tag='], error: path('backend.image.tag') },
  { name: 'latest tag', set: [TAGS[1], 'frontend.image.tag=latest'], error: path('frontend.image.tag') },
  { name: 'replicaCount as a word', set: [...TAGS, 'frontend.replicaCount=two'], error: path('frontend.replicaCount') },
  { name: 'boolean as a string', setJson: ['ingress.enabled="yes"'], error: path('ingress.enabled') },
  { name: 'port out of range', set: [...TAGS, 'backend.containerPort=70000'], error: path('backend.containerPort') },
  { name: 'unknown top-level key', set: [...TAGS, 'replicas=2'], error: /replicas/ },
  { name: 'unknown nested key (typo)', set: [...TAGS, 'postgresql.persistence.sise=5Gi'], error: /sise/ },
  { name: 'unknown image key', set: [...TAGS, 'backend.image.digest=sha256:00'], error: /digest/ },
  { name: 'unknown pull policy', set: [...TAGS, 'frontend.image.pullPolicy=Sometimes'], error: path('frontend.image.pullPolicy') },
  { name: 'not a quantity', set: [...TAGS, 'backend.resources.requests.cpu=lots'], error: path('backend.resources.requests.cpu') },
  {
    name: 'resources without limits',
    set: [...TAGS, 'frontend.resources.limits=null'],
    error: /limits/,
  },
  { name: 'public URL without scheme', set: [...TAGS, 'publicUrl=todo.local'], error: /publicUrl/ },
  { name: 'backend exposed as NodePort', set: [...TAGS, 'backend.service.type=NodePort'], error: path('backend.service.type') },
  { name: 'password that would break DATABASE_URL', set: [...TAGS, 'secrets.postgresPassword=p@ss/word'], error: path('secrets.postgresPassword') },
  { name: 'chart-made Secret without the auth secret', set: [...TAGS, 'secrets.create=true', 'secrets.postgresPassword=x'], error: /secrets\.betterAuthSecret is required/ },
  {
    name: 'chart-made Secret with a short auth secret',
    set: [...TAGS, 'secrets.create=true', 'secrets.betterAuthSecret=short', 'secrets.postgresPassword=x'],
    error: /at least 32 characters/,
  },
  {
    name: 'chart-made Secret, external database, no URL',
    set: [...TAGS, 'secrets.create=true', 'secrets.betterAuthSecret=0123456789abcdef0123456789abcdef', 'postgresql.enabled=false'],
    error: /secrets\.databaseUrl is required/,
  },
  { name: 'no Secret name', set: [...TAGS, 'existingSecret='], error: /existingSecret is required/ },
]

describe.each(helms())('$label', (helm) => {
  it.each(BAD)('rejects: $name', ({ set, setJson, error }) => {
    const r = template(helm, { set: setJson ? [...TAGS, ...(set ?? [])] : set, setJson })
    expect(r.status, r.stdout.slice(0, 200)).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(error)
  })

  it('accepts the tags alone (everything else has a working default)', () => {
    const r = template(helm, { set: TAGS })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
