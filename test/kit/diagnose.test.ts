import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  diagnosePods,
  fixFromLog,
  formatDiagnosis,
  logLinesWorthShowing,
  parseMissingRef,
  settledFailure,
  warningEvents,
  type Diagnosis,
} from '../../scripts/lib/diagnose.ts'

const dir = path.join(import.meta.dirname, 'fixtures', 'diagnose')
const read = (c: string, f: string): string => readFileSync(path.join(dir, c, f), 'utf8')
const run = (c: string, withJobs = false): Diagnosis =>
  diagnosePods(read(c, 'pods.json'), read(c, 'events.json'), withJobs ? { jobsJson: read(c, 'jobs.json') } : {})
const now = new Date('2026-11-21T22:40:00Z')

describe('diagnosePods', () => {
  it('a healthy release has no findings and lists every ready pod', () => {
    const d = run('healthy')
    expect(d.findings).toEqual([])
    expect(d.healthy).toEqual(['todo-backend-6d5f7c9b8-x7k2p', 'todo-frontend-7b9c4d5f6-m4r9t', 'todo-postgresql-0'])
    expect(d.events).toEqual([]) // Normal events are not shown
  })

  it("CrashLoopBackOff: exit code, restarts, and asks for the previous run's logs", () => {
    const d = run('crashloop')
    expect(d.findings).toHaveLength(1)
    const f = d.findings[0]!
    expect(f).toMatchObject({
      kind: 'CrashLoopBackOff',
      object: 'pod/todo-backend-6d5f7c9b8-x7k2p',
      component: 'backend',
      phase: 'Running',
      container: 'backend',
    })
    expect(f.message).toContain('exit code 1 (Error)')
    expect(f.message).toContain('5 restart(s)')
    expect(f.logs).toEqual({ pod: 'todo-backend-6d5f7c9b8-x7k2p', container: 'backend', previous: true })
    expect(d.healthy).toEqual(['todo-frontend-7b9c4d5f6-m4r9t', 'todo-postgresql-0'])
    expect(d.events[0]).toMatchObject({ object: 'Pod/todo-backend-6d5f7c9b8-x7k2p', reason: 'BackOff', count: 23 })
  })

  it('OOMKilled is named as such, with the memory-limit fix', () => {
    const f = run('oomkilled').findings[0]!
    expect(f.kind).toBe('OOMKilled')
    expect(f.reason).toBe('OOMKilled')
    expect(f.message).toMatch(/more memory than its limit/)
    expect(f.fix).toMatch(/resources\.limits\.memory/)
  })

  it('ErrImageNeverPull: the image and the load hint', () => {
    const f = run('image-never-pull').findings[0]!
    expect(f).toMatchObject({
      kind: 'ImagePull',
      reason: 'ErrImageNeverPull',
      image: 'todo-frontend:h-9b2e4d6f8a10',
      phase: 'Pending',
    })
    expect(f.message).toContain('not in the cluster')
    expect(f.fix).toContain('npx zx scripts/load.ts')
  })

  it('ImagePullBackOff: the image, the pull error and the load hint; events keep both Warning kinds', () => {
    const d = run('image-pull-backoff')
    const f = d.findings[0]!
    expect(f).toMatchObject({ kind: 'ImagePull', reason: 'ImagePullBackOff', image: 'todo-backend:h-3f9a1c2b7d4e' })
    expect(f.message).toContain('pull access denied')
    expect(f.fix).toContain('npx zx scripts/load.ts')
    expect(d.events.map((e) => e.message)).toContain('Error: ImagePullBackOff')
    expect(d.events.every((e) => e.reason !== 'Pulling')).toBe(true)
  })

  it('CreateContainerConfigError: the missing Secret key and the .env fix', () => {
    const f = run('config-missing-key').findings[0]!
    expect(f).toMatchObject({
      kind: 'ConfigError',
      missing: { kind: 'Secret', name: 'todo-secrets', key: 'BETTER_AUTH_SECRET' },
    })
    expect(f.message).toBe('key BETTER_AUTH_SECRET is missing from Secret todo-secrets')
    expect(f.fix).toBe('add BETTER_AUTH_SECRET=... to .env, then npx zx scripts/deploy.ts (it recreates the Secret)')
  })

  it('CreateContainerConfigError: a Secret that does not exist', () => {
    const f = run('config-missing-secret').findings[0]!
    expect(f.missing).toEqual({ kind: 'Secret', name: 'todo-secrets' })
    expect(f.message).toBe('Secret todo-secrets does not exist')
    expect(f.fix).toContain('npx zx scripts/deploy.ts')
  })

  it('Pending/Unschedulable: the scheduler message and a sizing hint; scheduler events (eventTime only) are kept', () => {
    const d = run('unschedulable')
    const f = d.findings[0]!
    expect(f).toMatchObject({
      kind: 'Unschedulable',
      reason: 'Unschedulable',
      object: 'pod/todo-postgresql-0',
      component: 'postgresql',
      phase: 'Pending',
    })
    expect(f.message).toContain('0/1 nodes are available: 1 Insufficient memory.')
    expect(f.fix).toContain('MINIKUBE_MEMORY')
    expect(d.events).toHaveLength(2)
    expect(d.events[0]!.last).toBe('2026-11-21T22:36:04.482913Z') // newest first
  })

  it('a failing init container and a failed migration hook Job', () => {
    const d = run('init-and-hook', true)
    const kinds = d.findings.map((f) => `${f.kind} ${f.object} ${f.container ?? ''}`.trim())
    expect(kinds).toEqual([
      'InitFailed pod/todo-backend-6d5f7c9b8-x7k2p wait-for-db', // the app container's PodInitializing is not a finding
      'ContainerFailed pod/todo-migrate-b5lq9 migrate',
      'JobFailed job/todo-migrate',
    ])
    const [init, hookPod, job] = d.findings
    expect(init!.reason).toBe('Init:CrashLoopBackOff')
    expect(init!.logs).toMatchObject({ container: 'wait-for-db', previous: true })
    expect(hookPod!.message).toContain('exited with code 1 (Error)')
    expect(hookPod!.logs).toMatchObject({ container: 'migrate', previous: false })
    expect(job!.message).toContain(
      'hook Job (pre-install,pre-upgrade) failed: Job has reached the specified backoff limit, 2 failed pod(s)',
    )
    expect(job!.fix).toContain('kubectl logs job/todo-migrate -n todo')
  })

  it('probes failing: the Unhealthy event message per container', () => {
    const d = run('probe-failing')
    const [be, fe] = d.findings
    expect(be).toMatchObject({ kind: 'ProbeFailing', container: 'backend' })
    expect(be!.message).toContain('Readiness probe failed: HTTP probe failed with statuscode: 503 (x41)')
    expect(be!.fix).toContain('database')
    expect(fe).toMatchObject({ kind: 'ProbeFailing', container: 'frontend' })
    expect(fe!.message).toContain('Liveness probe failed')
    expect(fe!.logs?.previous).toBe(true) // it was restarted: the killed run's logs tell why
  })

  it('accepts parsed objects, a single pod, and empty input', () => {
    const pods = JSON.parse(read('crashloop', 'pods.json'))
    expect(diagnosePods(pods.items[0], '').findings[0]!.kind).toBe('CrashLoopBackOff')
    expect(diagnosePods('', '')).toEqual({ findings: [], healthy: [], events: [] })
  })

  it("settledFailure (deploy --fail-fast): a missing key is settled, the kubelet's cache hiccup is not", () => {
    const pods = JSON.parse(read('config-missing-key', 'pods.json'))
    const missing = diagnosePods(pods, '').findings.find((f) => f.kind === 'ConfigError')!
    expect(settledFailure(missing)).toBe(true)
    // seen on a busy 2-core node: the kubelet retries, and the pod starts a few seconds later
    const json = JSON.stringify(pods).replace(
      "couldn't find key BETTER_AUTH_SECRET in Secret todo/todo-secrets",
      'failed to sync configmap cache: timed out waiting for the condition',
    )
    const hiccup = diagnosePods(json, '').findings.find((f) => f.kind === 'ConfigError')!
    expect(hiccup.message).toContain('failed to sync configmap cache')
    expect(settledFailure(hiccup)).toBe(false)
  })

  it('warningEvents drops events older than --since and caps the count', () => {
    const ev = read('image-pull-backoff', 'events.json')
    expect(warningEvents(ev, { since: '2026-11-21T22:33:00Z' }).map((e) => e.message)).toEqual([
      'Error: ImagePullBackOff',
    ])
    expect(warningEvents(ev, { maxEvents: 1 })).toHaveLength(1)
  })
})

