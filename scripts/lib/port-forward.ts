// A `kubectl port-forward` to the frontend that stays up while `dev` runs. kubectl forwards to one pod of the Service
// and ends (or stops answering) when that pod goes away in a rollout, so it is started again whenever it exits and
// after every frontend rollout.
import net from 'node:net'
import { startArgv, type Started } from './proc.ts'
import type { Ctx } from './stage.ts'

export function portInUse(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'EADDRINUSE'
          ? `something already listens on 127.0.0.1:${port}`
          : `127.0.0.1:${port} cannot be used (${e.code ?? e.message})`,
      ),
    )
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(null)))
  })
}

export type Forward = { restart(): void; stop(): void; ready(timeoutMs: number): Promise<boolean> }

export function keepForwarding(
  ctx: Ctx,
  o: { service: string; port: number; remotePort: number; note: (msg: string) => void },
): Forward {
  const { cfg } = ctx
  let proc: Started | null = null
  let stopped = false
  let listening = false
  let failures = 0
  let timer: NodeJS.Timeout | null = null

  const start = (): void => {
    if (stopped) return
    listening = false
    let said = ''
    const p = startArgv(
      [
        'kubectl',
        'port-forward',
        '-n',
        cfg.namespace,
        `svc/${o.service}`,
        `${o.port}:${o.remotePort}`,
        '--address',
        '127.0.0.1',
      ],
      {
        cwd: cfg.root,
        env: ctx.env,
        collect: false,
        onStdout: (s) => {
          if (/Forwarding from/.test(s)) {
            listening = true
            failures = 0
          }
        },
        onStderr: (s) => {
          said = s.trim().split('\n').pop() ?? said
        },
      },
    )
    proc = p
    void p.exited.then(() => {
      if (stopped || proc !== p) return
      // quietly again after a rollout; say so when it keeps failing (no frontend pod yet, the port taken meanwhile)
      failures += 1
      if (failures === 3)
        o.note(`port-forward to svc/${o.service} keeps ending${said ? `: ${ctx.redact(said)}` : ''}; retrying every 2s`)
      timer = setTimeout(start, failures > 1 ? 2_000 : 300)
    })
  }

  const connects = (): Promise<boolean> =>
    new Promise((resolve) => {
      const sock = net.connect({ port: o.port, host: '127.0.0.1' })
      sock.setTimeout(1_000)
      sock.once('connect', () => {
        sock.destroy()
        resolve(true)
      })
      sock.once('error', () => resolve(false))
      sock.once('timeout', () => {
        sock.destroy()
        resolve(false)
      })
    })

  start()
  return {
    restart: () => {
      if (stopped) return
      const old = proc
      proc = null
      old?.stop()
      if (timer) clearTimeout(timer)
      start()
    },
    stop: () => {
      stopped = true
      if (timer) clearTimeout(timer)
      proc?.stop()
    },
    ready: async (timeoutMs) => {
      const until = Date.now() + timeoutMs
      while (Date.now() < until && !stopped) {
        if (listening && (await connects())) return true
        await new Promise((r) => setTimeout(r, 200))
      }
      return false
    },
  }
}
