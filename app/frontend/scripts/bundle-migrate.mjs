// Runs after `next build`: bundles scripts/migrate.ts and everything it imports (Better Auth, Kysely, pg) into one
// file beside server.js, so `node migrate.mjs` works in the standalone output without a node_modules install.
import { build } from 'esbuild'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const standalone = `${root}.next/standalone`
if (!existsSync(`${standalone}/server.js`)) {
  console.error(`bundle-migrate: ${standalone}/server.js is missing; fix: run \`npm run build\` (next build with output: 'standalone') first`)
  process.exit(1)
}

await build({
  entryPoints: [`${root}scripts/migrate.ts`],
  outfile: `${standalone}/migrate.mjs`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // pg and a few of its dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Optional native bindings pg only loads when asked to.
  external: ['pg-native', 'cloudflare:sockets'],
  logLevel: 'warning',
  legalComments: 'none',
})
console.log('bundle-migrate: wrote .next/standalone/migrate.mjs')
