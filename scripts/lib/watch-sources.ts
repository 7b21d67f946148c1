// What `dev` watches: each image's build context with that image's own ignore rules, plus its Dockerfile and ignore
// file, so a save inside node_modules/, .next/ or a virtualenv wakes nothing while any file docker would send does.
// The watcher only says that something may have changed; the content-hash tag (images.ts) decides whether it did.
import path from 'node:path'
import { watch } from 'chokidar'
import type { ImageSpec } from './config.ts'
import { dockerignoreMatcher, ignoreMatcher } from './images.ts'

type Component = ImageSpec['component']

function ignoreRules(spec: ImageSpec): (rel: string, isDir: boolean | undefined) => boolean {
  let m: ReturnType<typeof dockerignoreMatcher>
  try {
    m = ignoreMatcher(spec).matcher
  } catch {
    // a malformed ignore file: build says so; until it is fixed, every change counts
    m = dockerignoreMatcher([])
  }
  // an excluded directory is skipped whole unless a `!` rule may re-include something below it (as buildInputs walks)
  // (chokidar asks once before it knows whether a path is a directory)
  return (rel, isDir) => m.excluded(rel) && !(isDir !== false && m.hasNegations)
}

export async function watchSources(
  specs: ImageSpec[],
  onChange: (component: Component, file: string) => void,
): Promise<{ close(): Promise<void> }> {
  const rules = new Map(specs.map((s) => [s.component, ignoreRules(s)]))
  const owners = (abs: string): { spec: ImageSpec; rel: string }[] =>
    specs.flatMap((spec) => {
      if (abs === spec.dockerfile || abs === `${spec.dockerfile}.dockerignore`) return [{ spec, rel: '' }]
      const rel = path.relative(spec.contextDir, abs).split(path.sep).join('/')
      return rel.startsWith('..') || path.isAbsolute(rel) ? [] : [{ spec, rel }]
    })
  const paths = [...new Set(specs.flatMap((s) => [s.contextDir, s.dockerfile, `${s.dockerfile}.dockerignore`]))]
  const watcher = watch(paths, {
    ignoreInitial: true,
    ignored: (abs, stats) => {
      const own = owners(abs)
      // a path is watched while any image would send it (two contexts may overlap)
      return (
        own.length > 0 &&
        own.every(({ spec, rel }) => rel !== '' && rules.get(spec.component)!(rel, stats?.isDirectory()))
      )
    },
  })
  watcher.on('all', (_event, abs) => {
    for (const { spec, rel } of owners(abs)) {
      // the ignore file decides what counts: read it again when it changes
      if (rel === '.dockerignore' || abs === `${spec.dockerfile}.dockerignore`)
        rules.set(spec.component, ignoreRules(spec))
      if (rel === '' || !rules.get(spec.component)!(rel, false)) onChange(spec.component, abs)
    }
  })
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', resolve)
    watcher.once('error', reject)
  })
  return { close: () => watcher.close() }
}
