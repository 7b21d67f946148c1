'use client'
import { createAuthClient } from 'better-auth/react'

// No baseURL: the client talks to the origin the page came from, so nothing about the deployment is baked in.
export const authClient = createAuthClient()
