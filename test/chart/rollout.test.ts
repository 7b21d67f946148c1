// Settings and secret changes roll exactly the pods that read them (checksum annotations).
import { describe, expect, it } from 'vitest'
import { find, helms, TAGS, template } from './helm.ts'

const SECRET = ['secrets.create=true', 'secrets.postgresPassword=pw0123456789']
const AUTH = (s: string) => `secrets.betterAuthSecret=${s.repeat(32)}`

describe.each(helms())('$label', (helm) => {
  const annotations = (set: string[]) => {
    const r = template(helm, { set: [...TAGS, ...set] })
    expect(r.stderr).toBe('')
    const ann = (name: string) => find(r.objects, 'Deployment', name)!.spec.template.metadata.annotations
    return { frontend: ann('todo-frontend'), backend: ann('todo-backend') }
  }

  it('a backend setting rolls the backend only; a public URL change rolls both', () => {
    const base = annotations([])
    const logLevel = annotations(['backend.logLevel=debug'])
    expect(logLevel.backend['checksum/config']).not.toBe(base.backend['checksum/config'])
    expect(logLevel.frontend['checksum/config']).toBe(base.frontend['checksum/config'])
    const url = annotations(['publicUrl=https://todo.example.org'])
    expect(url.backend['checksum/config']).not.toBe(base.backend['checksum/config'])
    expect(url.frontend['checksum/config']).not.toBe(base.frontend['checksum/config'])
  })

  it('a new value in a chart-made Secret rolls both apps', () => {
    const a = annotations([...SECRET, AUTH('a')])
    const b = annotations([...SECRET, AUTH('b')])
    expect(b.frontend['checksum/secret']).not.toBe(a.frontend['checksum/secret'])
    expect(b.backend['checksum/secret']).not.toBe(a.backend['checksum/secret'])
    expect(b.frontend['checksum/config']).toBe(a.frontend['checksum/config'])
  })
})
