// Which Python init picks from the pins' wheels (python-wheels.ts), against PyPI release data recorded in
// fixtures/pypi/<name>/<version>.json (the cache's layout, trimmed to the fields used). No test touches the network:
// the fixtures are read as the cache with fetching turned off, or a fake fetch stands in for PyPI.
import { describe, expect, it } from 'vitest'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  appPins,
  choosePython,
  hostPlatform,
  imageWithMinor,
  loadWheelData,
  pythonCandidates,
  releaseFits,
  skippedText,
  type Pin,
  type ReleaseJson,
  type WheelSource,
} from '../../scripts/lib/app/python-wheels.ts'
import { pythonVersion } from '../../scripts/lib/app/detect-backend.ts'
import { markerMayHold } from '../../scripts/lib/app/python-markers.ts'
import { inspectApp } from '../../scripts/lib/app/inspect.ts'
import { planInit } from '../../scripts/lib/app/plan.ts'
import { planContext, tree } from './app-tree.ts'

const fixtures = path.join(import.meta.dirname, 'fixtures', 'pypi')
const apps = path.join(import.meta.dirname, 'fixtures', 'apps')
const x86 = hostPlatform('x64')
const arm = hostPlatform('arm64')
const recorded: WheelSource = { cacheDir: fixtures, indexUrl: 'https://pypi.invalid/pypi', offline: true }
const from = { file: 'requirements.txt', line: 1, text: '' }
const pins = (...list: string[]): { pins: Pin[]; locked: boolean } => ({
  pins: list.map((p) => ({ name: p.split('==')[0]!, version: p.split('==')[1]!, from })),
  locked: false,
})
const release = (name: string, version: string): ReleaseJson =>
  JSON.parse(readFileSync(path.join(fixtures, name, `${version}.json`), 'utf8')) as ReleaseJson
const choose = async (...list: string[]) =>
  choosePython(await loadWheelData(pins(...list), recorded), [13, 12, 11], x86)

