// Part of `npm run test:setup` (./fetch-k8s-tools.ts calls it): installs the chart suite's manifest scanners at their
// pinned versions (./scanners.ts) into the tools cache, once.
//  - kube-score: `go install <pkg>@<version>` from the Go module proxy into a directory of its own, renamed into place.
//    When the proxy refuses the version lookup that `go install` makes, the module is fetched with
//    `go mod download <module>@<version>` and built from a writable copy of it instead.
//  - checkov: a virtualenv made with `python3 -m venv` in its final place (a virtualenv cannot be moved), then
//    `pip install checkov==<version>`; a marker file written last tells a finished install from an interrupted one.
// Cached: a later run only checks the markers, in milliseconds.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { cacheRoot } from './k8s-tools.ts'
import { CHECKOV, checkovPaths, installed, KUBE_SCORE, kubeScorePaths, MARKER } from './scanners.ts'

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    return { ok: false, out: `${cmd}: not found on PATH` }
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() }
}

function fetchKubeScore(): string {
  const s = kubeScorePaths()
  if (installed(s)) return `✔ kube-score ${s.version} (cached in ${s.dir})`
  if (!run('go', ['version']).ok) {
    throw new Error(
      `kube-score is built with Go, and go is not on PATH: install Go >= 1.23 (e.g. apt-get install golang-go) and rerun npm run test:setup`,
    )
  }
  const t = Date.now()
  const tmp = `${s.dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    const spec = `${KUBE_SCORE.pkg}@${KUBE_SCORE.version}`
    const install = run('go', ['install', spec], { env: { GOBIN: tmp, GOFLAGS: '-buildvcs=false' } })
    if (!install.ok) {
      // the proxy sometimes refuses the lookup `go install` makes but serves the pinned module itself
      const dl = run('go', ['mod', 'download', '-json', `${KUBE_SCORE.module}@${KUBE_SCORE.version}`])
      let dir: string | undefined
      try {
        dir = (JSON.parse(dl.out) as { Dir?: string }).Dir
      } catch {
        /* reported below */
      }
      if (!dir)
        throw new Error(`go install ${spec} failed:\n${install.out}\nand go mod download failed too:\n${dl.out}`)
      const src = path.join(tmp, 'src')
      cpSync(dir, src, { recursive: true })
      execFileSync('chmod', ['-R', 'u+w', src])
      const build = run('go', ['build', '-o', path.join(tmp, 'kube-score'), './cmd/kube-score'], {
        cwd: src,
        env: { GOFLAGS: '-mod=mod -buildvcs=false' },
      })
      if (!build.ok) throw new Error(`building ${spec} from the module source failed:\n${build.out}`)
      rmSync(src, { recursive: true, force: true })
    }
    const version = run(path.join(tmp, 'kube-score'), ['version'])
    if (!version.ok) throw new Error(`the kube-score just built does not run:\n${version.out}`)
    writeFileSync(path.join(tmp, MARKER), `${s.version}\n`)
    rmSync(s.dir, { recursive: true, force: true })
    renameSync(tmp, s.dir)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return `✔ kube-score ${s.version}: built in ${((Date.now() - t) / 1000).toFixed(1)}s into ${s.dir}`
}

function fetchCheckov(): string {
  const s = checkovPaths()
  if (installed(s)) return `✔ checkov ${s.version} (cached in ${s.dir})`
  const py = run('python3', ['-c', 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)'])
  if (!py.ok) {
    throw new Error(
      `checkov needs Python >= 3.9 with the venv module as python3 (${py.out || 'too old'}): install it (e.g. apt-get install python3 python3-venv) and rerun npm run test:setup`,
    )
  }
  const t = Date.now()
  rmSync(s.dir, { recursive: true, force: true })
  mkdirSync(s.dir, { recursive: true })
  try {
    const venv = path.join(s.dir, 'venv')
    const mk = run('python3', ['-m', 'venv', venv])
    if (!mk.ok) throw new Error(`python3 -m venv ${venv} failed:\n${mk.out}`)
    const pip = run(path.join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      `${CHECKOV.pkg}==${CHECKOV.version}`,
    ])
    if (!pip.ok) throw new Error(`pip install ${CHECKOV.pkg}==${CHECKOV.version} failed:\n${pip.out}`)
    const version = run(s.bin, ['--version'])
    if (!version.ok || version.out.trim() !== s.version)
      throw new Error(`the checkov just installed reports ${JSON.stringify(version.out)}, expected ${s.version}`)
    writeFileSync(path.join(s.dir, MARKER), `${s.version}\n`)
  } catch (err) {
    rmSync(s.dir, { recursive: true, force: true })
    throw err
  }
  return `✔ checkov ${s.version}: installed in ${((Date.now() - t) / 1000).toFixed(1)}s into ${s.dir}`
}

/** Installs whichever scanner is missing, logging one line per scanner as it is ready. Throws with what to do on failure. */
export function fetchScanners(log: (line: string) => void = console.log): void {
  mkdirSync(cacheRoot(), { recursive: true })
  log(fetchKubeScore())
  log(fetchCheckov())
}

// run on its own: node test/support/fetch-scanners.ts
if (import.meta.filename === process.argv[1]) {
  try {
    fetchScanners()
  } catch (err) {
    console.error(`✖ test:setup: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  }
}
