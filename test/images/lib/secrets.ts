// Recognisable fake secrets, written the way users keep real ones: .env files in the app dir.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { $ } from 'zx'
import { exportContains } from './docker.ts'

const mark = `${process.pid}x${Date.now().toString(36)}`
export const fakeSecrets = [
  `fake-better-auth-secret-${mark}-0123456789abcdef`,
  `fake-postgres-password-${mark}`,
  `sk-fake-openai-${mark}`,
  `fake-local-only-${mark}`,
]

export function writeFakeEnvFiles(dir: string): void {
  const [auth, pg, openai, local] = fakeSecrets
  writeFileSync(join(dir, '.env'), `BETTER_AUTH_SECRET=${auth}\nPOSTGRES_PASSWORD=${pg}\nOPENAI_API_KEY=${openai}\n`)
  writeFileSync(join(dir, '.env.local'), `LOCAL_TOKEN=${local}\n`)
  writeFileSync(join(dir, '.env.production'), `DATABASE_URL=postgresql://todo:${pg}@db:5432/todo\n`)
}

/** The fake .env files are in the build context, yet no value reaches the history, the config or any file. */
export async function expectNoFakeSecrets(tag: string, appDir: string): Promise<void> {
  for (const f of ['.env', '.env.local', '.env.production']) expect(existsSync(join(appDir, f))).toBe(true)
  const history = (await $({ quiet: true })`docker history --no-trunc ${tag}`).stdout
  const inspect = (await $({ quiet: true })`docker image inspect ${tag}`).stdout
  for (const s of fakeSecrets) {
    expect(history).not.toContain(s)
    expect(inspect).not.toContain(s)
  }
  const scan = await exportContains(tag, fakeSecrets)
  expect(scan.found).toEqual([])
  expect(scan.envFiles).toEqual([])
}
