// The kit's own path for build-time public values: every NEXT_PUBLIC_* key of .env (and the environment) becomes the
// frontend build arg NEXT_PUBLIC_ENV (config.ts), and a real `next build` in frontend-docker bakes each into the page.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../scripts/lib/config.ts'
import { imageTag } from '../../scripts/lib/images.ts'
import {
  assertDockerReady,
  build,
  cleanup,
  copyApp,
  freePort,
  frontendDockerfile as dockerfile,
  nodeImage,
  root,
  start,
  stopSeconds,
  tagFor,
  waitForHttp,
} from './lib/docker.ts'

beforeAll(async () => {
  await assertDockerReady([nodeImage])
})
afterAll(async () => {
  await cleanup()
})

describe('frontend image: NEXT_PUBLIC_* from .env', () => {
  it('the build args the kit derives from .env bake every NEXT_PUBLIC_* value into the page', async () => {
    const app = copyApp(join(root, 'test/images/fixtures/frontend-pnpm'))
    const envFile = join(mkdtempSync(join(tmpdir(), 'images-public-env-')), '.env')
    writeFileSync(envFile, 'NEXT_PUBLIC_GREETING=hello from .env\n')
    const cfg = loadConfig({
      env: { NODE_IMAGE: nodeImage, FRONTEND_DIR: app, NEXT_PUBLIC_FAREWELL: 'bye = see you, soon' },
      envFile,
      checkPaths: false,
    })
    expect(cfg.frontend.buildArgs.NEXT_PUBLIC_ENV).toBe(
      'NEXT_PUBLIC_FAREWELL=bye = see you, soon\nNEXT_PUBLIC_GREETING=hello from .env',
    )
    const b = await build({
      dockerfile,
      context: app,
      tag: tagFor(`frontend-public-${imageTag(cfg.frontend)}`),
      args: cfg.frontend.buildArgs,
    })
    const port = await freePort()
    const id = await start(b.tag, {
      env: { PORT: String(port) },
      hostNetwork: true,
      readOnly: true,
      tmpfs: ['/tmp', '/app/.next/cache:uid=10001,gid=10001'],
    })
    const health = await waitForHttp(`http://127.0.0.1:${port}/api/health`, id)
    expect(health.status, health.body).toBe(200)
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text()
    expect(page).toContain('hello from .env')
    expect(page).toContain('bye = see you, soon')
    expect(await stopSeconds(id)).toBeLessThan(8)
  })
})
