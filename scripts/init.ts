#!/usr/bin/env zx
// init: point the kit at an existing app without changing it. Reads the app's files, decides what it can (with the
// file:line each decision rests on), writes .env keys that are still unset and a values file for the chart, and lists
// what it could not decide with the key to set, and what needs support the chart or the kit lacks today.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'yaml'
import { defineStage, shownPath, type Ctx, type Flags } from './lib/stage.ts'
import { isMain, main } from './lib/cli.ts'
import { loadConfig, type Config } from './lib/config.ts'
import { isPublicEnvKey, KEYS } from './lib/config-keys.ts'
import { addEnvKeys, withEnvKeys } from './lib/env-file.ts'
import { readTextFile } from './lib/safe-read.ts'
import { ConfigError, fail } from './lib/errors.ts'
import { findApps } from './lib/app/find-apps.ts'
import { isNextApp } from './lib/app/detect-frontend.ts'
import { isPythonApp } from './lib/app/detect-backend.ts'
import { inspectApp } from './lib/app/inspect.ts'
import { CHART_ENV, planInit, type AppValues, type Plan } from './lib/app/plan.ts'
import { reportLines } from './lib/app/report.ts'
import {
  appPins,
  choosePython,
  hostPlatform,
  loadWheelData,
  platformName,
  pythonCandidates,
  wheelSource,
} from './lib/app/python-wheels.ts'
import { lastChange } from './lib/app/last-change.ts'

export const VALUES_FILE = path.join('.kit', 'app-values.yaml')

export const init = defineStage({
  name: 'init',
  summary: 'inspect an existing app (read-only) and write the .env keys and chart values it needs',
  flags: {
    app: {
      type: 'string',
      description: 'the app repository: init finds the Next.js frontend and the FastAPI backend in it',
    },
    frontend: { type: 'string', description: 'the frontend directory (instead of finding it under --app)' },
    backend: { type: 'string', description: 'the backend directory (instead of finding it under --app)' },
  },
  description: `
Reads the app and never changes it. Prints each setting it inferred with the file:line it came from, each thing it
could not decide with the exact key to set, and what needs chart or kit support. Writes:
  .env                   created with generated secrets when missing; keys it decided (FRONTEND_DIR, BACKEND_DIR,
                         PYTHON_IMAGE, NODE_IMAGE, FRONTEND_AUTH_MIGRATE, FRONTEND_DB_DRIVER,
                         BACKEND_DEPS_AS_OF (a backend without a lock file: its last commit's time),
                         BACKEND_DEPS_FROM, APP_SECRETS, NEXT_PUBLIC_* values it derives from PUBLIC_URL,
                         HELM_VALUES_FILES) are added only when unset, nothing else changes; the app's secrets are
                         named in APP_SECRETS and listed for you to fill in (init never writes a secret value)
  .kit/app-values.yaml   chart values for the app (next to .env; no secret values, git-ignored), listed in
                         HELM_VALUES_FILES; rewritten on each run unless you edited it
When the app pins no Python (.python-version, runtime.txt, a requires-python that names one), PYTHON_IMAGE is the newest
Python from the default down to 3.11 that every pinned dependency (and each exact version their releases require) has
a Linux wheel for, from PyPI's release data (cached in $XDG_CACHE_HOME/todo-k8s-kit/pypi, ~/.cache by default; another
index's JSON API: KIT_PYPI_URL); with PyPI out of reach and nothing cached, the default stays and init says so.
Running it again changes nothing. Exit code 0 when the app was inspected, also with open items; 1 when the
directories cannot be found or read.`,
  checkPaths: false,
  needsSecrets: true,
  createsEnvFile: true,
  run,
})

type Dirs = { frontend: string; backend: string; labels: { frontend: string; backend: string } }

function resolveDirs(flags: Flags): Dirs {
  const given = (k: 'app' | 'frontend' | 'backend'): string | undefined =>
    typeof flags[k] === 'string' ? path.resolve(flags[k] as string) : undefined
  const app = given('app')
  let frontend = given('frontend')
  let backend = given('backend')
  const usage = 'npx zx scripts/init.ts --app <your app repository>   (or: --frontend <dir> --backend <dir>)'
  if (!app && (!frontend || !backend))
    fail(`init needs the app: --app <repository>, or both --frontend and --backend`, usage)
  for (const [flag, dir] of [
    ['--app', app],
    ['--frontend', frontend],
    ['--backend', backend],
  ] as const)
    if (dir && (!existsSync(dir) || !statSync(dir).isDirectory())) fail(`${flag} ${dir} is not a directory`, usage)
  if (app) {
    const found = findApps(app)
    const pick = (what: string, list: string[], flag: string, current?: string): string => {
      if (current) return current
      if (list.length === 1) return list[0]!
      if (!list.length) fail(`no ${what} under ${app}`, `npx zx scripts/init.ts --app ${app} ${flag} <dir>`)
      return fail(
        `${list.length} candidates for the ${what} under ${app}: ${list.map((d) => path.relative(app, d) || '.').join(', ')}`,
        `npx zx scripts/init.ts --app ${app} ${flag} ${list[0]}`,
      )
    }
    frontend = pick('Next.js frontend (a package.json that depends on next)', found.frontends, '--frontend', frontend)
    backend = pick(
      'FastAPI backend (pyproject.toml, requirements.txt or uv.lock and an `app = FastAPI(`)',
      found.backends,
      '--backend',
      backend,
    )
  }
  if (!isNextApp(frontend!))
    fail(
      `${frontend} is not a Next.js app (no package.json that depends on next)`,
      `npx zx scripts/init.ts --frontend <the Next.js app directory> --backend ${backend}`,
    )
  if (!isPythonApp(backend!))
    fail(
      `${backend} is not a Python app (no pyproject.toml, requirements.txt, uv.lock, setup.py or Pipfile)`,
      `npx zx scripts/init.ts --frontend ${frontend} --backend <the FastAPI app directory>`,
    )
  const label = (d: string): string => {
    const base = app ?? process.cwd()
    const r = path.relative(base, d)
    return r.startsWith('..') || path.isAbsolute(r) ? d : r
  }
  return { frontend: frontend!, backend: backend!, labels: { frontend: label(frontend!), backend: label(backend!) } }
}

