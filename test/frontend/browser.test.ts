// The whole product in a real headless Chromium against the real built frontend, the real backend and PostgreSQL:
// sign up, manage tasks by hand, let the chat assistant add one, sign out, and check the protected pages.
// Screenshots of each page land in test-output/frontend/ for a person to look at.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { outputDir, startStack, type Stack } from './support/stack.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let stack: Stack
let browser: Browser
let context: BrowserContext
let page: Page
const pageErrors: string[] = []
const backendHits: string[] = []
const email = `new.user.${Date.now()}@example.com`
const password = 'correct horse battery'

const shot = (name: string) => page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true })
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })
const path = () => new URL(page.url()).pathname + new URL(page.url()).search

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}; fix: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  mkdirSync(outputDir, { recursive: true })
  stack = await startStack()
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  context = await browser.newContext({ viewport: { width: 1100, height: 800 } })
  page = await context.newPage()
  page.setDefaultTimeout(20_000)
  page.on('pageerror', (err) => pageErrors.push(String(err)))
  // The browser must never talk to the backend directly.
  page.on('request', (req) => {
    if (new URL(req.url()).port === String(stack.backendPort)) backendHits.push(req.url())
  })
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

describe('the reference frontend in Chromium', () => {
  it('redirects a signed-out visitor from the protected pages to sign-in', async () => {
    await page.goto(`${stack.frontendUrl}/tasks`)
    expect(path()).toBe('/sign-in?next=%2Ftasks')
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true)
    await shot('01-sign-in')
    await page.goto(stack.frontendUrl)
    expect(path()).toBe('/sign-in')
  })

  it('shows the sign-in error for unknown credentials', async () => {
    await page.getByLabel('Email').fill('nobody@example.com')
    await page.getByLabel('Password').fill('wrong password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    // Next.js's own route announcer is also an (empty) alert: look for ours.
    const alert = page.getByRole('alert').filter({ hasText: /\S/ })
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/invalid|wrong/i)
    await shot('02-sign-in-error')
  })

  it('signs up and lands on an empty task list', async () => {
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.waitForURL('**/sign-up')
    await page.getByLabel('Name').fill('Ada')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await shot('03-sign-up')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.waitForURL('**/tasks')
    await page.getByText('No tasks yet').waitFor()
    expect(await page.getByRole('banner').textContent()).toContain('Ada')
    await shot('04-tasks-empty')
  })

  it('adds, edits, completes and filters a task', async () => {
    await page.getByLabel('New task').fill('Write the report')
    await page.getByLabel('Details').fill('for Friday')
    await page.getByRole('button', { name: 'Add task' }).click()
    const item = page.getByRole('listitem').filter({ hasText: 'Write the report' })
    await item.waitFor()
    expect(await item.textContent()).toContain('for Friday')
    expect(await page.getByLabel('New task').inputValue()).toBe('')

    await item.getByRole('button', { name: /^Edit/ }).click()
    await page.getByLabel('Title').fill('Write the final report')
    await page.getByRole('button', { name: 'Save' }).click()
    const edited = page.getByRole('listitem').filter({ hasText: 'Write the final report' })
    await edited.waitFor()

    const checkbox = page.getByRole('checkbox', { name: 'Write the final report' })
    expect(await checkbox.isChecked()).toBe(false)
    await checkbox.check()
    await page.locator('li.task.done').filter({ hasText: 'Write the final report' }).waitFor()
    expect(await checkbox.isChecked()).toBe(true)

    await page.getByRole('button', { name: /^Pending/ }).click()
    await page.getByText('Nothing pending').waitFor()
    await page.getByRole('button', { name: /^Completed/ }).click()
    await edited.waitFor()
    await shot('05-tasks-completed-filter')
    await page.getByRole('button', { name: /^All/ }).click()

    // It is really stored: a reload shows it completed.
    await page.reload()
    await page.getByRole('checkbox', { name: 'Write the final report' }).waitFor()
    expect(await page.getByRole('checkbox', { name: 'Write the final report' }).isChecked()).toBe(true)
  })

  it('asks the chat to "add buy milk", shows the tool it called, and the task appears', async () => {
    await nav('Chat').click()
    await page.waitForURL('**/chat')
    await shot('06-chat-empty')
    await page.getByLabel('Message').fill('add buy milk')
    await page.keyboard.press('Enter')
    const reply = page.locator('li.message.assistant').last()
    await reply
      .getByText(/buy milk/i)
      .first()
      .waitFor()
    expect(await reply.locator('.tool-name').allTextContents()).toContain('add_task')
    await page.waitForURL(/\/chat\?c=\d+$/)
    const conversation = new URL(page.url()).searchParams.get('c')
    await shot('07-chat-reply')

    // The conversation resumes after a reload and from a bare /chat (the id is remembered).
    await page.goto(`${stack.frontendUrl}/chat`)
    await page.waitForURL(`**/chat?c=${conversation}`)
    await page.locator('li.message.user').filter({ hasText: 'add buy milk' }).waitFor()
    // waitFor() fails unless the label becomes visible; a one-shot isVisible() raced the render on a busy machine.
    await page.getByText(`Conversation #${conversation}`, { exact: true }).waitFor()

    await nav('Tasks').click()
    await page.waitForURL('**/tasks')
    const milk = page.getByRole('listitem').filter({ hasText: 'buy milk' })
    await milk.waitFor()
    await shot('08-tasks-with-chat-task')

    await milk.getByRole('button', { name: /^Delete/ }).click()
    await milk.waitFor({ state: 'detached' })
    expect(await page.getByRole('listitem').filter({ hasText: 'Write the final report' }).count()).toBe(1)
  })

  it('looks right on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 780 })
    await page.reload()
    await page.getByRole('checkbox', { name: 'Write the final report' }).waitFor()
    // Evaluated in the page (a string: this file is type-checked without DOM types).
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )
    expect(overflow).toBeLessThanOrEqual(0)
    const header = await page.getByRole('banner').boundingBox()
    expect(header!.height).toBeLessThan(80) // brand, nav and sign-out fit on one row
    await shot('09-tasks-mobile')
    await page.setViewportSize({ width: 1100, height: 800 })
  })

  it('signs out, then protected pages and the API refuse', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL('**/sign-in')
    for (const p of ['/tasks', '/chat']) {
      await page.goto(`${stack.frontendUrl}${p}`)
      expect(path()).toBe(`/sign-in?next=${encodeURIComponent(p)}`)
    }
    const api = await page.request.get(`${stack.frontendUrl}/api/backend/anyone/tasks`)
    expect(api.status()).toBe(401)
    await shot('10-signed-out')
  })

  it('signs back in and comes back to the page it was sent from, with the data kept', async () => {
    await page.goto(`${stack.frontendUrl}/chat`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/chat(\?c=\d+)?$/)
    await nav('Tasks').click()
    await page.getByRole('checkbox', { name: 'Write the final report' }).waitFor()
  })

  it('says so, with a retry, when the backend is down', async () => {
    await stack.stopBackend()
    await page.reload()
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load your tasks' })
    await alert.waitFor()
    expect(await alert.textContent()).toContain('The backend is not reachable')
    expect(await alert.textContent()).not.toContain(String(stack.backendPort))
    await alert.getByRole('button', { name: 'Try again' }).waitFor()
    await shot('11-tasks-backend-down')

    await nav('Chat').click()
    await page.getByLabel('Message').fill('show pending tasks')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByRole('alert').filter({ hasText: 'not reachable' }).waitFor()
    // The message is kept for another try.
    expect(await page.getByLabel('Message').inputValue()).toBe('show pending tasks')
  })

  it('never called the backend from the browser and threw no page errors', () => {
    expect(backendHits).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('serves exactly the one signing key the migration created', async () => {
    const jwks = (await (await fetch(`${stack.frontendUrl}/api/auth/jwks`)).json()) as {
      keys: { kid: string; alg: string }[]
    }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]!.alg).toBe('EdDSA')
  })
})
