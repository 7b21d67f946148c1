// Canned answers in front of the stage fakes (../fake.mjs), for the validate and ai-examples tests: kubectl exec,
// services/endpointslices, helm get manifest, docker history, and the AI tools (kubectl-ai, kagent, k8sgpt, docker ai).
// $FAKE_STATE.answers is a list of { match (regex source, tested against "tool arg arg ..."), stdout | file,
// stderr, code, sleepMs }; the first match answers. Anything unmatched goes to the stage fake of the same name
// (docker, kubectl, helm), or fails with "unhandled" for the AI tools. Each call is logged like the stage fakes do,
// plus what stdin was (the AI tools must get a closed stdin, never a pipe or a terminal).
import { appendFileSync, fstatSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'

const tool = path.basename(process.argv[1])
const args = process.argv.slice(2)
const line = [tool, ...args].join(' ')

// The stages call tools in parallel (Promise.all), and the stage fakes rewrite $FAKE_STATE on every call: one call
// at a time, so no call reads a half-written state file. A lock older than 10 s is from a killed call.
const lock = process.env.FAKE_STATE + '.lock'
let held = false
const release = () => {
  if (held) rmSync(lock, { recursive: true, force: true })
  held = false
}
for (;;) {
  try {
    mkdirSync(lock)
    held = true
    break
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > 10_000) rmSync(lock, { recursive: true, force: true })
    } catch {}
    await new Promise((r) => setTimeout(r, 5))
  }
}
process.on('exit', release)
const state = JSON.parse(readFileSync(process.env.FAKE_STATE, 'utf8'))

function stdinKind() {
  try {
    const s = fstatSync(0)
    return s.isCharacterDevice() ? 'null-or-tty' : s.isFIFO() ? 'pipe' : s.isFile() ? 'file' : 'other'
  } catch {
    return 'closed'
  }
}

const answer = (state.answers ?? []).find((a) => new RegExp(a.match, 's').test(line))
if (answer) {
  appendFileSync(process.env.FAKE_LOG, JSON.stringify({ tool, args, stdinKind: stdinKind() }) + '\n')
  release() // a slow answer (a tool at its time limit) must not hold up the others
  if (answer.sleepMs) await new Promise((r) => setTimeout(r, answer.sleepMs))
  const stdout = answer.file ? readFileSync(answer.file, 'utf8') : (answer.stdout ?? '')
  if (stdout) process.stdout.write(stdout.endsWith('\n') ? stdout : stdout + '\n')
  if (answer.stderr) process.stderr.write(answer.stderr + '\n')
  process.exit(answer.code ?? 0)
} else if (['docker', 'kubectl', 'helm', 'minikube'].includes(tool)) {
  await import('../fake.mjs')
} else {
  appendFileSync(process.env.FAKE_LOG, JSON.stringify({ tool, args, stdinKind: stdinKind() }) + '\n')
  process.stderr.write(`fake ${tool}: unhandled ${line}\n`)
  process.exit(1)
}
