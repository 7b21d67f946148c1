// Reading a file the user named without being hurt by it: only a regular file is read (a FIFO would block forever, a
// device like /dev/zero would fill the memory), and only up to a size limit. The file is opened without blocking and
// checked through the open descriptor, so what is checked is what is read.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'

/** the limit for the small text files the kit reads (.env, values files, package.json, profiles) */
export const MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024

/** Why a path cannot be read as a file: `problem` completes "<path> is …" ("a FIFO", "larger than 4 MB"). */
export class UnreadableFile extends Error {
  readonly problem: string
  /** the errno code when the system refused (ENOENT, EACCES, ELOOP, …) */
  readonly code?: string
  constructor(file: string, problem: string, code?: string) {
    super(`${file} is ${problem}`)
    this.name = 'UnreadableFile'
    this.problem = problem
    this.code = code
  }
}

/** What a non-regular file is, in words ("a directory", "a FIFO (named pipe)"), or null for a regular file. */
export function notRegular(st: Stats): string | null {
  if (st.isFile()) return null
  if (st.isDirectory()) return 'a directory, not a file'
  if (st.isFIFO()) return 'a FIFO (named pipe), not a regular file'
  if (st.isSocket()) return 'a socket, not a regular file'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device, not a regular file'
  return 'not a regular file'
}

export const sizeText = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`

function systemProblem(e: unknown): { problem: string; code: string } {
  const code = (e as NodeJS.ErrnoException).code ?? 'error'
  const problem =
    code === 'ENOENT'
      ? 'missing (ENOENT)'
      : code === 'EACCES' || code === 'EPERM'
        ? `not readable (${code})`
        : code === 'ELOOP'
          ? 'a symbolic link loop'
          : `not readable (${code})`
  return { problem, code }
}

/** A link whose target does not exist reads as "missing"; say where it points instead. */
export function danglingLink(file: string): string | null {
  try {
    if (!lstatSync(file).isSymbolicLink()) return null
  } catch {
    return null
  }
  return statSync(file, { throwIfNoEntry: false }) ? null : 'a symbolic link to a file that does not exist'
}

/**
 * The text of `file`, when it is a regular file of at most `maxBytes`; else an UnreadableFile saying what it is.
 * Symbolic links are followed (the target is checked).
 */
export function readTextFile(file: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (e) {
    const { problem, code } = systemProblem(e)
    if (code === 'ENOENT' && danglingLink(file)) throw new UnreadableFile(file, danglingLink(file)!, code)
    if (code === 'EISDIR') throw new UnreadableFile(file, 'a directory, not a file', code)
    throw new UnreadableFile(file, problem, code)
  }
  try {
    const st = fstatSync(fd)
    const what = notRegular(st)
    if (what) throw new UnreadableFile(file, what)
    if (st.size > maxBytes) throw new UnreadableFile(file, `larger than ${sizeText(maxBytes)} (${sizeText(st.size)})`)
    // read until the end, or one byte past the limit: a file that grows (or a /proc file that reports size 0) stays
    // bounded
    const chunks: Buffer[] = []
    let len = 0
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024)
      const n = readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) break
      chunks.push(chunk.subarray(0, n))
      len += n
      if (len > maxBytes) throw new UnreadableFile(file, `larger than ${sizeText(maxBytes)}`)
    }
    return Buffer.concat(chunks, len).toString('utf8')
  } catch (e) {
    if (e instanceof UnreadableFile) throw e
    const { problem, code } = systemProblem(e)
    throw new UnreadableFile(file, problem, code)
  } finally {
    closeSync(fd)
  }
}
