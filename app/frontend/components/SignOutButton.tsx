'use client'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { authClient } from '@/lib/auth-client'

export function SignOutButton() {
  const router = useRouter()
  const [pending, setPending] = useState(false)
  return (
    <button
      type="button"
      className="ghost"
      disabled={pending}
      onClick={async () => {
        setPending(true)
        try {
          await authClient.signOut()
        } finally {
          router.replace('/sign-in')
          router.refresh()
        }
      }}
    >
      {pending ? 'Signing out…' : 'Sign out'}
    </button>
  )
}
