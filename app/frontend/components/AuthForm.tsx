'use client'
import Link from 'next/link'
import { useRouter, useSearchParams } from 'next/navigation'
import { useState, type FormEvent } from 'react'
import { authClient } from '@/lib/auth-client'
import { safeNext } from '@/lib/paths'

type Mode = 'sign-in' | 'sign-up'

export function AuthForm({ mode }: { mode: Mode }) {
  const router = useRouter()
  const params = useSearchParams()
  const next = safeNext(params.get('next'))
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState(false)
  const signUp = mode === 'sign-up'

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const email = String(form.get('email') ?? '').trim()
    const password = String(form.get('password') ?? '')
    setPending(true)
    setError(null)
    try {
      const result = signUp
        ? await authClient.signUp.email({ name: String(form.get('name') ?? '').trim() || email.split('@')[0]!, email, password })
        : await authClient.signIn.email({ email, password })
      if (result.error) {
        setError(result.error.message || (signUp ? 'Could not create the account.' : 'Wrong email or password.'))
        return
      }
      router.replace(next)
      router.refresh()
    } catch {
      setError('Cannot reach the server. Check your connection and try again.')
    } finally {
      setPending(false)
    }
  }

  const other = signUp ? '/sign-in' : '/sign-up'
  const otherHref = next === '/tasks' ? other : `${other}?next=${encodeURIComponent(next)}`

  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          ✓ Todo AI Chatbot
        </p>
        <h1>{signUp ? 'Create your account' : 'Sign in'}</h1>
        <p className="muted">{signUp ? 'Keep your tasks, and let the assistant help.' : 'Welcome back.'}</p>
        <form onSubmit={onSubmit} aria-describedby={error ? 'auth-error' : undefined}>
          {signUp && (
            <div className="field">
              <label htmlFor="name">Name</label>
              <input id="name" name="name" type="text" autoComplete="name" maxLength={100} />
            </div>
          )}
          <div className="field">
            <label htmlFor="email">Email</label>
            <input id="email" name="email" type="email" autoComplete="email" required autoFocus />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={signUp ? 'new-password' : 'current-password'}
              required
              minLength={8}
              aria-describedby={signUp ? 'password-hint' : undefined}
            />
            {signUp && (
              <p id="password-hint" className="hint">
                At least 8 characters.
              </p>
            )}
          </div>
          {error && (
            <p id="auth-error" className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary wide" disabled={pending} aria-busy={pending}>
            {pending ? (signUp ? 'Creating account…' : 'Signing in…') : signUp ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p className="switch">
          {signUp ? 'Already have an account? ' : 'New here? '}
          <Link href={otherHref}>{signUp ? 'Sign in' : 'Create an account'}</Link>
        </p>
      </div>
    </main>
  )
}
