#!/usr/bin/env node
// The npm scripts' entry point (`npm run up` → `node scripts/kit.mjs up`). Plain JavaScript on purpose: it has to run
// on any Node.js to say, in one line, that the stages need a newer one (they are TypeScript that Node runs directly
// from 22.18 on; an older Node stops with a stack trace about the ".ts" extension).
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MIN = [22, 18]
const STAGES = ['init', 'up', 'dev', 'setup', 'build', 'load', 'deploy', 'validate', 'ai-examples', 'cleanup']

export function tooOld(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number)
  return major < MIN[0] || (major === MIN[0] && minor < MIN[1])
}

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * On a Node too old for the stages: the one line and its fix, and exit. The project's .npmrc (node-options) runs it
 * with `stagesOnly` in every Node that npm starts here, so `npx zx scripts/<stage>.ts` says this instead of a stack
 * trace; any other program on an old Node runs on.
 */
export function refuseOldNode({ stagesOnly = false } = {}) {
  if (!tooOld(process.versions.node)) return
  const stage = (a) => /\.ts$/.test(a) && path.resolve(a).startsWith(here + path.sep)
  if (stagesOnly && !process.argv.slice(1).some(stage)) return
  const fix =
    process.platform === 'darwin'
      ? 'brew install node'
      : process.platform === 'win32'
        ? 'winget install OpenJS.NodeJS'
        : 'https://nodejs.org (or: nvm install 24)'
  process.stderr.write(
    `✖ Node.js ${process.versions.node} is too old: the kit runs its TypeScript stages directly and needs Node.js ${MIN.join('.')} or newer\n  fix: ${fix}\n`,
  )
  process.exit(1)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stage = process.argv[2]
  refuseOldNode()
  if (!STAGES.includes(stage)) {
    process.stderr.write(
      `✖ ${stage ? `unknown stage ${stage}` : 'no stage given'}: one of ${STAGES.join(', ')}\n  fix: npm run up -- --help\n`,
    )
    process.exitCode = 1
  } else {
    // the stage sees itself as the script being run, with its own flags after it
    const file = path.join(here, `${stage}.ts`)
    process.argv.splice(1, 2, file)
    await import(pathToFileURL(file).href)
  }
}
