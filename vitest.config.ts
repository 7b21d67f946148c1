import { defineConfig } from 'vitest/config'

// One project per part of the kit, so each can be run alone (`vitest run --project chart`)
// and CI can order them from cheap to expensive.
const project = (name: string, include: string[], timeoutMs: number, extra: Record<string, unknown> = {}) => ({
  test: { name, include, testTimeout: timeoutMs, hookTimeout: timeoutMs, ...extra },
})

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      project('kit', ['test/kit/**/*.test.ts'], 30_000),
      project('chart', ['test/chart/**/*.test.ts'], 120_000),
      project('frontend', ['test/frontend/**/*.test.ts'], 300_000),
      project('images', ['test/images/**/*.test.ts'], 1_200_000),
      // one cluster for the whole project: its global setup starts it, and its files run one at a time
      project('e2e', ['test/e2e/**/*.test.ts'], 1_800_000, {
        globalSetup: ['test/e2e/global-setup.ts'],
        fileParallelism: false,
      }),
    ],
  },
})
