// values.schema.json and the templates' `required` checks reject bad values before anything reaches a
// cluster: wrong types, unknown keys, missing or unusable image tags, incomplete chart-made Secrets. deploy renders
// the chart first and stops on each of them (renderRefusal) before the namespace or the Secret change.
import { describe, expect, it } from 'vitest'
import { helms, TAGS, template } from './helm.ts'
import { renderRefusal } from '../../scripts/lib/helm-failure.ts'

const path = (dotted: string) =>
  new RegExp(
    dotted
      .split('.')
      .map((p) => p.replace(/[-]/g, '\\$&'))
      .join('[./]'),
  )

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
  {
    name: 'postgres digest that is no sha256 digest',
    set: [...TAGS, 'postgresql.image.digest=sha256:00'],
    error: path('postgresql.image.digest'),
  },
  {
    name: 'no ephemeral-storage limit',
    set: [...TAGS, 'backend.resources.limits.ephemeral-storage=null'],
    error: /ephemeral-storage/,
  },
  {
    name: 'emptyDir size limit that is no quantity',
    set: [...TAGS, 'frontend.writableSizeLimit=big'],
    error: path('frontend.writableSizeLimit'),
  },
  {
    name: 'unknown pull policy',
    set: [...TAGS, 'frontend.image.pullPolicy=Sometimes'],
    error: path('frontend.image.pullPolicy'),
  },
  {
    name: 'not a quantity',
    set: [...TAGS, 'backend.resources.requests.cpu=lots'],
    error: path('backend.resources.requests.cpu'),
  },
  {
    name: 'resources without limits',
    set: [...TAGS, 'frontend.resources.limits=null'],
    error: /limits/,
  },
  { name: 'public URL without scheme', set: [...TAGS, 'publicUrl=todo.local'], error: /publicUrl/ },
  {
    name: 'backend exposed as NodePort',
    set: [...TAGS, 'backend.service.type=NodePort'],
    error: path('backend.service.type'),
  },
  {
    name: 'password that would break DATABASE_URL',
    set: [...TAGS, 'secrets.postgresPassword=p@ss/word'],
    error: path('secrets.postgresPassword'),
  },
  {
    name: 'chart-made Secret without the auth secret',
    set: [...TAGS, 'secrets.create=true', 'secrets.postgresPassword=x'],
    error: /secrets\.betterAuthSecret is required/,
  },
  {
    name: 'chart-made Secret with a short auth secret',
    set: [...TAGS, 'secrets.create=true', 'secrets.betterAuthSecret=short', 'secrets.postgresPassword=x'],
    error: /at least 32 characters/,
  },
  {
    name: 'chart-made Secret, external database, no URL',
    set: [
      ...TAGS,
      'secrets.create=true',
      'secrets.betterAuthSecret=0123456789abcdef0123456789abcdef',
      'postgresql.enabled=false',
    ],
    error: /secrets\.databaseUrl is required/,
  },
  { name: 'no Secret name', set: [...TAGS, 'existingSecret='], error: /existingSecret is required/ },
  // the extension knobs
  {
    name: 'backend path "/" (the frontend\'s)',
    setJson: ['ingress.backendPaths=["/"]'],
    error: path('ingress.backendPaths.0'),
  },
  {
    name: 'backend path without a leading slash',
    setJson: ['ingress.backendPaths=["api"]'],
    error: path('ingress.backendPaths.0'),
  },
  {
    name: 'backend path with a trailing slash',
    setJson: ['ingress.backendPaths=["/api/"]'],
    error: path('ingress.backendPaths.0'),
  },
  {
    name: 'frontend path with a space',
    setJson: ['ingress.frontendPaths=["/api auth"]'],
    error: path('ingress.frontendPaths.0'),
  },
  {
    name: 'relative writable file',
    setJson: ['backend.writableFiles=["app.log"]'],
    error: path('backend.writableFiles.0'),
  },
  {
    name: 'writable file that is a directory',
    setJson: ['frontend.writableFiles=["/app/logs/"]'],
    error: path('frontend.writableFiles.0'),
  },
  {
    name: 'database URL scheme of another database',
    set: [...TAGS, 'backend.databaseUrlScheme=mysql+pymysql'],
    error: path('backend.databaseUrlScheme'),
  },
  {
    name: 'database URL scheme with "://"',
    set: [...TAGS, 'backend.databaseUrlScheme=postgresql://'],
    error: path('backend.databaseUrlScheme'),
  },
  {
    name: 'secretEnv name that is no variable name',
    setJson: ['backend.secretEnv=[{"name":"MY-KEY"}]'],
    error: path('backend.secretEnv.0.name'),
  },
  {
    name: 'secretEnv as plain strings',
    setJson: ['frontend.secretEnv=["GEMINI_API_KEY"]'],
    error: path('frontend.secretEnv.0'),
  },
  {
    name: 'secretEnv with a value (secrets never go in values)',
    setJson: ['backend.secretEnv=[{"name":"K","value":"v"}]'],
    error: /secretEnv[./]0.*[Aa]dditional propert(y|ies) '?value/,
  },
  {
    name: 'extraEnvFrom with an unknown source',
    setJson: ['backend.extraEnvFrom=[{"fileRef":{"name":"x"}}]'],
    error: /extraEnvFrom[./]0.*[Aa]dditional propert(y|ies) '?fileRef/,
  },
  {
    name: 'extraVolumes entry without a name',
    setJson: ['backend.extraVolumes=[{"emptyDir":{}}]'],
    error: path('backend.extraVolumes.0'),
  },
  {
    name: 'extraVolumeMounts entry without a mountPath',
    setJson: ['frontend.extraVolumeMounts=[{"name":"x"}]'],
    error: path('frontend.extraVolumeMounts.0'),
  },
  {
    name: 'topology spread without a topologyKey',
    setJson: ['backend.topologySpreadConstraints=[{"maxSkew":1,"whenUnsatisfiable":"DoNotSchedule"}]'],
    error: path('backend.topologySpreadConstraints.0'),
  },
  {
    name: 'postgresql.urlQuery with its question mark',
    set: [...TAGS, 'postgresql.urlQuery=?sslmode=disable'],
    error: path('postgresql.urlQuery'),
  },
  {
    name: 'hostAliases with a host name for an address',
    setJson: ['frontend.hostAliases=[{"ip":"ingress-nginx-controller","hostnames":["todo.local"]}]'],
    error: path('frontend.hostAliases.0.ip'),
  },
  {
    name: 'priorityClassName in capitals',
    set: [...TAGS, 'frontend.priorityClassName=High'],
    error: path('frontend.priorityClassName'),
  },
  // Gateway API routing
  { name: 'httpRoute.enabled as a string', setJson: ['httpRoute.enabled="true"'], error: path('httpRoute.enabled') },
  {
    name: 'httpRoute.parentRefs as a Gateway name',
    setJson: ['httpRoute.parentRefs="my-gateway"'],
    error: path('httpRoute.parentRefs'),
  },
  {
    name: 'httpRoute parentRef without a name',
    setJson: ['httpRoute.parentRefs=[{"namespace":"gateways"}]'],
    error: path('httpRoute.parentRefs.0'),
  },
  {
    name: 'httpRoute parentRef with an unknown key (typo)',
    setJson: ['httpRoute.parentRefs=[{"name":"eg","section":"https"}]'],
    error: /parentRefs[./]0.*[Aa]dditional propert(y|ies) '?section/,
  },
  {
    name: 'httpRoute hostname with a scheme',
    setJson: ['httpRoute.hostnames=["https://todo.example.com"]'],
    error: path('httpRoute.hostnames.0'),
  },
  { name: 'imagePullSecrets as names', setJson: ['imagePullSecrets=["regcred"]'], error: path('imagePullSecrets.0') },
  { name: 'extraObjects entry that is a number', setJson: ['extraObjects=[3]'], error: path('extraObjects.0') },
]

