// Runs after `next build` and makes .next/standalone a complete, self-contained app directory:
//  1. bundles scripts/migrate.ts and everything it imports (Better Auth, Kysely, pg) into migrate.mjs beside
//     server.js, so `node migrate.mjs` works in the image without a node_modules install;
//  2. copies .next/static (and public/ when present) in, which `next build` leaves out of standalone output.
// An image then needs only `COPY .next/standalone /app`; copying .next/static again as the Next.js Docker example does
// is harmless.
import { build } from 'esbuild'
import { cpSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const standalone = `${root}.next/standalone`
if (!existsSync(`${standalone}/server.js`)) {
  console.error(`finish-standalone: ${standalone}/server.js is missing; fix: run \`npm run build\` (next build with output: 'standalone')`)
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
  // Optional bindings pg loads only when asked to.
  external: ['pg-native', 'cloudflare:sockets'],
  logLevel: 'warning',
  legalComments: 'none',
})

cpSync(`${root}.next/static`, `${standalone}/.next/static`, { recursive: true })
if (existsSync(`${root}public`)) cpSync(`${root}public`, `${standalone}/public`, { recursive: true })
console.log('finish-standalone: .next/standalone has server.js, migrate.mjs and static assets')
