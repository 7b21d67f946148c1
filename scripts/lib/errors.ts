// How a stage stops: it throws a KitError (what went wrong + the command that fixes it), or a ConfigError for a
// setting it cannot use. Only the CLI wrapper (scripts/lib/cli.ts) prints them and exits, so `up` can compose stages
// and tests can call them in-process.
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

/** Where a setting's value came from: the environment, the .env file, or the default. */
export type ConfigSource = 'env' | 'file' | 'default'

/** A setting the kit cannot use: its key, what was expected and the fix for where the value came from. */
export class ConfigError extends Error {
  key: string
  expected: string
  /** what to do about it, by where the value came from */
  fix: string
  source: ConfigSource
  constructor(key: string, expected: string, got?: string, source: ConfigSource = 'default', fix = '') {
    super(`${key}${got === undefined ? '' : `=${JSON.stringify(got)}`} is invalid: expected ${expected}`)
    this.name = 'ConfigError'
    this.key = key
    this.expected = expected
    this.source = source
    this.fix = fix
  }
}

/**
 * Promise.all for independent questions asked at once, failing as asking them one by one would: with the first
 * failure in argument order (a missing tool before the wrong context it also causes), after all have settled.
 */
export async function inOrder<T extends readonly unknown[]>(...ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(ps)
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T
}
