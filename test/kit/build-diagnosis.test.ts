// diagnoseBuild against cut-down real BuildKit logs (fixtures/build-logs/README.md says where each one comes from):
// the one cause line and fix line build stops with, and never a line of the Dockerfile's shell.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  buildTimeSettings,
  diagnoseBuild,
  newestPythonIn,
  parseSteps,
  RECOGNISED,
  stepName,
  type BuildComponent,
  type DiagnoseOptions,
} from '../../scripts/lib/build-diagnosis.ts'

const dir = path.join(import.meta.dirname, 'fixtures', 'build-logs')
const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8')
const fe = { dir: 'app/frontend', baseImage: 'node:24-slim' }
const be = { dir: 'app/backend', baseImage: 'python:3.13-slim' }

type Case = {
  log: string
  component: BuildComponent
  o?: DiagnoseOptions
  cause: string
  fix: string
  detail?: string[]
}

const cases: Record<string, Case> = {
  'next/font/google under Turbopack (billy-pk)': {
    log: 'google-font.log',
    component: 'frontend',
    cause:
      'next build could not download the Google Font Inter: next/font/google fetches it at build time and ' +
      'fonts.googleapis.com is unreachable from this build',
    fix:
      'let the build reach fonts.googleapis.com and fonts.gstatic.com over HTTPS, or load the font with ' +
      'next/font/local in app/frontend/app/layout.tsx',
  },
  'next/font/google under Next 14 webpack (nida1khurram)': {
    log: 'google-font-webpack.log',
    component: 'frontend',
    cause:
      'next build could not download the Google Font Inter: next/font/google fetches it at build time and ' +
      'fonts.googleapis.com is unreachable from this build',
    fix:
      'let the build reach fonts.googleapis.com and fonts.gstatic.com over HTTPS, or load the font with ' +
      'next/font/local in app/frontend/src/app/layout.tsx',
  },
  "no lock file: the frontend Dockerfile's own message (sammar-13)": {
    log: 'no-lockfile.log',
    component: 'frontend',
    cause:
      'the frontend has no lock file (package-lock.json, pnpm-lock.yaml or yarn.lock), so its dependencies are ' +
      'not pinned',
    fix: 'cd app/frontend && npm install --package-lock-only   (writes package-lock.json; commit it and build again)',
  },
  'npm ci EUSAGE: a stale package-lock.json (hamza123545)': {
    log: 'npm-lock-stale-beside-pnpm.log',
    component: 'frontend',
    cause:
      'package-lock.json is out of sync with package.json, so npm ci stopped (Missing: ' +
      '@neondatabase/serverless@1.2.0 ' +
      'from lock file and 6 more)',
    fix: 'cd app/frontend && npm install   (updates package-lock.json; commit it and build again)',
  },
  'the same, when the app also has pnpm-lock.yaml (hamza123545: the image takes package-lock.json first)': {
    log: 'npm-lock-stale-beside-pnpm.log',
    component: 'frontend',
    o: { lockfiles: ['package-lock.json', 'pnpm-lock.yaml'] },
    cause:
      'package-lock.json is out of sync with package.json (Missing: @neondatabase/serverless@1.2.0 from lock ' +
      'file and ' +
      '6 more); the app also has pnpm-lock.yaml, which the image would use without package-lock.json',
    fix:
      'remove app/frontend/package-lock.json if the app uses pnpm (else: cd app/frontend && npm install), commit, ' +
      'build again',
  },
  'pip: the only release needs an older Python (shoaibharoon10)': {
    log: 'pip-only-older-python.log',
    component: 'backend',
    cause: 'pip found no python-rrule>=0.0.2 for Python 3.13: its only release (4.0.0) requires Python >=3.7,<3.11',
    fix:
      'set PYTHON_IMAGE=python:3.10-slim in .env (python-rrule 4.0.0 runs on Python 3.10), or drop python-rrule from ' +
      'app/backend/requirements.txt',
  },
  'the PYTHON_IMAGE named in the fix is spelled like the one in use': {
    log: 'pip-only-older-python.log',
    component: 'backend',
    o: { baseImage: 'local/python:3.13' },
    cause: 'pip found no python-rrule>=0.0.2 for Python 3.13: its only release (4.0.0) requires Python >=3.7,<3.11',
    fix:
      'set PYTHON_IMAGE=local/python:3.10 in .env (python-rrule 4.0.0 runs on Python 3.10), or drop ' +
      'python-rrule from ' +
      'app/backend/requirements.txt',
  },
  'uv: requires-python admits a Python a dependency does not support (nida1khurram)': {
    log: 'uv-requires-python.log',
    component: 'backend',
    cause:
      "uv cannot lock the app's dependencies: mcp>=1.0.0 supports only Python >=3.10, but requires-python (>=3.9) " +
      'also allows older ones',
    fix:
      'set requires-python = ">=3.10" in app/backend/pyproject.toml, then: cd app/backend && uv lock ' +
      '(commit uv.lock)',
  },
  "the backend Dockerfile's Python-version check (sammar-13)": {
    log: 'python-pin.log',
    component: 'backend',
    cause: 'the app pins Python 3.11 (runtime.txt) but PYTHON_IMAGE=local/python:3.13 has 3.13.5',
    fix: 'set PYTHON_IMAGE=local/python:3.11 in .env',
  },
  'npm ci EUSAGE: a dependency added to package.json, not to package-lock.json (fixture app)': {
    log: 'npm-lock-out-of-sync.log',
    component: 'frontend',
    cause:
      'package-lock.json is out of sync with package.json, so npm ci stopped (Missing: next@16.0.7 ' +
      'from lock file and 7 more)',
    fix: 'cd app/frontend && npm install   (updates package-lock.json; commit it and build again)',
  },
  'yarn --frozen-lockfile: "Your lockfile needs to be updated" (fixture app)': {
    log: 'yarn-lock-out-of-sync.log',
    component: 'frontend',
    cause: 'yarn.lock is out of sync with package.json, so yarn install --frozen-lockfile stopped',
    fix: 'cd app/frontend && yarn install   (updates yarn.lock; commit it and build again)',
  },
  'pnpm ERR_PNPM_OUTDATED_LOCKFILE (fixture app, pnpm 12)': {
    log: 'pnpm-lock-out-of-sync.log',
    component: 'frontend',
    cause:
      'pnpm-lock.yaml is out of sync with package.json, so pnpm install --frozen-lockfile stopped (1 ' +
      'dependency was added: next@16.0.7)',
    fix: 'cd app/frontend && pnpm install --lockfile-only   (updates pnpm-lock.yaml; commit it and build ' + 'again)',
  },
  'pnpm ERR_PNPM_IGNORED_BUILDS: a build script pnpm was not told to run (fixture app, pnpm 12)': {
    log: 'pnpm-ignored-builds.log',
    component: 'frontend',
    cause:
      'pnpm did not run the install scripts of better-sqlite3@12.5.0: it runs only the approved ones, ' +
      'and this pnpm stops on the others',
    fix:
      'cd app/frontend && pnpm approve-builds   (allows better-sqlite3 to build; commit what it ' +
      'changes, build again)',
  },
  'node-gyp without a prebuilt binary or a toolchain (fixture app, BUILD_PACKAGES="")': {
    log: 'native-module-no-toolchain.log',
    component: 'frontend',
    cause:
      'better-sqlite3 (a native module) did not build: no prebuilt binary (github.com unreachable), ' +
      'and compiling it failed (no Python for node-gyp)',
    fix:
      "install python3, make and g++ in the image's dependency stage (frontend-docker does unless " +
      'BUILD_PACKAGES leaves them out), or remove better-sqlite3 from app/frontend/package.json if the ' +
      'app does not use it',
  },
  'node-gyp with the toolchain but no Node headers in the base image (tahanadeemkhan)': {
    log: 'native-module-no-headers.log',
    component: 'frontend',
    cause:
      'better-sqlite3 (a native module) did not build: no prebuilt binary (github.com unreachable), ' +
      "and node-gyp could not download Node's headers (nodejs.org unreachable) because the base image " +
      'has none',
    fix:
      "set NODE_IMAGE in .env to an image with Node's headers in /usr/local/include/node (the " +
      'official node images have them), or remove better-sqlite3 from app/frontend/package.json if the ' +
      'app does not use it',
  },
  'out of JavaScript heap (fixture app)': {
    log: 'heap-out-of-memory.log',
    component: 'frontend',
    cause: 'node ran out of JavaScript heap (exit code 134)',
    fix:
      'give the build step more heap: NODE_OPTIONS=--max-old-space-size=4096 in ' +
      "app/frontend/package.json's build script, and Docker at least 4 GB of memory (docker info " +
      '--format {{.MemTotal}})',
  },
  "an import error in the app's own start check (fixture app with its own Dockerfile)": {
    log: 'python-import-error.log',
    component: 'backend',
    cause: "the app's code did not import in the image: ModuleNotFoundError: No module named 'jwt' " + '(auth.py:1)',
    fix: "add PyJWT to app/backend's requirements (requirements.txt or pyproject.toml), then build again",
  },
  'Poetry lock drift (fixture app with its own Dockerfile)': {
    log: 'poetry-lock-out-of-sync.log',
    component: 'backend',
    cause: 'poetry.lock is out of sync with pyproject.toml, so poetry install stopped',
    fix: 'cd app/backend && poetry lock   (updates poetry.lock; commit it and build again)',
  },
  'uv lock drift (the reference backend with a package added to pyproject.toml only)': {
    log: 'uv-lock-out-of-sync.log',
    component: 'backend',
    cause: 'uv.lock is out of sync with pyproject.toml, so uv sync --locked stopped',
    fix: "set BACKEND_DEPS_FROM=pyproject in .env   (installs pyproject.toml's list; or cd app/backend && uv lock and commit uv.lock)",
  },
  "pip: no wheel for this Python, and the sdist's build backend does not load (fixture app)": {
    log: 'pip-sdist-build-backend.log',
    component: 'backend',
    cause:
      'numpy 1.21.0 has no wheel for Python 3.13, and building it from source failed (its build ' +
      'backend does not load on this Python)',
    fix:
      'raise numpy==1.21.0 (app/backend/requirements.txt line 3) to a release with wheels for Python ' +
      '3.13, or set PYTHON_IMAGE in .env to an older Python numpy 1.21.0 has wheels for',
  },
  'pip: no wheel for this Python, and the sdist needs Rust, which it cannot download (mehreen676)': {
    log: 'pip-sdist-needs-rust.log',
    component: 'backend',
    cause:
      'pydantic-core 2.14.1 (for pydantic==2.5.0) has no wheel for Python 3.13, and building it from ' +
      'source failed (it needs a Rust toolchain, and downloading it from static.rust-lang.org failed)',
    fix:
      'raise pydantic==2.5.0 (app/backend/requirements.txt line 7) to a release with wheels for Python ' +
      '3.13, or set PYTHON_IMAGE in .env to an older Python pydantic-core 2.14.1 has wheels for',
  },
  'a .py file that does not compile, imported or not (abdulhadi453, before test files were left out)': {
    log: 'python-syntax-compileall.log',
    component: 'backend',
    cause:
      'app/backend/tests/integration/test_cross_user_security.py:8 is not valid Python: SyntaxError: ' +
      'invalid syntax (and 2 more files); the image byte-compiles every .py file it ships but tests, ' +
      'imported or not',
    fix:
      'fix or delete app/backend/tests/integration/test_cross_user_security.py:8 and the others ' +
      'listed, then build again',
  },
  'the base image cannot be pulled (fixture build with NODE_IMAGE=node:24-slim, Docker Hub unreachable)': {
    log: 'base-image-unreachable.log',
    component: 'frontend',
    cause:
      'the base image node:24-slim is not on this machine and could not be pulled (registry-1.docker.io is ' +
      'unreachable)',
    fix:
      'set NODE_IMAGE in .env to an image this machine has (docker images), or docker pull node:24-slim where the ' +
      'registry is reachable',
  },
  "a dependency's install script downloads from an unreachable host (fixture app with puppeteer)": {
    log: 'install-script-download.log',
    component: 'frontend',
    cause: "puppeteer's install script downloads from googlechromelabs.github.io, which is unreachable from this build",
    fix:
      'let docker builds reach googlechromelabs.github.io over HTTPS (or give them a proxy), or remove ' +
      'puppeteer from ' +
      'app/frontend/package.json if the app does not need it, then build again',
  },
  "next build: a type error, with the app's file:line and the message (fixture app)": {
    log: 'next-type-error.log',
    component: 'frontend',
    cause:
      "next build failed: app/frontend/app/page.tsx:6: Type error: Type 'string[]' is not assignable to type 'number'.",
    fix: 'fix app/frontend/app/page.tsx:6, then check with: cd app/frontend && npx next build',
  },
  'next/font/google under Turbopack: the module it generates for each font cannot be resolved (corpus tahanadeemkhan)':
    {
      log: 'google-font-turbopack-module.log',
      component: 'frontend',
      cause:
        'next build could not download the Google Fonts Geist and Geist Mono: next/font/google fetches them at build ' +
        'time and fonts.googleapis.com is unreachable from this build',
      fix: 'let the build reach fonts.googleapis.com and fonts.gstatic.com over HTTPS, or load the font with next/font/local in app/frontend/src/app/layout.tsx',
    },
  'next build: app code that needs a runtime setting while page data is collected (corpus shazilk-dev)': {
    log: 'build-time-setting.log',
    component: 'frontend',
    cause:
      'next build: Failed to collect page data for /api/health: Error: DATABASE_URL environment variable is required',
    fix: 'cd app/frontend && npx next build   (shows the same error; code that runs at build time must not need runtime settings)',
  },
  'pip refused the HTTPS certificate (a CA that re-signs TLS): not a missing release (corpus sammar-13, Python 3.11 stand-in)':
    {
      log: 'pip-tls-intercepted.log',
      component: 'backend',
      cause:
        "pip in the build could not verify the server's HTTPS certificate ([SSL: CERTIFICATE_VERIFY_FAILED] certificate " +
        'verify failed: self-signed certificate in certificate chain (_ssl.c:992)): something between this machine and ' +
        'the registry re-signs HTTPS with a CA the base image does not trust',
      fix: 'set PYTHON_IMAGE in .env to a base image that trusts that CA (its certificate in /usr/local/share/ca-certificates, then update-ca-certificates), or build where the registry is reached directly',
    },
  'pip: no such version, with the newest that exists (fixture app)': {
    log: 'pip-no-matching-version.log',
    component: 'backend',
    cause: 'pip found no fastapi==0.999.0 for Python 3.13',
    fix: 'pin a version that exists in app/backend/requirements.txt (the newest is 0.165.0)',
  },
  'no build script in package.json (fixture app)': {
    log: 'npm-missing-build-script.log',
    component: 'frontend',
    cause: 'app/frontend/package.json has no "build" script, and the image runs it to build the app',
    fix: 'add "build": "next build" to the scripts of app/frontend/package.json',
  },
}

