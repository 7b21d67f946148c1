import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

// The e2e files share one cluster and run one at a time, in this order. On minikube the kit's own first `up` starts
// the cluster, so the kit's file comes first there; minikube.test.ts stops and deletes the profile; nodes.test.ts then
// has the kit start a profile of its own (containerd, two nodes) and deletes it, so it comes last.
// network-policy.test.ts needs a network that enforces policies: the harness runs one.
const e2eCluster = process.env.E2E_CLUSTER ?? (process.env.CI ? 'harness' : 'current')
const E2E_ORDER = {
  minikube: [
    'kit.test.ts',
    'dev.test.ts',
    'cluster.test.ts',
    'existing-apps.test.ts',
    'corpus-apps.test.ts',
    'minikube.test.ts',
    'nodes.test.ts',
  ],
  harness: ['cluster.test.ts', 'kit.test.ts', 'dev.test.ts', 'network-policy.test.ts'],
}[e2eCluster] ?? ['cluster.test.ts', 'kit.test.ts']
// The images suite's longest file (several real apps: ~50 s warm, ~290 s cold) starts first, so the other worker runs the rest
// beside it instead of after it (a fresh clone has no timing cache for vitest to order by).
const FIRST = ['/test/images/corpus.test.ts']
class E2EOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    const sorted = await super.sort(files)
    const rank = (f: TestSpecification) => E2E_ORDER.findIndex((name) => f.moduleId.endsWith(`/test/e2e/${name}`))
    const first = (f: TestSpecification) => FIRST.some((name) => f.moduleId.endsWith(name))
    const e2e = sorted.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b))
    const rest = sorted.filter((f) => rank(f) < 0)
    return [...rest.filter(first), ...rest.filter((f) => !first(f)), ...e2e]
  }
}

// One project per part of the kit, so each can be run alone (`vitest run --project chart`)
// and CI can order them from cheap to expensive.
const project = (name: string, include: string[], timeoutMs: number, extra: Record<string, unknown> = {}) => ({
  test: { name, include, testTimeout: timeoutMs, hookTimeout: timeoutMs, ...extra },
})

export default defineConfig({
  test: {
    reporters: ['default'],
    sequence: { sequencer: E2EOrder },
    projects: [
      // two files at a time even on 2 cores (vitest's default there is one): a stage test mostly waits on the zx
      // subprocess it started (four of its files here: 207 s one at a time, 97 s two at a time)
      project('kit', ['test/kit/**/*.test.ts'], 30_000, { maxWorkers: 2 }),
      project('chart', ['test/chart/**/*.test.ts'], 120_000),
      project('frontend', ['test/frontend/**/*.test.ts'], 300_000),
      // two files at a time as well: a build waits on the registries (npm, PyPI, Debian) as much as it computes, so
      // one file's downloads overlap another's `next build` (figures: docs/testing.md)
      project('images', ['test/images/**/*.test.ts'], 1_200_000, { maxWorkers: 2 }),
      // one cluster for the whole project: its global setup starts it, and its files run one at a time
      // minikube.test.ts needs the minikube the kit starts (E2E_CLUSTER=minikube)
      project(
        'e2e',
        E2E_ORDER.map((f) => `test/e2e/${f}`),
        1_800_000,
        {
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
        },
      ),
    ],
  },
})