describe('the Python every pin has wheels for', () => {
  it('every pin has a wheel for the newest: the newest, nothing skipped', async () => {
    const c = await choose('fastapi==0.115.0', 'pydantic-core==2.27.1', 'psycopg2-binary==2.9.10')
    expect(c).toMatchObject({ kind: 'chosen', minor: 13, skipped: [], fromSource: [], checked: 3 })
  })

  it("one pin without a cp313 wheel, found through its parent's exact requirement: 3.12, naming it", async () => {
    const c = await choose('fastapi==0.115.0', 'pydantic==2.5.0')
    expect(c.kind === 'chosen' && c.minor).toBe(12)
    if (c.kind !== 'chosen') return
    expect(skippedText(c.skipped)).toBe(
      'pydantic-core 2.14.1 (required by pydantic==2.5.0) has no wheel for Python 3.13 (linux x86_64)',
    )
    // two blockers for the same reason are named together
    const two = await choose('pydantic==2.5.0', 'psycopg2-binary==2.9.9')
    expect(two.kind === 'chosen' && skippedText(two.skipped)).toBe(
      'psycopg2-binary 2.9.9 and pydantic-core 2.14.1 (required by pydantic==2.5.0) have no wheel for Python 3.13 (linux x86_64)',
    )
  })

  it('an abi3 wheel serves every CPython from its minimum on, on both architectures', () => {
    // cryptography 43.0.0 ships cp39-abi3 and cp37-abi3 manylinux wheels only
    expect(releaseFits(release('cryptography', '43.0.0'), 13, x86)).toEqual({ ok: true, how: 'abi3' })
    expect(releaseFits(release('cryptography', '43.0.0'), 11, arm)).toEqual({ ok: true, how: 'abi3' })
  })

  it('a py3-none-any wheel fits any Python; a cp wheel only its own, and the architecture must match', () => {
    expect(releaseFits(release('fastapi', '0.115.0'), 13, x86)).toEqual({ ok: true, how: 'pure' })
    expect(releaseFits(release('pydantic-core', '2.27.1'), 13, arm)).toEqual({ ok: true, how: 'wheel' })
    expect(releaseFits(release('pydantic-core', '2.14.1'), 12, arm)).toEqual({ ok: true, how: 'wheel' })
    expect(releaseFits(release('pydantic-core', '2.14.1'), 13, arm)).toEqual({
      ok: false,
      why: 'has no wheel for Python 3.13 (linux aarch64)',
    })
    // only musllinux wheels: the python images are Debian (glibc)
    const musl: ReleaseJson = {
      info: { requires_python: null, requires_dist: null },
      urls: [{ filename: 'x-1.0-cp313-cp313-musllinux_1_2_x86_64.whl', packagetype: 'bdist_wheel' }],
    }
    expect(releaseFits(musl, 13, x86).ok).toBe(false)
  })

  it('an sdist-only package is accepted and named as built from source; Windows-only wheels are ignored', async () => {
    const c = await choose('docopt==0.6.2', 'pywin32==306', 'fastapi==0.115.0')
    expect(c).toMatchObject({ kind: 'chosen', minor: 13, skipped: [] })
    expect(c.kind === 'chosen' && c.fromSource.map((p) => p.name)).toEqual(['docopt'])
  })

  it("a release's requires_python rules a Python out even with a py3-none-any wheel", async () => {
    const c = await choose('crewai==0.98.0', 'fastapi==0.115.0')
    expect(c.kind === 'chosen' && [c.minor, skippedText(c.skipped)]).toEqual([
      12,
      'crewai 0.98.0 requires Python <3.13,>=3.10',
    ])
  })

  it('no supported Python fits every pin: none, with each reason', async () => {
    const none = choosePython(await loadWheelData(pins('crewai==0.98.0', 'pydantic==2.5.0'), recorded), [13], x86)
    expect(none.kind === 'none' && skippedText(none.skipped)).toBe(
      'crewai 0.98.0 requires Python <3.13,>=3.10; pydantic-core 2.14.1 (required by pydantic==2.5.0) has no wheel for Python 3.13 (linux x86_64)',
    )
  })

  it('offline with nothing cached: unavailable, after one failed request (the rest are not tried)', async () => {
    const asked: string[] = []
    const src: WheelSource = {
      cacheDir: mkdtempSync(path.join(os.tmpdir(), 'kit-pypi-')),
      indexUrl: 'https://pypi.org/pypi',
      fetch: async (url) => {
        asked.push(String(url))
        throw new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } })
      },
    }
    const data = await loadWheelData(pins('fastapi==0.115.0', 'pydantic==2.5.0'), src)
    expect(choosePython(data, [13, 12, 11], x86)).toEqual({
      kind: 'unavailable',
      why: 'pypi.org not reachable (ENOTFOUND)',
    })
    expect(asked.length).toBeLessThanOrEqual(2)
  })

  it('fetches the version endpoint once and caches it; the next run needs no network; a 404 is not checked', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'kit-pypi-'))
    const asked: string[] = []
    const fake: typeof fetch = async (url) => {
      asked.push(String(url))
      const m = /\/pypi\/([^/]+)\/([^/]+)\/json$/.exec(String(url))
      const file = m && path.join(fixtures, m[1]!, `${m[2]}.json`)
      return file && existsSync(file)
        ? new Response(readFileSync(file), { status: 200 })
        : new Response('', { status: 404 })
    }
    const src: WheelSource = { cacheDir, indexUrl: 'https://pypi.org/pypi', fetch: fake }
    const first = await loadWheelData(pins('pydantic==2.5.0', 'our-private-lib==1.0'), src)
    expect(asked).toContain('https://pypi.org/pypi/pydantic-core/2.14.1/json')
    expect(existsSync(path.join(cacheDir, 'pydantic-core', '2.14.1.json'))).toBe(true)
    const c = choosePython(first, [13, 12], x86)
    expect(c).toMatchObject({ kind: 'chosen', minor: 12 })
    expect(c.kind === 'chosen' && c.unknown.map((p) => p.name)).toEqual(['our-private-lib'])
    const again = await loadWheelData(pins('pydantic==2.5.0', 'our-private-lib==1.0'), { ...src, offline: true })
    expect(choosePython(again, [13, 12], x86)).toEqual(c)
  })
})

