// The one way a stage stops: throw a KitError (what went wrong + the command that fixes it). Only the CLI wrapper
// (scripts/lib/cli.ts) prints it and exits, so `up` can compose stages and tests can call them in-process.
export class KitError extends Error {
  /** the command (or edit) that fixes it, printed after "fix:" */
  readonly fix: string
  /** extra lines printed under the cause (a command's last stderr lines, a diagnosis) */
  readonly details: string[]
  constructor(cause: string, fix: string, details: string[] = []) {
    super(cause)
    this.name = 'KitError'
    this.fix = fix
    this.details = details
  }
}

export function fail(cause: string, fix: string, details: string[] = []): never {
  throw new KitError(cause, fix, details)
}