describe('parseMissingRef', () => {
  it.each([
    [
      "couldn't find key OPENAI_API_KEY in Secret todo/todo-secrets",
      { kind: 'Secret', name: 'todo-secrets', key: 'OPENAI_API_KEY' },
    ],
    ['secret "todo-secrets" not found', { kind: 'Secret', name: 'todo-secrets' }],
    ['configmap "todo-config" not found', { kind: 'ConfigMap', name: 'todo-config' }],
    [
      "couldn't find key LOG_LEVEL in ConfigMap todo/todo-config",
      { kind: 'ConfigMap', name: 'todo-config', key: 'LOG_LEVEL' },
    ],
    ['something else', undefined],
  ])('%s', (msg, want) => expect(parseMissingRef(msg)).toEqual(want))
})

describe('logLinesWorthShowing', () => {
  it("a failed Node migration's pg error keeps its message in view: no empty fields, one stack frame", () => {
    // what Node prints for pg's DatabaseError (25 lines): the last 20 were the stack's end and the empty fields
    const log = read('.', 'node-pg-error.log')
    expect(log.trim().split('\n').slice(-20).join('\n')).not.toContain('does not exist')
    expect(logLinesWorthShowing(log, 20)).toEqual([
      'Running Better Auth migration...',
      'Migration failed: error: relation "tasks" does not exist',
      '    at migrate (file:///app/migrate.mjs:5:19)',
      '    … {',
      '  length: 104,',
      "  severity: 'ERROR',",
      "  code: '42P01',",
      "  position: '15',",
      "  file: 'parse_relation.c',",
      "  line: '1449',",
      "  routine: 'parserOpenTable'",
      '}',
    ])
    // a Python traceback and plain lines are left as they are, the last ones kept
    const py = 'Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\nImportError: x\n'
    expect(logLinesWorthShowing(py, 2)).toEqual(['  File "/app/main.py", line 3, in <module>', 'ImportError: x'])
  })
})