describe('what the app pins and which Pythons init may choose', () => {
  it('== pins of a requirements.txt, also one saved as UTF-16 with CRLF (pip reads those)', () => {
    const text = 'fastapi==0.104.1\r\nuvicorn[standard]==0.24.0\r\nhttpx>=0.27\r\npydantic==2.5.0'
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    const dir = tree({ 'requirements.txt': utf16 })
    expect(appPins(dir).pins.map((p) => `${p.name}==${p.version}`)).toEqual([
      'fastapi==0.104.1',
      'uvicorn==0.24.0',
      'pydantic==2.5.0',
    ])
    expect(appPins(dir).locked).toBe(false)
  })

  it("a uv.lock: the registry packages the project's dependencies reach, with the markers on the way", () => {
    const lock = [
      'version = 1',
      '[[package]]\nname = "backend"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n' +
        '    { name = "pydantic-core" },\n' +
        '    { name = "crewai", marker = "python_full_version < \'3.13\'" },\n' +
        '    { name = "uvicorn", extra = ["standard"] },\n]\n\n' +
        '[package.dev-dependencies]\ndev = [\n    { name = "pytest" },\n]',
      '[[package]]\nname = "Pydantic_Core"\nversion = "2.27.1"\nsource = { registry = "https://pypi.org/simple" }',
      '[[package]]\nname = "crewai"\nversion = "0.98.0"\nsource = { registry = "https://pypi.org/simple" }',
      '[[package]]\nname = "uvicorn"\nversion = "0.32.1"\nsource = { registry = "https://pypi.org/simple" }\n\n' +
        '[package.optional-dependencies]\nstandard = [\n    { name = "pywin32", marker = "sys_platform == \'win32\'" },\n]',
      '[[package]]\nname = "pywin32"\nversion = "306"\nsource = { registry = "https://pypi.org/simple" }',
      '[[package]]\nname = "pytest"\nversion = "8.3.4"\nsource = { registry = "https://pypi.org/simple" }',
    ].join('\n\n')
    const r = appPins(tree({ 'uv.lock': lock, 'pyproject.toml': '[project]\nname = "backend"\n' }))
    expect(r.locked).toBe(true)
    // not the project itself, not the dev group's pytest
    expect(r.pins.map((p) => [p.name, p.version, p.markers])).toEqual([
      ['pydantic-core', '2.27.1', undefined],
      ['crewai', '0.98.0', ["python_full_version < '3.13'"]],
      ['uvicorn', '0.32.1', undefined],
      ['pywin32', '306', ["sys_platform == 'win32'"]],
    ])
  })

  it('a pin whose markers rule a Python out does not count against it', async () => {
    // crewai 0.98.0 requires Python <3.13, but the app installs it only there
    const guarded = pins('crewai==0.98.0', 'fastapi==0.115.0')
    guarded.pins[0]!.markers = ['python_version < "3.13"']
    const c = choosePython(await loadWheelData(guarded, recorded), [13, 12, 11], x86)
    expect(c).toMatchObject({ kind: 'chosen', minor: 13, skipped: [] })
    const req = appPins(tree({ 'requirements.txt': 'crewai==0.98.0 ; python_version < "3.13"  # old Pythons\n' }))
    expect(req.pins[0]!.markers).toEqual(['python_version < "3.13"'])
  })

  it('markers as a Python version and Linux decide them; what they cannot decide holds', () => {
    expect(markerMayHold("python_full_version < '3.11'", 13, x86)).toBe(false)
    expect(markerMayHold("python_full_version == '3.13.*'", 13, x86)).toBe(true)
    expect(markerMayHold("python_full_version >= '3.11.4' and python_full_version < '3.12'", 11, x86)).toBe(true)
    expect(
      markerMayHold("sys_platform == 'win32' or (platform_machine == 'aarch64' and python_version >= '3.12')", 13, arm),
    ).toBe(true)
    expect(
      markerMayHold("sys_platform == 'win32' or (platform_machine == 'aarch64' and python_version >= '3.12')", 13, x86),
    ).toBe(false)
    expect(markerMayHold("'3.10' > python_version", 12, x86)).toBe(false)
    expect(markerMayHold("extra == 'docs'", 13, x86)).toBe(true)
  })

  it('candidates: the default down to 3.11, within requires-python; a pinned Python alone', () => {
    expect(pythonCandidates('python:3.13-slim', null)).toEqual([13, 12, 11])
    const lower = tree({ 'pyproject.toml': '[project]\nrequires-python = ">=3.12"\n' })
    expect(pythonCandidates('python:3.13-slim', pythonVersion(lower))).toEqual([13, 12])
    const pinned = tree({ '.python-version': '3.11\n' })
    expect(pythonCandidates('python:3.13-slim', pythonVersion(pinned))).toEqual([11])
    expect(imageWithMinor('local/python:3.13', 12)).toBe('local/python:3.12')
    expect(imageWithMinor('python:3.13-slim-bookworm', 11)).toBe('python:3.11-slim-bookworm')
  })
})

