// lastChange: the newest commit touching a directory, read from a real git repository made here.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { lastChange } from '../../scripts/lib/app/last-change.ts'

const root = mkdtempSync(path.join(os.tmpdir(), 'kit-last-change-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const git = (when: string, ...args: string[]) =>
  execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.test',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.test',
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_DATE: when,
    },
  })

describe('lastChange', () => {
  it("the committer time (UTC) of the directory's newest commit, not the repository's", () => {
    mkdirSync(path.join(root, 'backend'))
    mkdirSync(path.join(root, 'frontend'))
    git('2026-01-02T10:00:00+05:00', 'init', '-q')
    writeFileSync(path.join(root, 'backend', 'requirements.txt'), 'fastapi>=0.115\n')
    git('2026-01-02T10:00:00+05:00', 'add', '.')
    git('2026-01-02T10:00:00+05:00', 'commit', '-qm', 'backend')
    writeFileSync(path.join(root, 'frontend', 'package.json'), '{}\n')
    git('2026-02-10T08:30:00Z', 'add', '.')
    git('2026-02-10T08:30:00Z', 'commit', '-qm', 'frontend')

    const backend = lastChange(path.join(root, 'backend'))!
    expect(backend.time).toBe('2026-01-02T05:00:00Z')
    expect(backend.commit).toMatch(/^[0-9a-f]{7,}$/)
    expect(lastChange(path.join(root, 'frontend'))!.time).toBe('2026-02-10T08:30:00Z')
  })

  it('null outside a git work tree, and for a directory with no commit', () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'kit-no-git-'))
    try {
      expect(lastChange(outside)).toBeNull()
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
    mkdirSync(path.join(root, 'untracked'))
    expect(lastChange(path.join(root, 'untracked'))).toBeNull()
  })
})