type Findings = ReturnType<typeof inspectApp>

// NEXT_PUBLIC_* names that hold the URL users open
const PUBLIC_URL_NAME = /^NEXT_PUBLIC_(APP|SITE|BASE|FRONTEND|PUBLIC|AUTH|BETTER_AUTH)_?URL$/

/**
 * The .env keys for what the app reads that the plan leaves to the kit: its own secrets (APP_SECRETS; their values are
 * the user's to fill in, init never writes one) and NEXT_PUBLIC_* build-time values (written when init can derive one
 * from PUBLIC_URL, else an open item). Adds the open items and settings to the plan, returns the .env entries.
 */
export function appEnvEntries(findings: Findings, plan: Plan, cfg: Config): Record<string, string> {
  const entries: Record<string, string> = {}
  const kitKeys = new Set(KEYS.map((k) => k.key))
  type Read = Findings['backend']['env'][number]
  const secrets = new Map<string, { component: 'backend' | 'frontend'; reads: Read[] }>()
  for (const c of ['backend', 'frontend'] as const) {
    const mapped = new Set(plan.values[c].extraEnv.map((e) => e.name))
    for (const r of findings[c].env) {
      if (
        r.kind !== 'secret' ||
        mapped.has(r.name) ||
        CHART_ENV[c].includes(r.name) ||
        kitKeys.has(r.name) ||
        isPublicEnvKey(r.name)
      )
        continue
      // plan's notes say how to give an optional one
      if (r.optional) continue
      const known = secrets.get(r.name)
      if (known) known.reads.push(r)
      else secrets.set(r.name, { component: c, reads: [r] })
    }
  }
  const names = [...secrets.keys()].sort()
  if (names.length) entries.APP_SECRETS = names.join(',')
  for (const name of names) {
    if (cfg.appSecrets[name]) continue
    const { component, reads } = secrets.get(name)!
    plan.open.push({
      component,
      what: `secret ${name} (APP_SECRETS names it: deploy puts it into the Secret; init never writes a secret value)`,
      used: null,
      key: `${name}=<the value> in .env`,
      from: reads.flatMap((r) => r.from),
    })
  }

  const direct = new Set(findings.frontend.backendAccess.filter((a) => a.how === 'direct').map((a) => a.variable))
  const seen = new Set<string>()
  for (const r of findings.frontend.env) {
    if (r.kind !== 'build' || !isPublicEnvKey(r.name) || seen.has(r.name)) continue
    seen.add(r.name)
    if (direct.has(r.name) || PUBLIC_URL_NAME.test(r.name)) {
      entries[r.name] = cfg.publicUrl
      plan.settings.push({
        component: 'frontend',
        what: `build-time ${r.name} (${direct.has(r.name) ? 'the backend URL the browser calls' : 'the URL users open'}; from PUBLIC_URL)`,
        value: cfg.publicUrl,
        to: `.env ${r.name} (the build arg NEXT_PUBLIC_ENV)`,
        from: r.from,
      })
    } else if (!r.optional && cfg.publicEnv[r.name] === undefined)
      plan.open.push({
        component: 'frontend',
        what: `${r.name} (read at build time, no default; a public value, baked into the browser bundle)`,
        used: null,
        key: `${r.name}=<the value> in .env`,
        from: r.from,
      })
  }
  return entries
}

// The values file records a hash of what init wrote, so a file the user edited is never overwritten.
const HASH_LINE = /^# init-hash: ([0-9a-f]{16})$/m
const bodyHash = (body: string): string => createHash('sha256').update(body).digest('hex').slice(0, 16)

export function renderValues(values: AppValues, source: string): string {
  const body = stringify(values, { lineWidth: 0 })
  return [
    `# Chart values for the app in ${source}, written by: npx zx scripts/init.ts`,
    '# No secret values: environment entries point at the Secret deploy makes from .env.',
    '# init rewrites this file on each run while it is unchanged; once you edit it, init leaves it alone.',
    `# init-hash: ${bodyHash(body)}`,
    body,
  ].join('\n')
}

