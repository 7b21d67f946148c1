// Recognisable fake secrets, written the way users keep real ones: .env files in the app dir.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

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
