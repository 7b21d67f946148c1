// A Python base image for an app that pins an older Python than the local stand-in's (../shared/rig/base-images.sh has
// local/python:3.13, Debian trixie's), for the tests only (never for users, whose default is python:X.Y-slim): Debian
// bookworm's python3.11, laid out like python:3.11-slim (/usr/local/bin/python, pip), on a bookworm root made with
// debootstrap as the rig makes trixie's. No registry is reachable here; Debian's mirror is. Built once (~1 min), then
// kept by docker like the rig's images.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const SUITES: Record<string, string> = { '3.11': 'bookworm' }

const exists = (image: string): boolean => {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** local/python:<version> (3.11 only), built when missing; returns its name. */
export function pythonStandin(version: '3.11'): string {
  const image = `local/python:${version}`
  if (exists(image)) return image
  const suite = SUITES[version]!
  const base = `local/debian:${suite}`
  const work = mkdtempSync(path.join(tmpdir(), 'kit-python-standin-'))
  try {
    if (!exists(base)) {
      const root = path.join(work, 'rootfs')
      execFileSync('debootstrap', ['--variant=minbase', suite, root, 'http://deb.debian.org/debian'], {
        stdio: 'ignore',
      })
      // outbound TLS here is intercepted: the host's CA bundle goes in, as the rig does for its images
      execFileSync('sh', [
        '-c',
        'rm -rf "$0"/var/cache/apt/archives/*.deb "$0"/var/lib/apt/lists/* "$0"/usr/share/doc/* "$0"/usr/share/man/* ' +
          '&& mkdir -p "$0/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$0/etc/ssl/certs/" ' +
          '&& printf \'APT::Install-Recommends "false";\\n\' >"$0/etc/apt/apt.conf.d/99no-recommends"',
        root,
      ])
      execFileSync('sh', [
        '-c',
        'tar --numeric-owner -C "$0" -c . | docker import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change \'CMD ["bash"]\' - "$1"',
        root,
        base,
      ])
    }
    writeFileSync(
      path.join(work, 'Dockerfile'),
      [
        `FROM ${base}`,
        'ENV LANG=C.UTF-8',
        'RUN apt-get update \\',
        ` && apt-get install -y --no-install-recommends python${version} python${version}-venv python3-pip ca-certificates \\`,
        ' && rm -rf /var/lib/apt/lists/* /usr/lib/python3.*/EXTERNALLY-MANAGED \\',
        ` && ln -s /usr/bin/python${version} /usr/local/bin/python3 && ln -s /usr/bin/python${version} /usr/local/bin/python \\`,
        ` && printf '#!/bin/sh\\nexec /usr/bin/python${version} -m pip "$@"\\n' >/usr/local/bin/pip && chmod 755 /usr/local/bin/pip \\`,
        ' && ln -s pip /usr/local/bin/pip3 && python --version',
        // after ca-certificates' own bundle: the host's, with the CA that intercepts outbound TLS here
        'COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
        'CMD ["python3"]',
        '',
      ].join('\n'),
    )
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(work, 'ca-certificates.crt'))
    execFileSync('docker', ['build', '-q', '-t', image, work], { stdio: 'ignore' })
    return image
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
