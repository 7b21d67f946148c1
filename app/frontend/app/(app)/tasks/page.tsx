import type { Metadata } from 'next'
import { AppShell } from '@/components/AppShell'
import { TasksView } from '@/components/TasksView'
import { requireUser } from '@/lib/session'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Tasks' }

export default async function TasksPage() {
  const user = await requireUser('/tasks')
  return (
    <AppShell user={user} active="tasks">
      <TasksView userId={user.id} />
    </AppShell>
  )
}