describe.each(helms())('$label', (helm) => {
  it.each(BAD)('rejects: $name', ({ set, setJson, error }) => {
    const r = template(helm, { set: setJson ? [...TAGS, ...(set ?? [])] : set, setJson })
    expect(r.status, r.stdout.slice(0, 200)).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(error)
    // deploy's check before it changes anything in the cluster reads the same refusal
    expect(renderRefusal(r.stderr)).toMatch(error)
  })

  it("postgresql.image: a full version by default, a digest pins it, the tests' stand-in still renders", () => {
    const image = (set: string[]) => {
      const r = template(helm, { set: [...TAGS, ...set] })
      expect(r.stderr).toBe('')
      const sts = r.objects.find((o) => o.kind === 'StatefulSet')!
      const job = r.objects.find((o) => o.kind === 'Job')!
      const wait = job.spec.template.spec.initContainers.find((c: any) => c.name === 'wait-for-database')
      expect(wait.image).toBe(sts.spec.template.spec.containers[0].image)
      return sts.spec.template.spec.containers[0].image as string
    }
    // never a floating major (postgres:17): a minor upgrade is a values change, not a node's pull
    expect(image([])).toMatch(/^postgres:17\.\d+$/)
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`
    expect(image([`postgresql.image.digest=${digest}`])).toMatch(new RegExp(`^postgres:17\\.\\d+@${digest}$`))
    expect(image(['postgresql.image.repository=local/postgres', 'postgresql.image.tag=17'])).toBe('local/postgres:17')
  })

  it('accepts the tags alone (everything else has a working default)', () => {
    const r = template(helm, { set: TAGS })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
