// The bad-input catalogue: what a user may type (a flag, a setting in .env or the environment, a file a setting
// names) that the kit must refuse before anything changes, or handle as it should. Each row runs a real stage against
// the fake tools, with --dry-run and for real where both make sense, and asserts the same things every time: the exit
// code, the ✖ line naming the key or flag (then a fix: line), no changing command given to any tool, no secret value
// in the output, no stack trace and no hang.
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { report } from '../../scripts/lib/cli.ts'
import { ensureEnvFile, envFileToCreate, readEnvFile } from '../../scripts/lib/env-file.ts'
import { ConfigError, KitError } from '../../scripts/lib/errors.ts'
import { createLog } from '../../scripts/lib/log.ts'
import { SECRETS, mutating, project, type Project } from './harness.ts'

const DIGEST = 'sha256:' + 'a1b2c3d4'.repeat(8)
const URL_PASSWORD = 'Url-Pass-5x8Kq2Lm'
const REGISTRY_PASSWORD = 'Reg-Pass-7h3Jw9Zt'
const MACHINE_SECRET = 'machine-token-4f8a2c9e1b'
/** the time a stage may take here: a bad input answered is answered in a second or two, a hang is not */
const HANG_MS = 20_000

type Mode = 'dry-run' | 'real'
type Row = {
  /** the class of bad input and the input itself: the catalogue's first column */
  what: string
  stage: string
  /** flags; a function gets the row's own directory (stages resolve a relative path against the kit's root) */
  args?: string[] | ((dir: string) => string[])
  /** settings from the environment; a function makes the files it names in its own directory first */
  env?: Record<string, string> | ((dir: string) => Record<string, string>)
  /** lines added to .env (the project's, with its secrets) for this row only */
  dotenv?: string
  /** expected exit code (default 1) */
  code?: number
  /** text of the ✖ line (null: no ✖ line at all) */
  says: string | RegExp | null
  /** what the fix: line holds */
  fix?: string | RegExp
  /** text the output holds (a row handled correctly rather than refused) */
  shows?: string | RegExp
  /** values that must not be printed, besides the project's secrets */
  hidden?: string[]
  /**
   * default: both for the classes whose dry run may answer differently (BOTH_MODES) in the stages that write a first
   * run's .env, a real run for the others; a row whose real run would change things (a build) runs dry only
   */
  modes?: Mode[]
  /** the project with a release deployed (cleanup rows) */
  deployed?: boolean
}

const fifo = (file: string): string => (execFileSync('mkfifo', [file]), file)
const file = (dir: string, name: string, text: string): string => {
  const f = path.join(dir, name)
  mkdirSync(path.dirname(f), { recursive: true })
  writeFileSync(f, text)
  return f
}
const bigText = (bytes: number): string => `a: "${'x'.repeat(bytes)}"\n`

