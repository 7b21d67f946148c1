// Development entry point: `node migrate.mjs` from app/frontend (Node >= 22.18 strips the TypeScript types).
// The built app has its own self-contained .next/standalone/migrate.mjs (see scripts/finish-standalone.mjs).
await import('./scripts/migrate.ts')
