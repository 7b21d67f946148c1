// Runs the kit's stages as real subprocesses against the fake tools in fakes/, in a throwaway project: a tiny app,
// Dockerfiles and chart in a temp dir, a .env with secrets, and a PATH with nothing but the fakes and node (no shell at all).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../scripts/lib/config.ts'
import { releaseImages } from '../../scripts/lib/images.ts'

export const root = path.resolve(import.meta.dirname, '../..')
const zxCli = path.join(root, 'node_modules/zx/build/cli.js')
const fakes = path.join(import.meta.dirname, 'fakes')

export const SECRETS = {
  BETTER_AUTH_SECRET: 'ba-secret-0123456789-abcdefghijklmnop',
  POSTGRES_PASSWORD: 'pg-pass-7f3e9c1d',
  OPENAI_API_KEY: 'sk-test-openai-5a6b7c8d9e',
}
export const ALL_TOOLS = ['docker', 'minikube', 'kubectl', 'helm', 'ctr', 'kind'] as const

/** dockerHost: the DOCKER_HOST the command ran with (LOAD_METHOD=docker-env gives it to docker only) */
export type Call = { tool: string; args: string[]; stdin?: string; dockerHost?: string }
/** timedOut: the stage was still running at the time limit and was killed */
export type RunResult = { code: number; stdout: string; stderr: string; calls: Call[]; timedOut?: boolean }
export type State = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export type Project = {
  dir: string
  env: Record<string, string>
  state(): State
  setState(patch: State): void
  write(rel: string, content: string): void
  /** put the images of the current sources everywhere a load method looks (docker, minikube, containerd, registry) */
  seedImages(env?: Record<string, string>): void
  /** run `zx scripts/<stage>.ts args` and return exit code, output and the tool calls it made */
  run(stage: string, args?: string[], env?: Record<string, string>, o?: { timeoutMs?: number }): Promise<RunResult>
}

function which(name: string): string {
  for (const d of (process.env.PATH ?? '').split(path.delimiter))
    if (existsSync(path.join(d, name))) return path.join(d, name)
  throw new Error(`${name} not on PATH`)
}

