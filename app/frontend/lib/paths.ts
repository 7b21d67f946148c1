/** Only same-site page paths may be used as a post-sign-in destination (no open redirects). */
export function safeNext(value: string | null | undefined, fallback = '/tasks'): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback
  if (value.startsWith('/api/') || /[\r\n]/.test(value)) return fallback
  return value
}