const ROWS: Row[] = [
  // ---------- already fixed: regressions ----------
  {
    what: 'regression: ai-examples --transcript .env',
    stage: 'ai-examples',
    args: ['--transcript', '.env'],
    says: 'is not a .md file',
  },
  {
    what: 'regression: ai-examples --transcript a directory',
    stage: 'ai-examples',
    args: (d) => {
      mkdirSync(path.join(d, 'notes.md'))
      return ['--transcript', path.join(d, 'notes.md')]
    },
    says: 'is a directory',
  },
  {
    what: 'regression: ai-examples --transcript a file it did not write',
    stage: 'ai-examples',
    args: (d) => ['--transcript', file(d, 'notes.md', 'my own notes\n')],
    says: 'exists and is not a transcript this stage wrote: not overwritten',
  },
  {
    what: 'regression: ai-examples --timeout -5 (a value starting with -)',
    stage: 'ai-examples',
    args: ['--timeout', '-5'],
    says: '--timeout -5: a value that starts with "-" is read as a flag',
  },
  {
    what: "regression: cleanup with a mistyped RELEASE deletes no other release's Secret",
    stage: 'cleanup',
    env: { RELEASE: 'tood' },
    says: 'Secret todo-secrets there belongs to release todo: nothing deleted',
    modes: ['real'],
    deployed: true,
  },
  {
    what: 'regression: cleanup --images with tags it cannot compute stops before uninstalling',
    stage: 'cleanup',
    args: ['--images'],
    env: (d) => {
      file(d, 'Dockerfile.dockerignore', '[\n')
      return { FRONTEND_DOCKERFILE: file(d, 'Dockerfile', 'FROM x\n') }
    },
    says: 'cannot compute the image tags',
    modes: ['real'],
    deployed: true,
  },
  {
    what: 'regression: cleanup --stop-minikube on CLUSTER=existing',
    stage: 'cleanup',
    args: ['--stop-minikube'],
    env: { CLUSTER: 'existing', LOAD_METHOD: 'none' },
    says: '--stop-minikube applies to CLUSTER=minikube',
  },
  {
    what: 'regression: a malformed ignore pattern "[" stops up before setup',
    stage: 'up',
    env: (d) => {
      file(d, 'Dockerfile.dockerignore', '**/node_modules\n[\n')
      return { FRONTEND_DOCKERFILE: file(d, 'Dockerfile', 'FROM x\n') }
    },
    says: 'malformed pattern "["',
  },
  {
    what: 'regression: init does not follow a link out of the app',
    stage: 'init',
    args: (d) => {
      const fe = path.join(d, 'linked-fe')
      mkdirSync(fe)
      file(d, 'outside.json', `{"dependencies":{"next":"16.0.0"},"x":"${MACHINE_SECRET}"}\n`)
      symlinkSync(path.join(d, 'outside.json'), path.join(fe, 'package.json'))
      return ['--frontend', fe, '--backend', path.join(d, '..', '..', 'backend')]
    },
    says: /linked-fe is not a Next.js app \(no package.json that depends on next\)/,
    hidden: [MACHINE_SECRET],
    modes: ['dry-run'],
  },

  // ---------- credentials in a value: refused without printing them ----------
  {
    what: 'credential: PUBLIC_URL with user:password@ (environment)',
    stage: 'deploy',
    env: { PUBLIC_URL: `https://admin:${URL_PASSWORD}@todo.example.com` },
    says: 'PUBLIC_URL="https://admin:***@todo.example.com" is invalid',
    hidden: [URL_PASSWORD],
  },
  {
    what: 'credential: PUBLIC_URL with user:password@ (.env)',
    stage: 'up',
    dotenv: `PUBLIC_URL=https://admin:${URL_PASSWORD}@todo.example.com`,
    says: 'PUBLIC_URL=',
    fix: 'edit PUBLIC_URL in',
    hidden: [URL_PASSWORD],
  },
  {
    what: 'credential: PUBLIC_URL with a token as user (https://<token>@host)',
    stage: 'deploy',
    env: { PUBLIC_URL: `https://${URL_PASSWORD}@todo.example.com` },
    says: 'PUBLIC_URL="https://***@todo.example.com"',
    hidden: [URL_PASSWORD],
  },
  {
    what: 'credential: REGISTRY with user:password@',
    stage: 'load',
    env: { CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: `me:${REGISTRY_PASSWORD}@ghcr.io/me` },
    says: 'REGISTRY="me:***@ghcr.io/me" is invalid',
    hidden: [REGISTRY_PASSWORD],
  },
  {
    what: 'credential: a malformed DATABASE_URL is named, its value hidden',
    stage: 'deploy',
    env: { DATABASE_URL: `mysql://app:${URL_PASSWORD}@db.example.com/todo` },
    says: 'DATABASE_URL is invalid',
    hidden: [URL_PASSWORD],
  },
  {
    what: 'credential: a NEXT_PUBLIC_* URL with a password is printed without it in the dry run',
    stage: 'build',
    env: { NEXT_PUBLIC_API_URL: `https://user:${URL_PASSWORD}@api.example.com` },
    code: 0,
    says: null,
    shows: 'https://user:***@api.example.com',
    hidden: [URL_PASSWORD],
    modes: ['dry-run'],
  },

  // ---------- values files: a secret in one, or something that is not a values file ----------
  ...(['BETTER_AUTH_SECRET', 'POSTGRES_PASSWORD', 'OPENAI_API_KEY'] as const).map((key): Row => ({
    what: `values file: holds the value of ${key}`,
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: file(d, 'leak.yaml', `backend:\n  env:\n    X: "${SECRETS[key]}"\n`) }),
    says: `holds the value of ${key}`,
    fix: 'HELM_VALUES_FILES',
  })),
  {
    what: "values file: holds DATABASE_URL's password",
    stage: 'deploy',
    env: (d) => ({
      DATABASE_URL: `postgresql://app:${URL_PASSWORD}@db.example.com:5432/todo`,
      HELM_VALUES_FILES: file(d, 'leak.yaml', `db:\n  password: ${URL_PASSWORD}\n`),
    }),
    says: 'holds the value of DATABASE_URL',
    hidden: [URL_PASSWORD],
  },
  {
    what: 'values file: holds the value of an APP_SECRETS key',
    stage: 'deploy',
    dotenv: `APP_SECRETS=JWT_SECRET\nJWT_SECRET=${MACHINE_SECRET}`,
    env: (d) => ({ HELM_VALUES_FILES: file(d, 'leak.yaml', `jwt: ${MACHINE_SECRET}\n`) }),
    says: 'holds the value of JWT_SECRET',
    hidden: [MACHINE_SECRET],
  },
  {
    what: 'values file: /etc/passwd (not a YAML mapping)',
    stage: 'up',
    env: { HELM_VALUES_FILES: '/etc/passwd' },
    says: /HELM_VALUES_FILES="\/etc\/passwd" is invalid: .*\/etc\/passwd holds a string/,
  },
  {
    what: 'values file: a YAML list',
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: file(d, 'list.yaml', '- a\n- b\n') }),
    says: 'holds a list',
  },
  {
    what: 'values file: a directory',
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: d }),
    says: 'is a directory',
  },
  {
    what: 'values file: a FIFO',
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: fifo(path.join(d, 'values.fifo')) }),
    says: 'is a FIFO',
  },
  {
    what: 'values file: /dev/zero',
    stage: 'deploy',
    env: { HELM_VALUES_FILES: '/dev/zero' },
    says: 'is a device',
  },
  {
    what: 'values file: larger than 1 MB',
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: file(d, 'big.yaml', bigText(2 * 1024 * 1024)) }),
    says: 'larger than 1 MB',
  },
  {
    what: 'values file: YAML that does not parse',
    stage: 'up',
    env: (d) => ({ HELM_VALUES_FILES: file(d, 'broken.yaml', 'a: [1, 2\n') }),
    says: 'does not parse',
  },
  {
    what: 'values file: missing',
    stage: 'deploy',
    env: { HELM_VALUES_FILES: 'no-such-values.yaml' },
    says: /HELM_VALUES_FILES="no-such-values.yaml" is invalid: expected an existing file \(looked for /,
  },

  // ---------- the env file itself ----------
  {
    what: '.env: a FIFO (used to hang every stage)',
    stage: 'deploy',
    env: (d) => ({ KIT_ENV_FILE: fifo(path.join(d, 'env.fifo')) }),
    says: /KIT_ENV_FILE=.* is invalid: expected a regular \.env file .*is a FIFO/,
    fix: 'KIT_ENV_FILE',
  },
  {
    what: '.env: /dev/zero (used to run out of memory)',
    stage: 'setup',
    env: { KIT_ENV_FILE: '/dev/zero' },
    says: 'is a device',
  },
  {
    what: '.env: a link to a file that does not exist',
    stage: 'deploy',
    env: (d) => {
      symlinkSync(path.join(d, 'gone.env'), path.join(d, 'dangling.env'))
      return { KIT_ENV_FILE: path.join(d, 'dangling.env') }
    },
    says: 'is a symbolic link to',
  },
  {
    what: '.env: larger than 4 MB',
    stage: 'deploy',
    env: (d) => ({ KIT_ENV_FILE: file(d, 'big.env', `X=${'y'.repeat(5 * 1024 * 1024)}\n`) }),
    says: 'larger than 4 MB',
  },
  {
    what: '.env: a program (binary data)',
    stage: 'deploy',
    env: (d) => ({ KIT_ENV_FILE: file(d, 'a.out', '\x7fELF\x02\x01\x01\0\0\0\0\0A=1\n') }),
    says: 'holds binary data',
  },
  {
    what: '--env-path a directory',
    stage: 'deploy',
    args: (d) => ['--env-path', d],
    says: 'not a directory',
    fix: '--env-path',
  },

  // ---------- sizes: a value too large for a command line ----------
  {
    what: 'size: a NEXT_PUBLIC_* value of 200 KB (spawn E2BIG after setup)',
    stage: 'up',
    // in .env: the environment of a process cannot even hold it
    dotenv: `NEXT_PUBLIC_BLOB=${'x'.repeat(200 * 1024)}`,
    says: 'NEXT_PUBLIC_BLOB is invalid: expected a value of at most 4096 characters',
  },
  {
    what: 'size: NEXT_PUBLIC_* values of 20 KB together',
    stage: 'build',
    env: Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`NEXT_PUBLIC_V${i}`, String(i).repeat(4000)])),
    says: /NEXT_PUBLIC_V\d=.* at most 16384 characters together/,
  },

  // ---------- accepted, but should have been refused ----------
  {
    what: 'range: PUBLIC_URL port 0',
    stage: 'deploy',
    env: { PUBLIC_URL: 'http://todo.local:0' },
    says: 'port is from 1 to 65535',
  },
  {
    what: 'range: PUBLIC_URL port 70000',
    stage: 'deploy',
    env: { PUBLIC_URL: 'http://todo.local:70000' },
    says: 'port is from 1 to 65535',
  },
  { what: 'range: MINIKUBE_MEMORY=4', stage: 'setup', env: { MINIKUBE_MEMORY: '4' }, says: 'MINIKUBE_MEMORY="4"' },
  { what: 'range: MINIKUBE_MEMORY=0', stage: 'up', env: { MINIKUBE_MEMORY: '0' }, says: 'from 1800mb' },
  { what: 'range: MINIKUBE_MEMORY=1g', stage: 'setup', env: { MINIKUBE_MEMORY: '1g' }, says: 'from 1800mb' },
  {
    what: 'range: REGISTRY port 0',
    stage: 'load',
    env: { CLUSTER: 'existing', LOAD_METHOD: 'registry', REGISTRY: 'localhost:0' },
    says: 'port is from 1 to 65535',
  },
  { what: 'range: FRONTEND_REPLICAS=-1', stage: 'deploy', env: { FRONTEND_REPLICAS: '-1' }, says: 'FRONTEND_REPLICAS' },
  { what: 'range: DEPLOY_TIMEOUT=0s', stage: 'deploy', env: { DEPLOY_TIMEOUT: '0s' }, says: 'from 1s to 24h' },
  { what: 'range: MINIKUBE_CPUS=0', stage: 'setup', env: { MINIKUBE_CPUS: '0' }, says: 'from 1 to 256' },
  {
    what: 'range: ai-examples --timeout of a million hours (a timer that long fires at once)',
    stage: 'ai-examples',
    args: ['--run', '--timeout', '3600000000'],
    says: '--timeout 3600000000 is not a number of seconds from 1 to 3600',
  },
  { what: 'range: dev --port 0', stage: 'dev', args: ['--port', '0'], says: '--port 0 is not a port' },
  {
    what: 'argv: CONTAINERD_ADDRESS=--help (read by ctr as a flag)',
    stage: 'load',
    env: { CLUSTER: 'existing', LOAD_METHOD: 'containerd', CONTAINERD_ADDRESS: '--help' },
    says: 'CONTAINERD_ADDRESS="--help" is invalid',
  },
  {
    what: 'argv: a values file path starting with -',
    stage: 'deploy',
    env: { HELM_VALUES_FILES: '-f.yaml' },
    says: 'does not start with "-"',
  },
  {
    what: 'argv: MINIKUBE_CNI=-x.yaml',
    stage: 'setup',
    env: { MINIKUBE_CNI: '--x.yaml' },
    says: 'MINIKUBE_CNI="--x.yaml" is invalid: expected a value that does not start with "-"',
  },
  {
    what: "secret: APP_SECRETS=PATH (the machine's PATH into the Secret)",
    stage: 'deploy',
    dotenv: 'APP_SECRETS=PATH',
    says: 'APP_SECRETS="PATH" is invalid',
  },
  {
    what: 'secret: an APP_SECRETS key set only in the environment is not read from it',
    stage: 'deploy',
    dotenv: 'APP_SECRETS=GITHUB_TOKEN',
    env: { GITHUB_TOKEN: MACHINE_SECRET },
    says: 'GITHUB_TOKEN is invalid',
    fix: 'set GITHUB_TOKEN=<the value> in',
    hidden: [MACHINE_SECRET],
  },
  {
    what: 'path: FRONTEND_DIR is a file',
    stage: 'build',
    env: (d) => ({ FRONTEND_DIR: file(d, 'fe.txt', 'x\n') }),
    says: 'FRONTEND_DIR=',
  },
  {
    what: 'path: FRONTEND_DIR/package.json is a FIFO',
    stage: 'build',
    env: (d) => {
      mkdirSync(path.join(d, 'fe'))
      fifo(path.join(d, 'fe', 'package.json'))
      return { FRONTEND_DIR: path.join(d, 'fe') }
    },
    says: 'is a FIFO',
  },
  {
    what: "path: the frontend Dockerfile's ignore file is a FIFO (the tag's hash would block on it)",
    stage: 'up',
    env: (d) => {
      const dockerfile = file(d, 'Dockerfile', 'ARG NODE_IMAGE=node:24-slim\nFROM ${NODE_IMAGE}\n')
      fifo(`${dockerfile}.dockerignore`)
      return { FRONTEND_DOCKERFILE: dockerfile }
    },
    says: 'Dockerfile.dockerignore is a FIFO',
  },
  {
    what: 'path: BACKEND_DIR without a Python project file',
    stage: 'up',
    env: (d) => ({ BACKEND_DIR: d }),
    says: 'a Python app directory',
  },
  {
    what: 'path: FRONTEND_DOCKERFILE is a directory',
    stage: 'build',
    env: (d) => ({ FRONTEND_DOCKERFILE: d }),
    says: 'FRONTEND_DOCKERFILE=',
  },
  {
    what: 'path: BACKEND_DOCKERFILE is a FIFO',
    stage: 'up',
    env: (d) => ({ BACKEND_DOCKERFILE: fifo(path.join(d, 'Dockerfile')) }),
    says: 'it is a FIFO',
  },
  {
    what: 'path: CHART_DIR without Chart.yaml',
    stage: 'deploy',
    env: (d) => ({ CHART_DIR: d }),
    says: 'a Helm chart directory (missing',
  },

  // ---------- refused, but valid ----------
  {
    what: 'valid: NODE_IMAGE pinned by digest',
    stage: 'build',
    env: { NODE_IMAGE: `node:24-slim@${DIGEST}` },
    code: 0,
    says: null,
    shows: `NODE_IMAGE=node:24-slim@${DIGEST}`,
    modes: ['dry-run'],
  },
  {
    what: 'valid: PYTHON_IMAGE by digest only',
    stage: 'build',
    env: { PYTHON_IMAGE: `python@${DIGEST}` },
    code: 0,
    says: null,
    shows: `PYTHON_IMAGE=python@${DIGEST}`,
    modes: ['dry-run'],
  },
  {
    what: 'valid: POSTGRES_IMAGE pinned by digest (the chart gets it)',
    stage: 'deploy',
    env: { POSTGRES_IMAGE: `postgres:17.7@${DIGEST}` },
    code: 0,
    says: null,
    shows: `postgresql.image.digest=${DIGEST}`,
    modes: ['dry-run'],
  },
  {
    what: 'image: a digest that is not sha256:<64 hex>',
    stage: 'build',
    env: { NODE_IMAGE: 'node:24-slim@sha256:abc' },
    says: 'NODE_IMAGE="node:24-slim@sha256:abc" is invalid',
  },

  // ---------- misleading ----------
  {
    what: 'misleading: BETTER_AUTH_SECRET= exported empty overrides .env',
    stage: 'deploy',
    env: { BETTER_AUTH_SECRET: '' },
    says: 'the environment sets it empty',
    fix: 'unset BETTER_AUTH_SECRET',
  },
  {
    what: 'flag: an unknown flag',
    stage: 'deploy',
    args: ['--dryrun'],
    says: 'unknown flag --dryrun for deploy',
  },
]