describe('diagnoseBuild', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const d = diagnoseBuild(read(c.log), c.component, { ...(c.component === 'frontend' ? fe : be), ...c.o })
      expect(d.cause).toBe(c.cause)
      expect(d.fix).toBe(c.fix)
      if (c.detail) expect(d.detail).toEqual(c.detail)
      expect(JSON.stringify(d)).not.toContain('/bin/sh -c')
    })
  }

  it('every fixture is diagnosed without the shell, as either component, and each is used by a case above', () => {
    const used = new Set(Object.values(cases).map((c) => c.log))
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
      expect(used.has(f), `${f} has no case`).toBe(true)
      for (const comp of ['frontend', 'backend'] as const) {
        const d = diagnoseBuild(read(f), comp)
        expect(d.cause.length).toBeGreaterThan(10)
        expect(d.fix.length).toBeGreaterThan(10)
        expect(`${d.cause}\n${d.fix}\n${(d.detail ?? []).join('\n')}`).not.toMatch(
          /\/bin\/sh -c|executor failed running|^#\d+ /m,
        )
      }
    }
  })

  it('anything unrecognised: the failing step and its last meaningful lines, without timestamps or the shell', () => {
    const log = [
      '#9 [build 2/3] RUN --mount=type=cache,target=/app/.next/cache printf \'%s\\n\' "$NEXT_PUBLIC_ENV" && npm ' +
        'run build',
      '#9 0.512 ',
      '#9 0.513 > app@0.1.0 build',
      '#9 0.513 > ./scripts/prebuild.sh && next build',
      '#9 0.601 prebuild: the generated client is older than schema.prisma',
      '#9 0.602 npm error Lifecycle script `build` failed with error:',
      '#9 0.602 npm error code 3',
      '#9 ERROR: process "/bin/sh -c printf \'%s\\n\' \\"$NEXT_PUBLIC_ENV\\" && npm run build" did not complete ' +
        'successfully: exit code: 3',
      '------',
      ' > [build 2/3] RUN --mount=type=cache,target=/app/.next/cache printf ...:',
      '------',
      'ERROR: failed to solve: process "/bin/sh -c printf \'%s\\n\' \\"$NEXT_PUBLIC_ENV\\" && npm run build" ' +
        'did not complete successfully: exit code: 3',
    ].join('\n')
    const d = diagnoseBuild(log, 'frontend', fe)
    expect(d.cause).toBe('[build 2/3] failed (exit code 3): prebuild: the generated client is older than schema.prisma')
    expect(d.fix).toBe('read the lines above (the whole log is saved), fix app/frontend, then build again')
    expect(d.detail).toEqual(['prebuild: the generated client is older than schema.prisma'])
    expect(JSON.stringify(d)).not.toContain('/bin/sh -c')
  })

  it('a log with no step output at all still names the exit code, not the shell line', () => {
    const d = diagnoseBuild(
      '#8 ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
      'frontend',
      fe,
    )
    expect(d.cause).toBe('docker build failed (exit code 1)')
    expect(JSON.stringify(d)).not.toContain('/bin/sh -c')
  })

  // The kernel's OOM killer cannot be provoked safely on a shared machine: the shape is BuildKit's for a step killed
  // with SIGKILL (the heap limit above is Node's own, exit code 134).
  it('exit code 137: the step was killed, out of memory most likely', () => {
    const log = [
      '#13 [build 2/3] RUN --mount=type=cache,id=next-build-cache,target=/app/.next/cache,sharing=private     ' +
        'printf ...',
      '#13 4.180    Creating an optimized production build ...',
      '#13 ERROR: process "/bin/sh -c printf ..." did not complete successfully: exit code: 137',
      'ERROR: failed to solve: process "/bin/sh -c printf ..." did not complete successfully: exit code: 137',
    ].join('\n')
    const d = diagnoseBuild(log, 'frontend', fe)
    expect(d.cause).toBe(
      '[build 2/3] was killed (exit code 137): out of memory, most likely (the kernel stops the biggest process when ' +
        'the machine or Docker runs out)',
    )
    expect(d.fix).toBe(
      'give Docker more memory (docker info --format {{.MemTotal}}) or stop other builds, then build again',
    )
    expect(JSON.stringify(d)).not.toContain('/bin/sh -c')
  })

  it('names the causes it recognises', () => {
    expect(RECOGNISED.length).toBeGreaterThanOrEqual(15)
  })
})