describe('what init decides from it (planInit)', () => {
  const ctx = planContext
  const findings = (be: string) => inspectApp({ frontend: path.join(apps, 'plain-main/frontend'), backend: be })
  const noPin = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kit-app-'))
    cpSync(path.join(apps, 'plain-main/backend'), dir, { recursive: true })
    rmSync(path.join(dir, '.python-version'))
    return dir
  }

  it('a chosen Python is written with its reason and the pin lines it rests on', async () => {
    const dir = noPin()
    const choice = await choose('pydantic==2.5.0')
    const plan = planInit(findings(dir), { ...ctx, wheels: { choice, platform: 'linux x86_64' } })
    expect(plan.env.PYTHON_IMAGE).toBe('python:3.12-slim')
    expect(plan.settings.find((s) => s.what === 'Python version')?.value).toBe(
      '3.12: pydantic-core 2.14.1 (required by pydantic==2.5.0) has no wheel for Python 3.13 (linux x86_64)',
    )
    expect(plan.open.map((o) => o.what)).not.toContainEqual(expect.stringMatching(/^Python version/))
  })

  it('offline: the default stays, the open item as before and one note saying why', () => {
    const plan = planInit(findings(noPin()), {
      ...ctx,
      wheels: { choice: { kind: 'unavailable', why: 'pypi.org not reachable (ENOTFOUND)' }, platform: 'linux x86_64' },
    })
    expect(plan.env.PYTHON_IMAGE).toBeUndefined()
    expect(plan.open.map((o) => o.what)).toContain(
      'Python version (no .python-version, runtime.txt or requires-python)',
    )
    expect(plan.notes.map((n) => n.text)).toContain(
      "Python version: the pins' wheels were not checked (pypi.org not reachable (ENOTFOUND)); the default python:3.13-slim stays",
    )
  })

  it('an app that pins its Python keeps it, whatever the wheels say', async () => {
    const choice = await choose('pydantic==2.5.0')
    const plan = planInit(findings(path.join(apps, 'plain-main/backend')), {
      ...ctx,
      wheels: { choice, platform: 'linux x86_64' },
    })
    expect(plan.env.PYTHON_IMAGE).toBe('python:3.11-slim')
    expect(plan.settings.find((s) => s.what === 'Python version')?.value).toBe('3.11')
  })
})