const SECRET_VALUES = Object.values(SECRETS)
/** the stages that write a first run's .env (and a dry run plans it in memory) before loading the configuration */
const FIRST_RUN_STAGES = ['deploy', 'up', 'dev', 'init']
/**
 * the classes whose answer could differ in a dry run of those stages: what it prints (credentials), what a first run
 * reads or writes (the env file, secrets, values files); a range or a path is refused by the same rule either way
 */
const BOTH_MODES = ['credential', 'values file', '.env', 'secret', 'misleading']
let shared: Project | undefined
let deployed: Project | undefined
async function projectFor(row: Row): Promise<Project> {
  if (!row.deployed) return (shared ??= project())
  if (!deployed) {
    deployed = project()
    deployed.seedImages()
    const r = await deployed.run('deploy')
    if (r.code !== 0) throw new Error(`deploy for the cleanup rows failed:\n${r.stderr}`)
  }
  return deployed
}

let seq = 0
/** this row's directory, files, flags and environment, made once for both of its runs */
function prepare(p: Project, row: Row): { args: string[]; env: Record<string, string> } {
  const dir = path.join(p.dir, 'rows', String(++seq))
  mkdirSync(dir, { recursive: true })
  const args = typeof row.args === 'function' ? row.args(dir) : [...(row.args ?? [])]
  const env = typeof row.env === 'function' ? row.env(dir) : { ...row.env }
  if (row.dotenv) {
    const base = Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`)
    env.KIT_ENV_FILE ??= file(dir, 'row.env', [...base, row.dotenv, ''].join('\n'))
  }
  return { args, env }
}

describe('bad input: refused before anything changes, in one cause line and a fix, or handled', () => {
  it('the catalogue covers every class of the issue, with at least 40 rows', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(40)
    const classes = new Set(ROWS.map((r) => r.what.split(':')[0]))
    for (const c of [
      'regression',
      'credential',
      'values file',
      '.env',
      'size',
      'range',
      'argv',
      'secret',
      'path',
      'valid',
      'misleading',
    ])
      expect(classes, c).toContain(c)
  })

  const modes = (row: Row): Mode[] =>
    row.modes ??
    (FIRST_RUN_STAGES.includes(row.stage) && BOTH_MODES.includes(row.what.split(':')[0]!)
      ? ['dry-run', 'real']
      : ['real'])
  const runs = ROWS.flatMap((row) => modes(row).map((mode) => [row.what, mode, row] as const))
  const prepared = new Map<Row, ReturnType<typeof prepare>>()
  it.each(runs)('%s (%s)', { timeout: HANG_MS + 30_000 }, async (_what, mode, row) => {
    const p = await projectFor(row)
    if (!prepared.has(row)) prepared.set(row, prepare(p, row))
    const { args, env } = prepared.get(row)!
    const r = await p.run(row.stage, [...args, ...(mode === 'dry-run' ? ['--dry-run'] : [])], env, {
      timeoutMs: HANG_MS,
    })
    const out = r.stdout + r.stderr
    expect(r.timedOut, 'no hang').toBe(false)
    expect(out, 'no stack trace').not.toMatch(/\n\s+at /)
    for (const s of [...SECRET_VALUES, ...(row.hidden ?? [])]) expect(out, 'no secret printed').not.toContain(s)
    expect(mutating(r.calls), 'nothing changed').toEqual([])
    expect(r.code, out).toBe(row.code ?? 1)
    const cause = r.stderr.split('\n').filter((l) => l.startsWith('✖ '))
    if (row.says === null) {
      expect(cause, 'no ✖ line').toEqual([])
    } else {
      expect(cause, r.stderr).toHaveLength(1)
      if (typeof row.says === 'string') expect(cause[0]).toContain(row.says)
      else expect(cause[0]).toMatch(row.says)
      const fix = r.stderr.split('\n').find((l) => l.startsWith('  fix: '))
      expect(fix, r.stderr).toBeDefined()
      if (row.fix !== undefined) expect(fix).toMatch(row.fix)
    }
    if (row.shows !== undefined) expect(out).toMatch(row.shows)
  })
})

describe('bad input the stages cannot be run on here, in process', () => {
  const p = project()

  it('a default .env that is a link to nowhere: the first run does not claim to write it, loading names the link', () => {
    const root = path.join(p.dir, 'dangling-root')
    mkdirSync(root)
    symlinkSync(path.join(root, 'gone'), path.join(root, '.env'))
    expect(envFileToCreate({ root, env: {} })).toBeNull()
    expect(ensureEnvFile({ root, env: {} }).created).toBeNull()
    expect(() => readEnvFile(root, undefined, {})).toThrow(/is a symbolic link to .*gone, which does not exist/)
    try {
      readEnvFile(root, undefined, {})
    } catch (e) {
      expect((e as ConfigError).fix).toBe(
        `rm .env (a first run then writes a new one), or create ${path.join(root, 'gone')}`,
      )
    }
  })

  it('a first-run .env that cannot be written (read-only checkout) is one line with a way around it', () => {
    // /sys refuses new files even to root, as a read-only file system does (EROFS has the same answer)
    let err: unknown
    try {
      ensureEnvFile({ root: '/sys', env: {} })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(KitError)
    expect((err as KitError).message).toMatch(/^cannot write \.env with generated secrets: .*\(E[A-Z]+\)$/)
    expect((err as KitError).fix).toContain('export KIT_ENV_FILE=')
  })

  it('an unexpected error is one cause line and a fix; the trace only with KIT_DEBUG=1', () => {
    const lines: string[] = []
    const log = createLog({ redact: (s) => s, dryRun: false, stderr: { write: (s: string) => lines.push(s) } })
    const e = Object.assign(new Error("EIO: i/o error, read '/some/file'"), { code: 'EIO' })
    report(log, e, 'deploy', { trace: false })
    expect(lines.join('')).toBe(
      "✖ deploy stopped on an unexpected error: EIO: i/o error, read '/some/file'\n" +
        '  fix: check the file or value named above; if it is right, run it again as KIT_DEBUG=1 npx zx scripts/deploy.ts and report the output\n',
    )
    lines.length = 0
    report(log, e, 'deploy', { trace: true })
    expect(lines.join('')).toMatch(/\n\s+at /)
  })
})
