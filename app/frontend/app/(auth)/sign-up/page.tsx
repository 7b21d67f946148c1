import type { Metadata } from 'next'
import { redirect } from 'next/navigation'
import { Suspense } from 'react'
import { AuthForm } from '@/components/AuthForm'
import { currentSession } from '@/lib/session'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Create account' }

export default async function Page() {
  if (await currentSession()) redirect('/tasks')
  return (
    <Suspense>
      <AuthForm mode="sign-up" />
    </Suspense>
  )
}
