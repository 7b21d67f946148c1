import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // The image runs `node server.js` from .next/standalone: no node_modules install at deploy time.
  output: 'standalone',
  poweredByHeader: false,
  // Pin the workspace root so tracing does not wander into the kit's own package.json one level up.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
}

export default nextConfig
