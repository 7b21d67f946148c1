// postgresql.neonProxy: the sidecar for a frontend on @neondatabase/serverless, rendered by real helm. The certificate
// must be valid for the host the frontend's DATABASE_URL names (the driver dials https://<that host>/sql and
// wss://<that host>/v2), signed by the CA the frontend trusts; PostgreSQL asks loopback clients for the password; only
// the frontend and its migration step may reach 443. That the rendered pieces work together against a real
// PostgreSQL and the real driver: test/images/neon-proxy.test.ts.
import { createHash, X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { find, helms, TAGS, template, type K8sObject } from './helm.ts'

const ON = [...TAGS, 'postgresql.neonProxy.enabled=true', 'postgresql.neonProxy.image.tag=h-0a1b2c3d4e5f']
const b64 = (s: string) => Buffer.from(s, 'base64')
const podOf = (o: K8sObject) => o.spec.template.spec
const env = (c: any, name: string) => (c.env ?? []).find((e: any) => e.name === name)

describe.each(helms())('$label', (helm) => {
  it('off by default, and off with an external database even when asked for', () => {
    for (const set of [TAGS, [...ON, 'postgresql.enabled=false']]) {
      const r = template(helm, { set })
      expect(r.stderr).toBe('')
      const text = stringify(r.objects)
      expect(text).not.toContain('neon-proxy')
      expect(text).not.toContain('NODE_EXTRA_CA_CERTS')
    }
  })

  it('on: a certificate for the host of the frontend’s DATABASE_URL, signed by the CA the frontend trusts', () => {
    const r = template(helm, { set: ON })
    expect(r.stderr).toBe('')
    const secret = find(r.objects, 'Secret', 'todo-postgresql-neon-proxy-tls')!
    expect(secret.type).toBe('kubernetes.io/tls')
    expect(Object.keys(secret.data!).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key'])
    const ca = new X509Certificate(b64(secret.data!['ca.crt']!))
    const cert = new X509Certificate(b64(secret.data!['tls.crt']!))
    expect(ca.ca).toBe(true)
    expect(cert.verify(ca.publicKey)).toBe(true)

    const fe = podOf(find(r.objects, 'Deployment', 'todo-frontend')!)
    const url = new URL(env(fe.containers[0], 'DATABASE_URL').value.replace(/\$\(\w+\)/g, 'x'))
    expect(url.hostname).toBe('todo-postgresql')
    // the driver makes https://api.<rest>/sql of a host with a dot in it: the kit's host has none
    expect(url.hostname).not.toContain('.')
    for (const host of [url.hostname, 'todo-postgresql.todo.svc', 'todo-postgresql.todo.svc.cluster.local'])
      expect(cert.checkHost(host), host).toBe(host)
    expect(cert.checkHost('todo-backend')).toBeUndefined()

    // the frontend reads the CA (only the CA: the key stays with the proxy) and rolls when it changes
    const ca_env = env(fe.containers[0], 'NODE_EXTRA_CA_CERTS').value
    const mount = fe.containers[0].volumeMounts.find((m: any) => ca_env.startsWith(`${m.mountPath}/`))
    const volume = fe.volumes.find((v: any) => v.name === mount.name)
    expect(volume.secret).toEqual({
      secretName: 'todo-postgresql-neon-proxy-tls',
      items: [{ key: 'ca.crt', path: ca_env.slice(mount.mountPath.length + 1) }],
    })
    const annotations = find(r.objects, 'Deployment', 'todo-frontend')!.spec.template.metadata.annotations
    expect(annotations['checksum/neon-proxy-ca']).toBe(
      createHash('sha256').update(secret.data!['ca.crt']!).digest('hex'),
    )
    // the key is in the Secret and nowhere else
    const key = secret.data!['tls.key']!
    expect(stringify(r.objects.filter((o) => o !== secret))).not.toContain(key)
    expect(b64(key).toString()).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/)
  })

  it('on: the sidecar on 443 with the certificate, PostgreSQL asking loopback clients for the password', () => {
    const r = template(helm, { set: ON })
    const sts = find(r.objects, 'StatefulSet', 'todo-postgresql')!
    const pod = podOf(sts)
    const [pg, proxy] = pod.containers
    expect(pod.containers.map((c: any) => c.name)).toEqual(['postgresql', 'neon-proxy'])
    expect(proxy.image).toBe('todo-frontend-neon-proxy:h-0a1b2c3d4e5f')
    expect(proxy.ports).toEqual([{ name: 'neon-proxy', containerPort: 443, protocol: 'TCP' }])
    expect(proxy.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true })
    expect(pod.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }])
    expect(proxy.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'neon-proxy', scheme: 'HTTPS' })
    const tlsMount = proxy.volumeMounts.find((m: any) => m.mountPath === '/tls')
    expect(pod.volumes.find((v: any) => v.name === tlsMount.name).secret.secretName).toBe(
      'todo-postgresql-neon-proxy-tls',
    )

    expect(pg.args).toEqual(['postgres', '-c', 'hba_file=/etc/postgresql/neon-proxy/pg_hba.conf'])
    const hbaMount = pg.volumeMounts.find((m: any) => m.mountPath === '/etc/postgresql/neon-proxy')
    const cm = find(r.objects, 'ConfigMap', pod.volumes.find((v: any) => v.name === hbaMount.name).configMap.name)!
    const rules = cm
      .data!['pg_hba.conf']!.split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.trim().split(/\s+/).join(' '))
    expect(rules).toContain('host all all 127.0.0.1/32 password')
    expect(rules).toContain('host all all ::1/128 password')
    // every other connection as the official image has it
    expect(rules.at(-1)).toBe('host all all all scram-sha-256')
    expect(rules.filter((l) => l.endsWith(' trust')).every((l) => l.startsWith('local '))).toBe(true)
    expect(sts.spec.template.metadata.annotations['checksum/neon-proxy']).toMatch(/^[0-9a-f]{64}$/)

    const svc = find(r.objects, 'Service', 'todo-postgresql')!
    expect(svc.spec.ports.find((p: any) => p.port === 443)).toEqual({
      name: 'neon-proxy',
      port: 443,
      targetPort: 'neon-proxy',
      protocol: 'TCP',
    })
  })

  it('on: the frontend’s migration step trusts the CA too (an auth config may use the driver)', () => {
    const r = template(helm, { set: ON })
    const job = podOf(find(r.objects, 'Job', 'todo-migrate')!)
    const step = [...(job.initContainers ?? []), ...job.containers].find((c: any) => c.name === 'migrate-frontend')
    expect(env(step, 'NODE_EXTRA_CA_CERTS').value).toBe('/etc/neon-proxy-ca/ca.crt')
    const mount = step.volumeMounts.find((m: any) => m.mountPath === '/etc/neon-proxy-ca')
    expect(job.volumes.find((v: any) => v.name === mount.name).secret.secretName).toBe('todo-postgresql-neon-proxy-tls')
    const backendStep = [...(job.initContainers ?? []), ...job.containers].find(
      (c: any) => c.name === 'migrate-backend',
    )
    expect(env(backendStep, 'NODE_EXTRA_CA_CERTS')).toBeUndefined()
  })

  it('migrations.order=[frontend, backend, frontend]: the auth step first and again last, each trusting the CA', () => {
    const r = template(helm, { set: ON, setJson: ['migrations.order=["frontend","backend","frontend"]'] })
    expect(r.stderr).toBe('')
    const job = podOf(find(r.objects, 'Job', 'todo-migrate')!)
    // the wait for the database, then the steps in order: the last one is the Job's container
    expect(job.initContainers.map((c: any) => c.name).slice(1)).toEqual(['migrate-frontend', 'migrate-backend'])
    expect(job.containers.map((c: any) => c.name)).toEqual(['migrate-frontend-again'])
    for (const step of [job.initContainers[1], job.containers[0]]) {
      expect(step.command).toEqual(['node', 'migrate.mjs'])
      const mount = step.volumeMounts.find((m: any) => m.mountPath === '/etc/neon-proxy-ca')
      expect(job.volumes.find((v: any) => v.name === mount.name).secret.secretName).toBe(
        'todo-postgresql-neon-proxy-tls',
      )
    }
  })

  it('postgresql.tls alone: PostgreSQL offers TLS with the same certificate; no sidecar, no port 443; the frontend trusts the CA', () => {
    const r = template(helm, { set: [...TAGS, 'postgresql.tls.enabled=true'] })
    expect(r.stderr).toBe('')
    const pod = podOf(find(r.objects, 'StatefulSet', 'todo-postgresql')!)
    expect(pod.containers.map((c: any) => c.name)).toEqual(['postgresql'])
    expect(pod.containers[0].args).toEqual([
      'postgres',
      '-c',
      'ssl=on',
      '-c',
      'ssl_cert_file=/etc/postgresql/tls/tls.crt',
      '-c',
      'ssl_key_file=/etc/postgresql/tls/tls.key',
    ])
    const vol = pod.volumes.find((v: any) => v.name === 'postgresql-tls')
    expect(vol.secret.secretName).toBe('todo-postgresql-neon-proxy-tls')
    expect(find(r.objects, 'Secret', 'todo-postgresql-neon-proxy-tls')).toBeDefined()
    expect(find(r.objects, 'ConfigMap', 'todo-postgresql-neon-proxy')).toBeUndefined()
    expect(find(r.objects, 'Service', 'todo-postgresql')!.spec.ports.map((p: any) => p.port)).toEqual([5432])
    const fe = podOf(find(r.objects, 'Deployment', 'todo-frontend')!)
    expect(env(fe.containers[0], 'NODE_EXTRA_CA_CERTS').value).toBe('/etc/neon-proxy-ca/ca.crt')
    // an external database is reached as the app always did
    const ext = template(helm, { set: [...TAGS, 'postgresql.tls.enabled=true', 'postgresql.enabled=false'] })
    expect(ext.stdout).not.toContain('ssl=on')
    expect(ext.stdout).not.toContain('NODE_EXTRA_CA_CERTS')
  })

  it('on: only the frontend and its migration step reach the database on 443', () => {
    const r = template(helm, { set: ON })
    const np = (name: string) => find(r.objects, 'NetworkPolicy', name)!
    const reaches443 = (name: string) =>
      (np(name).spec.egress ?? []).some(
        (rule: any) =>
          rule.ports?.some((p: any) => p.port === 443) &&
          rule.to?.some((t: any) => t.podSelector?.matchLabels?.['app.kubernetes.io/component'] === 'postgresql'),
      )
    expect(reaches443('todo-frontend')).toBe(true)
    expect(reaches443('todo-migrate')).toBe(true)
    expect(reaches443('todo-backend')).toBe(false)
    const rule = np('todo-postgresql').spec.ingress.find((i: any) => i.ports.some((p: any) => p.port === 443))
    expect(rule.from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/component'])).toEqual([
      'frontend',
      'migrate',
    ])
  })

  it('on without an image tag: fails naming the value', () => {
    const r = template(helm, { set: [...TAGS, 'postgresql.neonProxy.enabled=true'] })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('postgresql.neonProxy.image.tag is required')
  })
})
