// Offline, strict validation of Kubernetes manifests against a given Kubernetes version's OpenAPI
// schemas, the way the API server would check them (types, formats, names, unknown fields rejected).
//
// The validator is kubectl-validate (sigs.k8s.io/kubectl-validate), built once with `go install`
// from the Go module proxy. Its built-in schemas stop at 1.30, so the schemas come from the
// Kubernetes release itself: the k8s.io/kubernetes Go module carries api/openapi-spec/v3, laid out
// here as <dir>/api/v1.json and <dir>/apis/<group>/<version>.json (kubectl-validate --local-schemas).
// Both land in the test tools cache beside helm and kubectl (./k8s-tools.ts: cacheRoot(), outside the checkout, so
// every checkout shares them and none carries files of an earlier run) and are reused by later runs.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { cacheRoot } from './k8s-tools.ts'

const KUBECTL_VALIDATE = 'sigs.k8s.io/kubectl-validate@v0.0.4'

function go(args: string[], env: Record<string, string> = {}): string {
  try {
    return execFileSync('go', args, {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (err) {
    const e = err as { code?: string; stderr?: string }
    if (e.code === 'ENOENT') {
      throw new Error(
        'go is not on PATH: the chart schema tests build kubectl-validate with it. Install Go ≥ 1.22 (apt-get install golang-go) and rerun.',
      )
    }
    throw new Error(
      `go ${args.join(' ')} failed:\n${e.stderr ?? String(err)}\nFix the Go module proxy access (GOPROXY) and rerun.`,
    )
  }
}

/** Path of the kubectl-validate binary, built on first use. */
export function kubectlValidate(): string {
  const dir = path.join(cacheRoot(), `kubectl-validate@${KUBECTL_VALIDATE.split('@')[1]!}`)
  const bin = path.join(dir, 'kubectl-validate')
  if (!existsSync(bin)) {
    // Test files run in parallel workers: each builds into its own directory, and the rename into
    // place is atomic, so a concurrent first run never sees half a binary.
    const own = `${dir}.tmp-${process.pid}`
    mkdirSync(own, { recursive: true })
    go(['install', KUBECTL_VALIDATE], { GOBIN: own })
    mkdirSync(dir, { recursive: true })
    renameSync(path.join(own, 'kubectl-validate'), bin)
    rmSync(own, { recursive: true, force: true })
  }
  return bin
}

/** Directory of the OpenAPI v3 schemas of Kubernetes `version` (e.g. "1.33.13"), fetched on first use. */
export function kubernetesSchemas(version: string): string {
  const dir = path.join(cacheRoot(), 'k8s-openapi', `v${version}`)
  if (existsSync(path.join(dir, 'api', 'v1.json'))) return dir
  const info = JSON.parse(go(['mod', 'download', '-json', `k8s.io/kubernetes@v${version}`])) as {
    Dir?: string
    Error?: string
  }
  if (!info.Dir)
    throw new Error(`go mod download k8s.io/kubernetes@v${version}: ${info.Error ?? 'no module directory'}`)
  const spec = path.join(info.Dir, 'api', 'openapi-spec', 'v3')
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  for (const file of readdirSync(spec)) {
    // api__v1_openapi.json → api/v1.json; apis__apps__v1_openapi.json → apis/apps/v1.json.
    // Group-list documents (apis__apps_openapi.json) and non-resource paths are left out.
    const m = /^(api__v1|apis__[^_]+__v[0-9a-z]+)_openapi\.json$/.exec(file)
    if (!m) continue
    const target = path.join(tmp, ...m[1]!.split('__')) + '.json'
    mkdirSync(path.dirname(target), { recursive: true })
    copyFileSync(path.join(spec, file), target)
  }
  if (!existsSync(path.join(tmp, 'api', 'v1.json'))) throw new Error(`no api__v1_openapi.json under ${spec}`)
  try {
    renameSync(tmp, dir)
  } catch (err) {
    // Another worker got there first with the same files.
    rmSync(tmp, { recursive: true, force: true })
    if (!existsSync(path.join(dir, 'api', 'v1.json'))) throw err
  }
  return dir
}

/** The Gateway API release whose standard-channel HTTPRoute CRD the chart's route is validated against. */
export const GATEWAY_API = 'sigs.k8s.io/gateway-api@v1.6.1'

/**
 * A directory with the Gateway API's HTTPRoute CRD (standard channel) for kubectl-validate --local-crds, from the
 * GATEWAY_API module (fetched once through the Go module proxy, as the Kubernetes schemas are).
 */
export function gatewayApiCrds(): { dir: string; version: string } {
  const version = GATEWAY_API.split('@')[1]!
  const dir = path.join(cacheRoot(), `gateway-api-crds@${version}`)
  const target = path.join(dir, 'gateway.networking.k8s.io_httproutes.yaml')
  if (existsSync(target)) return { dir, version }
  const info = JSON.parse(go(['mod', 'download', '-json', GATEWAY_API])) as { Dir?: string; Error?: string }
  if (!info.Dir) throw new Error(`go mod download ${GATEWAY_API}: ${info.Error ?? 'no module directory'}`)
  // only the CRD: the module's directory also holds a ValidatingAdmissionPolicy, which is no CRD
  const crd = path.join(info.Dir, 'config', 'crd', 'standard', path.basename(target))
  mkdirSync(dir, { recursive: true })
  copyFileSync(crd, `${target}.tmp-${process.pid}`)
  renameSync(`${target}.tmp-${process.pid}`, target)
  return { dir, version }
}

export type ValidationIssue = { object: string; message: string }

/**
 * Validates multi-document YAML files strictly against Kubernetes `version`, in one run (and against the CRDs in
 * `crds`, a directory, for the kinds they define).
 * Returns, per file, one issue per invalid object; an empty list means every object is valid.
 */
export function validateFiles(
  files: string[],
  version: string,
  opts: { crds?: string } = {},
): Map<string, ValidationIssue[]> {
  const bin = kubectlValidate()
  const schemas = kubernetesSchemas(version)
  const crds = opts.crds ? ['--local-crds', opts.crds] : []
  const res = spawnSync(bin, ['--local-schemas', schemas, ...crds, '--output', 'json', ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (res.error) throw res.error
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(res.stdout) as Record<string, unknown>
  } catch {
    throw new Error(`kubectl-validate printed no JSON (exit ${res.status}):\n${res.stdout}\n${res.stderr}`)
  }
  const out = new Map<string, ValidationIssue[]>()
  for (const file of files) {
    const entry = parsed[file]
    if (entry === undefined) throw new Error(`kubectl-validate reported nothing for ${file}:\n${res.stderr}`)
    const results = (Array.isArray(entry) ? entry : [entry]) as {
      status?: string
      message?: string
      details?: { kind?: string; name?: string }
    }[]
    out.set(
      file,
      results
        .filter((r) => r.status !== 'Success')
        .map((r) => ({
          object: `${r.details?.kind ?? '?'}/${r.details?.name ?? '?'}`,
          message: r.message ?? JSON.stringify(r),
        })),
    )
  }
  const failed = [...out.values()].some((issues) => issues.length > 0)
  if (res.status !== 0 && !failed)
    throw new Error(`kubectl-validate exited ${res.status} without a result:\n${res.stdout}\n${res.stderr}`)
  return out
}

/** Validates one multi-document YAML file; see validateFiles. */
export function validateManifests(file: string, version: string): ValidationIssue[] {
  return validateFiles([file], version).get(file) ?? []
}
