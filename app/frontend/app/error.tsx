'use client'

// Shown when a page fails on the server, e.g. the database is down: say so and offer a retry instead of a blank page.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card" role="alert">
        <h1>Something went wrong</h1>
        <p className="muted" style={{ margin: '0.75rem 0 1.25rem' }}>
          The app could not load this page. It may be starting up or unable to reach its database.
          {error.digest ? ` (reference ${error.digest})` : ''}
        </p>
        <button type="button" className="primary wide" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  )
}