describe('buildTimeSettings', () => {
  it('names the settings the app demands while next build collects page data; nothing for other failures', () => {
    expect(buildTimeSettings(read('build-time-setting.log'))).toEqual(['DATABASE_URL'])
    const collect = (err: string) => `#13 29.55 Error: ${err}\n#13 29.55 [Error: Failed to collect page data for /x]\n`
    expect(buildTimeSettings(collect('Missing environment variable: BETTER_AUTH_SECRET'))).toEqual([
      'BETTER_AUTH_SECRET',
    ])
    expect(buildTimeSettings(collect('OPENAI_API_KEY is not set'))).toEqual(['OPENAI_API_KEY'])
    // an SDK that names its constructor, not the variable: the variable the app hands that constructor
    const resend = collect('Missing API key. Pass it to the constructor `new Resend("re_123")`')
    expect(buildTimeSettings(resend)).toEqual([])
    expect(buildTimeSettings(resend, (c) => (c === 'Resend' ? ['RESEND_API_KEY'] : ['WRONG']))).toEqual([
      'RESEND_API_KEY',
    ])
    // public values are build args of their own (NEXT_PUBLIC_ENV), not placeholders
    expect(buildTimeSettings(collect('NEXT_PUBLIC_API_URL is required'))).toEqual([])
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.log') && x !== 'build-time-setting.log'))
      expect(buildTimeSettings(read(f)), f).toEqual([])
  })
})

describe('parseSteps', () => {
  it('groups output by step, strips timestamps, keeps the first title and ERROR line, skips the summary', () => {
    const steps = parseSteps(read('python-pin.log'))
    const failed = steps.find((s) => s.error)!
    expect(failed.id).toBe(8)
    expect(stepName(failed.title)).toBe('[python-check 4/4]')
    expect(failed.lines[0]).toBe(
      'backend-docker: the app pins Python 3.11 (runtime.txt) but PYTHON_IMAGE=local/python:3.13 has 3.13.5',
    )
    expect(failed.lines).toHaveLength(2)
  })

  it("stepName keeps a non-RUN instruction and drops a RUN's script", () => {
    expect(stepName('[build 1/3] COPY . .')).toBe('[build 1/3] COPY')
    expect(stepName('[deps 5/5] RUN --mount=type=cache,id=npm pm=$(node -p ...)')).toBe('[deps 5/5]')
  })

  it('newestPythonIn reads Requires-Python upper bounds', () => {
    expect(newestPythonIn('>=3.7,<3.11')).toBe('3.10')
    expect(newestPythonIn('<=3.12')).toBe('3.12')
    expect(newestPythonIn('>=3.8')).toBe(null)
  })
})