/** repoPaths: use the project's own app/, Dockerfiles and chart (the defaults) instead of the throwaway ones */
export function project(
  opts: { tools?: readonly string[]; env?: Record<string, string>; envFile?: string; repoPaths?: boolean } = {},
): Project {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-'))
  const w = (rel: string, content: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
  w('frontend/package.json', '{"name":"fe","dependencies":{"next":"16.0.0"}}\n')
  w('frontend/app/page.tsx', 'export default function Page() { return null }\n')
  w('frontend/node_modules/big/index.js', 'ignored by the ignore file\n')
  w('backend/app/main.py', 'app = None\n')
  w('backend/pyproject.toml', '[project]\nname = "be"\nversion = "0.1.0"\n')
  w('docker/frontend.Dockerfile', 'ARG NODE_IMAGE=node:24-slim\nFROM ${NODE_IMAGE}\nCOPY . /app\n')
  w('docker/frontend.Dockerfile.dockerignore', '**/node_modules\n')
  w('docker/backend.Dockerfile', 'ARG PYTHON_IMAGE=python:3.13-slim\nFROM ${PYTHON_IMAGE}\nCOPY . /app\n')
  w('chart/Chart.yaml', 'apiVersion: v2\nname: todo-chatbot\nversion: 0.1.0\nkubeVersion: ">=1.30.0-0"\n')
  w('chart/values.yaml', 'existingSecret: todo-secrets\n')
  w('values-extra.yaml', 'frontend:\n  replicaCount: 1\n')
  const envFile =
    opts.envFile ??
    Object.entries(SECRETS)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  w('.env', envFile)

  const bin = path.join(dir, 'bin')
  mkdirSync(bin)
  for (const t of opts.tools ?? ALL_TOOLS) symlinkSync(path.join(fakes, t), path.join(bin, t))
  const sys = path.join(dir, 'sys')
  mkdirSync(sys)
  symlinkSync(process.execPath, path.join(sys, 'node'))
  // no bash, no sh: the stages start every command without a shell, as on Windows without Git Bash

  const statePath = path.join(dir, 'state.json')
  // kubectl points at the minikube profile, as setup leaves it
  writeFileSync(statePath, '{"context":"todo"}')
  const logPath = path.join(dir, 'calls.log')
  writeFileSync(logPath, '')
  const env: Record<string, string> = {
    PATH: [bin, sys].join(path.delimiter),
    HOME: dir,
    FAKE_STATE: statePath,
    FAKE_LOG: logPath,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    KIT_ENV_FILE: path.join(dir, '.env'),
    // no stage test asks PyPI: a refused port (the wheel data a test needs is put in HOME's cache by the test)
    KIT_PYPI_URL: 'http://127.0.0.1:47/pypi',
    // the stage tests spell out the image-load path; the default (docker-env on a docker profile, image load
    // otherwise) has its own tests, which unset this (LOAD_METHOD: '')
    ...(opts.env?.CLUSTER === 'existing' ? {} : { LOAD_METHOD: 'minikube' }),
    ...(opts.repoPaths
      ? {}
      : {
          FRONTEND_DIR: path.join(dir, 'frontend'),
          BACKEND_DIR: path.join(dir, 'backend'),
          FRONTEND_DOCKERFILE: path.join(dir, 'docker/frontend.Dockerfile'),
          BACKEND_DOCKERFILE: path.join(dir, 'docker/backend.Dockerfile'),
          CHART_DIR: path.join(dir, 'chart'),
        }),
    ...opts.env,
  }
  const state = (): State => JSON.parse(readFileSync(statePath, 'utf8')) as State
  return {
    dir,
    env,
    state,
    setState: (patch) => writeFileSync(statePath, JSON.stringify({ ...state(), ...patch })),
    write: w,
    seedImages: (extra = {}) => {
      const cfg = loadConfig({ env: { ...env, ...extra }, envFile: env.KIT_ENV_FILE })
      const refs = releaseImages(cfg)
      const st = state()
      const add = (list: string[] | undefined, items: string[]): string[] => [...new Set([...(list ?? []), ...items])]
      st.images = add(
        st.images,
        refs.map((i) => i.local),
      )
      st.minikube = {
        running: true,
        addons: {},
        ...st.minikube,
        images: add(
          st.minikube?.images,
          refs.map((i) => `docker.io/library/${i.local}`),
        ),
      }
      st.ctr = add(
        st.ctr,
        refs.map((i) => `docker.io/library/${i.local}`),
      )
      st.registry = add(
        st.registry,
        refs.map((i) => i.ref),
      )
      writeFileSync(statePath, JSON.stringify(st))
    },
    run: (stage, args = [], extra = {}, o = {}) =>
      new Promise((resolve) => {
        const before = readFileSync(logPath, 'utf8').length
        execFile(
          process.execPath,
          [zxCli, path.join(root, 'scripts', `${stage}.ts`), ...args],
          { cwd: dir, env: { ...env, ...extra }, timeout: o.timeoutMs ?? 60_000 },
          (err, stdout, stderr) => {
            const calls = readFileSync(logPath, 'utf8')
              .slice(before)
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as Call)
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
            resolve({ code, stdout, stderr, calls, timedOut: Boolean(err?.killed) })
          },
        )
      }),
  }
}

/** "tool arg arg" lines, for readable order assertions */
export const lines = (calls: Call[]): string[] => calls.map((c) => [c.tool, ...c.args].join(' '))
/** calls that change something (not the read-only looks every stage takes) */
export function mutating(calls: Call[]): string[] {
  const ro = [
    /^docker (version|ai version|image inspect|manifest inspect)/,
    /^minikube (version|status|addons list|image ls|ip)/,
    /^minikube -p \S+ docker-env/,
    /^kubectl (version|config current-context|get )/,
    /^helm (version|status|get |template )/,
    /^ctr .*(version|images ls)/,
    /^kind version/,
  ]
  return lines(calls).filter((l) => !ro.some((r) => r.test(l)))
}