const edited = (text: string): boolean => {
  const m = HASH_LINE.exec(text)
  const body = text.split('\n').slice(4).join('\n')
  return !m || m[1] !== bodyHash(body)
}

/**
 * What PyPI says about the pins' wheels on each Python init may choose; undefined when the app pins its Python (init
 * keeps that) or pins no dependency.
 */
async function pythonWheels(f: Findings, pythonImage: string): Promise<Parameters<typeof planInit>[1]['wheels']> {
  if (f.backend.python?.value.exact) return undefined
  const app = appPins(f.backend.dir)
  if (!app.pins.length) return undefined
  const candidates = pythonCandidates(pythonImage, f.backend.python)
  if (!candidates.length) return undefined
  const platform = hostPlatform()
  const data = await loadWheelData(app, wheelSource())
  return { choice: choosePython(data, candidates, platform), platform: platformName(platform) }
}

async function run(ctx: Ctx, flags: Flags): Promise<void> {
  const { cfg, dryRun, log } = ctx
  const dirs = resolveDirs(flags)
  const findings = inspectApp(dirs)
  const pythonImage = cfg.values.PYTHON_IMAGE ?? 'python:3.13-slim'
  const plan: Plan = planInit(findings, {
    publicUrl: cfg.publicUrl,
    secretName: cfg.secretName,
    release: cfg.release,
    pythonImage,
    nodeImage: cfg.values.NODE_IMAGE ?? 'node:24-slim',
    wheels: await pythonWheels(findings, pythonImage),
    backendChanged: lastChange(dirs.backend),
  })

  const envFile = cfg.envFile ?? path.join(cfg.root, '.env')
  const valuesFile = path.join(path.dirname(envFile), VALUES_FILE)
  const valuesRef = shownPath(cfg, valuesFile)
  const entries: Record<string, string> = {
    FRONTEND_DIR: shownPath(cfg, dirs.frontend),
    BACKEND_DIR: shownPath(cfg, dirs.backend),
    ...plan.env,
    ...appEnvEntries(findings, plan, cfg),
    HELM_VALUES_FILES: valuesRef,
  }

  log.out(`init: frontend ${dirs.frontend}`)
  log.out(`      backend  ${dirs.backend}`)
  log.out('')
  for (const l of reportLines(plan, dirs.labels)) log.out(l)

  // ---------- .env ----------
  const heading = `added by init for ${typeof flags.app === 'string' ? flags.app : `${dirs.frontend} and ${dirs.backend}`}`
  const current = existsSync(envFile) ? readTextFile(envFile) : ''
  const planned = withEnvKeys(current, entries, heading)
  log.out('')
  log.out(`${path.basename(envFile)}:`)
  for (const k of planned.added) log.out(`  ${dryRun ? 'would add' : 'add'} ${k}=${entries[k]}`)
  for (const [k, v] of Object.entries(planned.kept)) {
    if (v === entries[k]) log.out(`  ${k}=${v} (already set)`)
    else if (
      k === 'HELM_VALUES_FILES' &&
      !v
        .split(',')
        .map((x) => x.trim())
        .includes(valuesRef)
    )
      log.out(`  kept ${k}=${v}; add ${valuesRef} to it so deploy applies the app's values: ${k}=${v},${valuesRef}`)
    else log.out(`  kept ${k}=${v} (init found ${entries[k]})`)
  }
  if (!dryRun && planned.added.length) addEnvKeys(envFile, entries, heading)

  // ---------- values file ----------
  const text = renderValues(
    plan.values,
    flags.app ? String(flags.app) : `${dirs.labels.frontend} + ${dirs.labels.backend}`,
  )
  const old = existsSync(valuesFile) ? readTextFile(valuesFile) : null
  log.out('')
  if (old !== null && old.split('\n').slice(4).join('\n') === text.split('\n').slice(4).join('\n'))
    log.out(`${valuesRef}: unchanged`)
  else if (old !== null && edited(old)) {
    log.out(`${valuesRef}: you edited it, so init leaves it; what init would write now:`)
    for (const l of text.trimEnd().split('\n')) log.out(`  ${l}`)
  } else if (dryRun) {
    log.out(`${valuesRef}: would ${old === null ? 'write' : 'rewrite'}:`)
    for (const l of text.trimEnd().split('\n')) log.out(`  ${l}`)
  } else {
    mkdirSync(path.dirname(valuesFile), { recursive: true })
    writeFileSync(valuesFile, text)
    log.out(`${valuesRef}: ${old === null ? 'written' : 'rewritten'}`)
  }

  if (!dryRun) {
    // what deploy will read: the written .env must load with the app's directories checked
    try {
      loadConfig({ envFile, checkPaths: true })
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      log.warn(`the configuration does not load yet: ${e.message}; fix: ${e.fix}`)
    }
  }
  const open = plan.open.length + plan.support.length
  log.out('')
  log.out(
    open
      ? `${plan.open.length} open item(s) and ${plan.support.length} needing support above; the rest is decided.`
      : 'Everything was decided.',
  )
}

if (isMain(import.meta.url)) await main(init)
