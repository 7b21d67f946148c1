import Link from 'next/link'

export default function NotFound() {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <h1>Page not found</h1>
        <p className="muted" style={{ margin: '0.75rem 0 1.25rem' }}>
          There is nothing at this address.
        </p>
        <Link href="/tasks">Go to your tasks</Link>
      </div>
    </main>
  )
}
