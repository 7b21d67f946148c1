import type { Metadata } from 'next'
import { Suspense } from 'react'
import { AppShell } from '@/components/AppShell'
import { ChatView } from '@/components/ChatView'
import { requireUser } from '@/lib/session'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Chat' }

export default async function ChatPage() {
  const user = await requireUser('/chat')
  return (
    <AppShell user={user} active="chat">
      <Suspense>
        <ChatView userId={user.id} />
      </Suspense>
    </AppShell>
  )
}
