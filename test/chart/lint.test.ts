// helm lint --strict with both helm majors (and the user's own helm), over every shipped values file.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { layerV35 } from '../support/k8s-tools.ts'
import { chartDir, helms, KUBE_VERSIONS, lint, TAGS, template } from './helm.ts'

const helm4 = { label: 'helm 4.1', bin: layerV35().helm }

// The chart has no default image tag on purpose (the kit passes content-hash tags). A bare lint passes (helm's lint
// mode logs a `required` value and renders on); the shipped values files are linted with ci/default-values.yaml, the
// chart-testing convention, so that lint renders the real image references too.
const CI = 'ci/default-values.yaml'

describe.each(helms())('$label', (helm) => {
  it.each([[[CI]], [[CI, 'values-dev.yaml']], [[CI, 'values-prod.yaml']]])(
    'helm lint --strict %j is clean',
    (values) => {
      const r = lint(helm, values)
      expect(r.output).not.toMatch(/\[(WARNING|ERROR)\]/)
      expect(r.status, r.output).toBe(0)
    },
  )

  it('helm package makes an installable archive that lints clean', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'chart-package-'))
    const pkg = spawnSync(helm.bin, ['package', chartDir, '--destination', out], { encoding: 'utf8' })
    expect(pkg.status, pkg.stderr).toBe(0)
    const archive = path.join(
      out,
      readdirSync(out).find((f) => f.endsWith('.tgz'))!,
    )
    expect(path.basename(archive)).toMatch(/^todo-chatbot-\d+\.\d+\.\d+\.tgz$/)
    const r = spawnSync(helm.bin, ['lint', '--strict', archive, '--values', path.join(chartDir, CI)], {
      encoding: 'utf8',
    })
    expect(r.status, r.stdout + r.stderr).toBe(0)
    rmSync(out, { recursive: true, force: true })
  })

  // The plans the kit serves verify the chart with exactly `helm lint --strict helm/todo-chatbot`, and deploy's fix
  // hint on a render failure prints a bare `helm lint`: it must pass with the chart's own defaults (empty tags).
  it("bare helm lint --strict (the chart's own defaults, no image tags) is clean", () => {
    const r = lint(helm, [])
    expect(r.output).not.toMatch(/\[(WARNING|ERROR)\]/)
    expect(r.output).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/)
    expect(r.status, r.output).toBe(0)
  })

  it('helm template without image tags fails, naming the value to set', () => {
    const missing = (app: string) => {
      const key = `${app}\\.image\\.tag`
      return new RegExp(`${key} is required: set ${key} .*--set ${key}=<tag>`)
    }
    const none = template(helm, { set: [] })
    expect(none.status).not.toBe(0)
    expect(none.stdout).toBe('')
    expect(none.stderr).toMatch(missing('frontend'))
    const noBackend = template(helm, { set: [TAGS[0]] })
    expect(noBackend.status).not.toBe(0)
    expect(noBackend.stderr).toMatch(missing('backend'))
    expect(noBackend.stderr).not.toMatch(/frontend\.image\.tag/)
  })

  it('helm refuses a cluster older than the Kubernetes minimum (Chart.yaml kubeVersion) and takes the minimum', () => {
    const [major, minor] = KUBE_VERSIONS[0].split('.').map(Number)
    const older = template(helm, { set: TAGS, args: ['--kube-version', `${major}.${minor! - 1}.99`] })
    expect(older.status).not.toBe(0)
    expect(older.stderr).toMatch(/chart requires kubeVersion: >=\S+ which is incompatible with Kubernetes v/)
    expect(template(helm, { set: TAGS, args: ['--kube-version', `${major}.${minor}.0`] }).status).toBe(0)
  })
})

// `helm install --dry-run=client` renders NOTES.txt without a cluster only from helm 4 on (helm 3
// still asks the API server for its version), so the notes are checked with helm 4.
describe(`helm install --dry-run=client (${helm4.label})`, () => {
  it('NOTES.txt tells how to reach the app: ingress + hosts line, minikube service, port-forward', () => {
    const run = (set: string[]) =>
      spawnSync(
        helm4.bin,
        ['install', 'todo', chartDir, '--namespace', 'todo', '--dry-run=client', ...set.flatMap((s) => ['--set', s])],
        {
          encoding: 'utf8',
          env: { ...process.env, KUBECONFIG: '/nonexistent' },
        },
      )
    const withIngress = run(TAGS)
    expect(withIngress.status, withIngress.stderr).toBe(0)
    const notes = withIngress.stdout.slice(withIngress.stdout.indexOf('NOTES:'))
    expect(notes).toContain('echo "$(minikube ip) todo.local" | sudo tee -a /etc/hosts')
    expect(notes).toContain('kubectl port-forward --namespace todo service/todo-frontend 3000:3000')
    expect(notes).toContain('helm test todo --namespace todo --logs')
    const nodePort = run([...TAGS, 'ingress.enabled=false', 'frontend.service.type=NodePort'])
    const notes2 = nodePort.stdout.slice(nodePort.stdout.indexOf('NOTES:'))
    expect(notes2).toContain('minikube service todo-frontend --namespace todo --url')
    expect(notes2).not.toContain('/etc/hosts')
    const paths = run([...TAGS, 'ingress.backendPaths={/api}', 'ingress.frontendPaths={/api/auth}'])
    expect(paths.stdout.slice(paths.stdout.indexOf('NOTES:'))).toContain(
      'Routed to the backend on the same host: /api (except /api/auth, kept on the frontend)',
    )
    expect(notes).not.toContain('Routed to the backend')
  })

  it('helm install without image tags fails before anything is sent, naming the value', () => {
    const r = spawnSync(helm4.bin, ['install', 'todo', chartDir, '--namespace', 'todo', '--dry-run=client'], {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: '/nonexistent' },
    })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/frontend\.image\.tag is required: set frontend\.image\.tag/)
  })
})
