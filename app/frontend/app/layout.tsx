import type { Metadata, Viewport } from 'next'
import './globals.css'

export const metadata: Metadata = {
  title: { default: 'Todo AI Chatbot', template: '%s · Todo AI Chatbot' },
  description: 'Tasks you can manage by hand or by chatting with an assistant.',
}

export const viewport: Viewport = { width: 'device-width', initialScale: 1, themeColor: '#1f4fd1' }

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {children}
      </body>
    </html>
  )
}