describe('fixFromLog', () => {
  it('a refused database password: the volume keeps the first one (in the cluster), or the URL is wrong (external)', () => {
    const lines = [
      '  File "/app/scripts/migrate.py", line 16, in run_migrations',
      'psycopg2.OperationalError: connection to server at "todo-postgresql" (10.244.0.15), port 5432 failed: FATAL:  password authentication failed for user "todo"',
    ]
    expect(fixFromLog(lines, false)).toMatch(
      /volume keeps the POSTGRES_PASSWORD it was first made with.*cleanup\.ts --purge-data/,
    )
    expect(fixFromLog(lines, true)).toMatch(/DATABASE_URL's user and password/)
    expect(fixFromLog(['KeyError: x'], false)).toBeUndefined()
  })

  it("an import error in the app's code: the error, the app's frame, and what to change", () => {
    // hamza123545's backend, as its pod logged it
    const lines = [
      '  File "/opt/venv/lib/python3.13/site-packages/uvicorn/importer.py", line 19, in import_from_string',
      '  File "/app/main.py", line 30, in <module>',
      '    from routers import chat, chatkit, health  # noqa: E402',
      '  File "/app/routers/health.py", line 7, in <module>',
      '    from db import engine',
      "ImportError: cannot import name 'engine' from 'db' (/app/db.py)",
    ]
    expect(fixFromLog(lines, false)).toBe(
      "the app's code does not import: ImportError: cannot import name 'engine' from 'db' (/app/db.py) " +
        "(routers/health.py:7); fix the import in the app's code, then npx zx scripts/build.ts, " +
        'npx zx scripts/load.ts, npx zx scripts/deploy.ts',
    )
    expect(
      fixFromLog(['  File "/app/auth.py", line 1, in <module>', "ModuleNotFoundError: No module named 'jwt'"], false),
    ).toMatch(/\(auth\.py:1\); add PyJWT to the backend's requirements/)
  })
})

describe('formatDiagnosis', () => {
  it('prints findings, log lines, fixes and events, redacted', () => {
    const d = run('crashloop')
    d.findings[0]!.logs!.lines = read('crashloop', 'backend-previous.log').trim().split('\n')
    const secret = 'pg-Secret-7Hq2-value'
    const lines = formatDiagnosis(d, { now, redact: (s) => s.split(secret).join('***'), header: 'Diagnosis:' })
    const text = lines.join('\n')
    expect(lines[0]).toBe('Diagnosis:')
    expect(text).toContain(
      '✗ pod/todo-backend-6d5f7c9b8-x7k2p (Running): CrashLoopBackOff — container backend keeps crashing: exit code 1 (Error), 5 restart(s)',
    )
    expect(text).toContain('last log lines (backend, previous run):')
    expect(text).toContain('| sqlalchemy.exc.OperationalError')
    expect(text).toContain('postgresql://todo:***@todo-postgresql')
    expect(text).not.toContain(secret)
    expect(text).toContain('fix: read the log lines below')
    expect(text).toContain('✓ pod/todo-frontend-7b9c4d5f6-m4r9t: ready')
    expect(text).toMatch(
      /recent warning events:\n {4}26s ago +Pod\/todo-backend-6d5f7c9b8-x7k2p BackOff: Back-off restarting failed container backend .* \(x23\)/,
    )
  })

  it('shows the image for pull failures', () => {
    expect(formatDiagnosis(run('image-never-pull'), { now }).join('\n')).toContain(
      'image: todo-frontend:h-9b2e4d6f8a10',
    )
  })

  it('says so when the release has no pods', () => {
    expect(formatDiagnosis(diagnosePods('{"items":[]}', ''), { now })).toEqual(['  no pods found for this release'])
  })
})
