import Link from 'next/link'
import { SignOutButton } from './SignOutButton'

type Section = 'tasks' | 'chat'

export function AppShell({ user, active, children }: { user: { name?: string | null; email: string }; active: Section; children: React.ReactNode }) {
  const link = (section: Section, label: string) => (
    <Link href={`/${section}`} className={active === section ? 'nav-link active' : 'nav-link'} aria-current={active === section ? 'page' : undefined}>
      {label}
    </Link>
  )
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/tasks" className="brand">
            <span aria-hidden="true">✓ </span>
            <span className="brand-long">Todo AI Chatbot</span>
            <span className="brand-short">Todo</span>
          </Link>
          <nav aria-label="Main">
            {link('tasks', 'Tasks')}
            {link('chat', 'Chat')}
          </nav>
          <div className="account">
            <span className="user" title={user.email}>
              {user.name || user.email}
            </span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" className="container">
        {children}
      </main>
    </>
  )
}
