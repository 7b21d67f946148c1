// A configuration's secrets as the stages use them: the ones deploy requires, the Secret's data, every value to hide.
import type { Config } from './config.ts'
import { secretKeys } from './config-keys.ts'
import { fixFor } from './env-file.ts'
import { ConfigError } from './errors.ts'
import { relPath } from './project-paths.ts'
import { MIN_SECRET_LENGTH } from './redact.ts'

/** The Secret keys deploy writes are set (malformed ones never get this far: loadConfig rejects them). */
export function requireSecrets(cfg: Config): void {
  const s = cfg.secrets
  const envName = cfg.envFile ? relPath(cfg.root, cfg.envFile) : '.env'
  const missing = (key: string, expected: string): ConfigError =>
    cfg.emptyInEnv.includes(key)
      ? new ConfigError(
          key,
          `a value, but the environment sets it empty (exported as ${key}=), which overrides ${envName}`,
          undefined,
          'env',
          `unset ${key}`,
        )
      : new ConfigError(key, expected, undefined, 'default', fixFor(key, 'default', envName))
  if (!s.BETTER_AUTH_SECRET) {
    throw missing(
      'BETTER_AUTH_SECRET',
      'a random string of at least 32 characters in .env, e.g. from: ' + 'openssl rand -base64 32',
    )
  }
  if (!cfg.externalDatabase && !s.POSTGRES_PASSWORD) {
    throw missing(
      'POSTGRES_PASSWORD',
      'a password in .env for the in-cluster PostgreSQL (or set DATABASE_URL for an ' +
        'external database); make one with: openssl rand -hex 24',
    )
  }
  for (const name of cfg.appSecretKeys) {
    if (cfg.appSecrets[name]) continue
    const expected =
      `a value in ${envName}: APP_SECRETS names it, so the Secret deploy makes holds it (the app's own ` +
      `secret, at least ${MIN_SECRET_LENGTH} characters)`
    const fix = `set ${name}=<the value> in ${envName} (or remove ${name} from APP_SECRETS)`
    throw new ConfigError(name, expected, undefined, 'default', fix)
  }
}

/** The Secret's data: the secret keys that are set and in use (no POSTGRES_PASSWORD next to DATABASE_URL). */
export function secretData(cfg: Config): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of secretKeys) {
    const v = cfg.secrets[k]
    if (!v || (k === 'POSTGRES_PASSWORD' && cfg.externalDatabase)) continue
    out[k] = v
  }
  for (const [k, v] of Object.entries(cfg.appSecrets)) out[k] = v
  return out
}

/** Every secret that is set, the kit's and the app's (APP_SECRETS): what output and validate's leak search hide. */
export function allSecrets(cfg: Config): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(cfg.secrets)) if (v) out[k] = v
  return { ...out, ...cfg.appSecrets }
}
