// validate's journey against the real reference app (built frontend, backend, PostgreSQL; support/stack.ts): sign up
// with Better Auth, its JWT, task create → list → update → complete → delete through the frontend's /api/backend
// proxy, one chat message to the offline chatbot, and the clean-up row. Then the failures the real app gives: an
// origin Better Auth does not trust, and the backend gone behind the proxy.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Check } from '../../scripts/lib/checks.ts'
import type { Ctx } from '../../scripts/lib/stage.ts'
import { httpSend } from '../../scripts/lib/journey/http-send.ts'
import { runJourney, type JourneyPlan } from '../../scripts/lib/journey/journey.ts'
import { AUTH_PATH, chatDecision, parseOpenapiAnswer, PY_BODY } from '../../scripts/lib/journey/journey-target.ts'
import { backendDir, repo, startStack, type Stack } from './support/stack.ts'

let stack: Stack
beforeAll(async () => {
  stack = await startStack()
}, 600_000)
afterAll(async () => {
  await stack?.stop()
})

/** The plan validate makes for a port-forward to this frontend (--url), /openapi.json read as in the backend pod. */
function plan(over: Partial<JourneyPlan> = {}): JourneyPlan {
  const u = new URL(stack.frontendUrl)
  // the decision validate makes from the configuration: the kit's own app/backend answers without a key
  const chat = chatDecision({
    cfg: { secrets: {}, appSecrets: {}, appSecretKeys: [], backend: { contextDir: backendDir } },
  } as unknown as Ctx)
  return {
    base: u.origin,
    host: u.host,
    origin: u.origin,
    betterAuth: true,
    authPath: AUTH_PATH,
    way: { how: 'proxy', prefix: '/api/backend', strip: '/api' },
    chat,
    openapi: {
      where: 'GET /openapi.json in the backend',
      // the one-liner validate runs in the backend pod, run by the backend's own python
      read: async () => {
        const r = spawnSync(
          join(backendDir, '.venv/bin/python'),
          ['-c', PY_BODY, '/openapi.json', String(stack.backendPort)],
          {
            encoding: 'utf8',
          },
        )
        return parseOpenapiAnswer('GET /openapi.json in the backend', r.stdout, r.stderr)
      },
    },
    jwksVar: 'JWKS_URL',
    release: 'todo',
    namespace: 'todo',
    ...over,
  }
}
const row = (rows: Check[], id: string): Check => rows.find((r) => r.id === `journey-${id}`)!

describe("validate's journey against the reference app", () => {
  it('signs up, gets the JWT, does task CRUD through the proxy, chats with the offline chatbot: every row PASS', async () => {
    const rows = await runJourney(plan(), httpSend(30_000))
    const text = rows.map((r) => `${r.id} ${r.status} ${r.detail}${r.fix ? ` / ${r.fix}` : ''}`).join('\n')
    expect(
      rows.map((r) => r.status),
      text,
    ).toEqual(Array(10).fill('pass'))
    expect(row(rows, 'routes').detail).toBe(
      'GET /openapi.json in the backend: tasks /api/{user_id}/tasks, chat /api/{user_id}/chat',
    )
    expect(row(rows, 'sign-up').detail).toMatch(
      /^POST \/api\/auth\/sign-up\/email → 200 \(kit-journey-…@example\.com, cookie better-auth\.session_token\)$/,
    )
    expect(row(rows, 'credential').detail).toMatch(/^GET \/api\/auth\/token → 200 \(a JWT for user \S+\)$/)
    const user = /a JWT for user (\S+)\)/.exec(row(rows, 'credential').detail)![1]!
    expect(row(rows, 'create').detail).toMatch(new RegExp(`^POST /api/backend/${user}/tasks → 201 \\(task \\d+\\)$`))
    expect(row(rows, 'list').detail).toMatch(/→ 200 \(task \d+ among 1\)$/)
    expect(row(rows, 'update').detail).toMatch(/^PUT \/api\/backend\/\S+\/tasks\/\d+ → 200$/)
    expect(row(rows, 'complete').detail).toMatch(/^PATCH \/api\/backend\/\S+\/tasks\/\d+\/complete → 200$/)
    expect(row(rows, 'delete').detail).toMatch(/^DELETE \/api\/backend\/\S+\/tasks\/\d+ → 204$/)
    expect(row(rows, 'chat').detail).toMatch(
      /^POST \/api\/backend\/\S+\/chat → 200 \(the reference app's offline chatbot, no key; replied "You have no tasks\."\)$/,
    )
    // the reference app does not enable Better Auth's delete-user: the row says what stays
    expect(row(rows, 'cleanup').detail).toMatch(
      /^POST \/api\/auth\/delete-user → 404; remains: user kit-journey-[0-9a-f]+@example\.com and its chat conversation \(the app's delete-user route is off/,
    )
  })

  it('an origin Better Auth does not trust: sign-up FAIL with PUBLIC_URL as the fix', async () => {
    const rows = await runJourney(plan({ origin: 'http://todo.example' }), httpSend(30_000))
    const r = row(rows, 'sign-up')
    expect(r.status).toBe('fail')
    expect(r.detail).toBe(
      "POST /api/auth/sign-up/email → 403 (Invalid origin): the app's auth does not trust the origin http://todo.example a browser on the public URL sends",
    )
    expect(r.fix).toMatch(/^PUBLIC_URL must be the URL users open/)
  })

  it("the backend gone: the frontend's proxy answers for it, and the create row says so", async () => {
    await stack.stopBackend()
    // the routes as the backend declared them (its /openapi.json, written by its FastAPI app)
    const doc = JSON.parse(readFileSync(join(repo, 'test/kit/fixtures/journey/reference-openapi.json'), 'utf8'))
    const rows = await runJourney(
      plan({ openapi: { where: 'the stored document', read: async () => ({ doc }) } }),
      httpSend(30_000),
    )
    expect(row(rows, 'sign-up').status).toBe('pass')
    const r = row(rows, 'create')
    expect(r.status).toBe('fail')
    expect(r.detail).toMatch(
      /^POST \/api\/backend\/\S+\/tasks → 50[234] .*: the frontend's proxy got no answer from the backend$/,
    )
    expect(r.fix).toBe('see the pods and endpoints rows; kubectl logs -n todo deploy/todo-backend --tail=50')
  })
})
