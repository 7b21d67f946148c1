// A fake of docker / minikube / kubectl / helm / ctr / kind for the kit's stage tests. Each invocation appends
// {tool, args, stdin} to $FAKE_LOG (JSON lines) and reads/writes $FAKE_STATE, so a second run sees what the first did.
// Answers are shaped after captured real outputs (see the comments). $FAKE_STATE.fail maps a command prefix
// ("helm upgrade") to { stderr, code } to make that command fail.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const tool = path.basename(process.argv[1])
const args = process.argv.slice(2)
const statePath = process.env.FAKE_STATE
const before = readFileSync(statePath, 'utf8')
const state = JSON.parse(before)
const stdin = args.includes('-') && tool === 'kubectl' ? readFileSync(0, 'utf8') : undefined
// DOCKER_HOST as each call got it: tests check which commands were pointed at minikube's Docker (and which were not)
const dockerHost = process.env.DOCKER_HOST
appendFileSync(
  process.env.FAKE_LOG,
  JSON.stringify({ tool, args, stdin: stdin === undefined ? undefined : '<stdin>', dockerHost }) + '\n',
)
if (stdin !== undefined) (state.stdin ??= []).push(stdin)

// stages run read-only queries in parallel: write only on change, and atomically, so no reader sees half a file
const save = () => {
  const after = JSON.stringify(state, null, 2)
  if (after === JSON.stringify(JSON.parse(before), null, 2)) return
  const tmp = `${statePath}.${process.pid}.tmp`
  writeFileSync(tmp, after)
  renameSync(tmp, statePath)
}
const done = (stdout = '', code = 0, stderr = '') => {
  save()
  if (stdout) process.stdout.write(stdout.endsWith('\n') ? stdout : stdout + '\n')
  if (stderr) process.stderr.write(stderr.endsWith('\n') ? stderr : stderr + '\n')
  process.exit(code)
}
const line = [tool, ...args].join(' ')
for (const [prefix, f] of Object.entries(state.fail ?? {})) {
  if (!line.startsWith(prefix)) continue
  // a slow failure (helm waiting out its timeout); `after` is what the failure leaves behind (a rollback's deletions)
  if (f.delayMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, f.delayMs)
  if (f.after) Object.assign(state, f.after)
  // `once`: only the first such command fails (a retry succeeds)
  if (f.once) delete state.fail[prefix]
  done(f.stdout ?? '', f.code ?? 1, f.stderr ?? `${prefix}: failed`)
}
const opt = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const has = (...words) => words.every((w) => args.includes(w))
const ns = () => opt('-n') ?? opt('--namespace') ?? 'default'

// the address `minikube docker-env` hands out for a docker-runtime profile (the docker driver forwards 2376 to it)
const MINIKUBE_DOCKER = 'tcp://127.0.0.1:32771'
// how minikube image ls names an image: fully qualified
const qualified = (n) =>
  /^[^/]+[.:][^/]*\//.test(n) ? n : n.includes('/') ? `docker.io/${n}` : `docker.io/library/${n}`
const short = (n) => n.replace(/^docker\.io\/library\//, '')

// The daemon a docker call reaches: the local engine (state.images), or with DOCKER_HOST the minikube node's own
// engine, whose images are the ones `minikube image ls` lists (state.minikube.images).
function daemon() {
  if (!dockerHost) {
    const images = (state.images ??= [])
    return {
      version: '20.10.24+dfsg1',
      has: (n) => images.includes(n),
      add: (n) => images.push(n),
      remove: (n) => (state.images = images.filter((i) => i !== n)),
      list: () => images,
    }
  }
  const mk = state.minikube ?? {}
  // captured shape: what the docker CLI says when DOCKER_HOST points at nothing listening
  if (dockerHost !== MINIKUBE_DOCKER || !mk.running)
    done(
      '',
      1,
      `error during connect: Get "https://${dockerHost.replace(/^tcp:\/\//, '')}/v1.24/version": dial tcp ${dockerHost.replace(/^tcp:\/\//, '')}: connect: connection refused`,
    )
  // minikube's daemon only speaks TLS with its client certificates
  if (process.env.DOCKER_TLS_VERIFY !== '1' || !process.env.DOCKER_CERT_PATH)
    done('', 1, 'Error response from daemon: Client sent an HTTP request to an HTTPS server.')
  const images = (mk.images ??= [])
  return {
    version: '28.4.0',
    has: (n) => images.includes(qualified(n)),
    add: (n) => images.includes(qualified(n)) || images.push(qualified(n)),
    remove: (n) => (mk.images = images.filter((i) => i !== qualified(n))),
    list: () => images.map(short),
  }
}

function docker() {
  const [cmd, sub] = args
  if (cmd === 'version') {
    // captured: docker version --format {{.Server.Version}} on the Debian engine
    if (state.dockerDown && !dockerHost)
      done('', 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')
    done(daemon().version)
  }
  const d = daemon()
  if (cmd === 'image' && sub === 'ls') {
    // docker image ls <name> --format {{.Repository}}:{{.Tag}}: one line per tag of that repository
    done(
      d
        .list()
        .filter((i) => i.startsWith(`${args[2]}:`))
        .join('\n'),
    )
  }
  if (cmd === 'image' && sub === 'inspect') {
    const name = args[2]
    // captured: `[]` on stdout and "Error response from daemon: no such image: nope:1: No such image: nope:1"
    if (!d.has(name)) done('[]', 1, `Error response from daemon: no such image: ${name}: No such image: ${name}`)
    done(JSON.stringify([{ Id: 'sha256:' + '1'.repeat(64), RepoTags: [name], Size: 123456789 }]))
  }
  if (cmd === 'build') {
    const tag = opt('-t')
    d.add(tag)
    done('', 0, `#1 [internal] load build definition from Dockerfile\n#9 naming to docker.io/library/${tag} done`)
  }
  if (cmd === 'save') {
    const out = opt('-o')
    const names = args.slice(args.indexOf(out) + 1)
    const gone = names.find((n) => !d.has(n))
    if (gone) done('', 1, `Error response from daemon: reference does not exist: ${gone}`)
    writeFileSync(out, `fake image tar of ${names.join(' ')}`)
    done()
  }
  if (cmd === 'load') {
    // docker load -i <file>: the images a fake `docker save` put in it, into the daemon asked
    const names = readFileSync(opt('-i'), 'utf8')
      .replace(/^fake image tar of /, '')
      .split(' ')
    for (const n of names) d.add(n)
    done(names.map((n) => `Loaded image: ${n}`).join('\n'))
  }
  if (cmd === 'tag') {
    d.add(args[2])
    done()
  }
  if (cmd === 'push') {
    ;(state.registry ??= []).push(args[1])
    done(`${args[1].split(':').pop()}: digest: sha256:${'2'.repeat(64)} size: 1234`)
  }
  if (cmd === 'manifest') {
    const ref = args[args.length - 1]
    // captured (docker 20.10, a plain-HTTP registry on localhost): without --insecure the CLI tries TLS only and says
    // "no such manifest" even for a pushed image
    const plainHttp = /^(localhost|127\.)/.test(ref) && !args.includes('--insecure')
    if (!plainHttp && (state.registry ?? []).includes(ref)) done('{"schemaVersion":2}')
    done('', 1, `no such manifest: ${ref}`)
  }
  if (cmd === 'image' && sub === 'rm') {
    d.remove(args[2])
    done(`Untagged: ${args[2]}`)
  }
  done('', 1, `fake docker: unhandled ${line}`)
}

function minikube() {
  const mk = (state.minikube ??= { running: false, addons: {}, images: [] })
  // `minikube -p todo docker-env`: the profile flag may come first
  const [cmd, sub] = args.filter((a, i) => a !== '-p' && args[i - 1] !== '-p')
  const profile = opt('-p') ?? 'minikube'
  if (cmd === 'version') done('v1.34.0')
  if (cmd === 'docker-env') dockerEnv(mk, profile)
  if (cmd === 'status') {
    // captured shape of `minikube status -o json`; exit code 7 when stopped, 85 when the profile does not exist
    // with several nodes, one object per node (a worker's APIServer is "Irrelevant")
    const s = mk.running ? 'Running' : 'Stopped'
    const node = (i) => ({
      Name: i ? `${profile}-m0${i + 1}` : profile,
      Host: s,
      Kubelet: s,
      APIServer: i ? 'Irrelevant' : s,
      Kubeconfig: i ? 'Irrelevant' : mk.running ? 'Configured' : 'Misconfigured',
      Worker: i > 0,
    })
    const nodes = Array.from({ length: mk.nodes ?? 1 }, (_, i) => node(i))
    done(JSON.stringify(nodes.length > 1 ? nodes : nodes[0]), mk.running ? 0 : 7)
  }
  if (cmd === 'start') {
    mk.running = true
    mk.startArgs = args
    mk.nodes = Number(args.find((a) => a.startsWith('--nodes='))?.slice('--nodes='.length) ?? 1)
    state.context = profile
    done(
      `😄  [${profile}] minikube v1.34.0\n🏄  Done! kubectl is now configured to use "${profile}" cluster and "default" namespace by default`,
    )
  }
  if (cmd === 'addons' && sub === 'list') {
    const all = { ingress: 'disabled', 'metrics-server': 'disabled', 'storage-provisioner': 'enabled', ...mk.addons }
    done(JSON.stringify(Object.fromEntries(Object.entries(all).map(([n, s]) => [n, { Profile: profile, Status: s }]))))
  }
  if (cmd === 'addons' && sub === 'enable') {
    mk.addons[args[2]] = 'enabled'
    done(`🌟  The '${args[2]}' addon is enabled`)
  }
  if (cmd === 'image' && sub === 'ls')
    done(['registry.k8s.io/pause:3.10', 'docker.io/kubernetesui/dashboard:v2.7.0', ...mk.images].join('\n'))
  if (cmd === 'image' && sub === 'load') {
    mk.images.push(`docker.io/library/${args[2]}`)
    done()
  }
  if (cmd === 'image' && sub === 'rm') {
    mk.images = mk.images.filter((i) => i !== `docker.io/library/${args[2]}`)
    done()
  }
  if (cmd === 'ip') done('192.168.49.2')
  if (cmd === 'stop' || cmd === 'delete') {
    mk.running = false
    done(`✋  Stopping node "${profile}"  ...`)
  }
  done('', 1, `fake minikube: unhandled ${line}`)
}

// minikube v1.38.1 cmd/minikube/cmd/docker-env.go with --shell none and stdout not a terminal: its tips are silenced
// and every exit ends with "false exit code N" on stdout (exit.Code with SetShell); codes from reason/exitcodes.go.
function dockerEnv(mk, profile) {
  const exit = (code, stderr = '') => done(`false exit code ${code}`, code, stderr)
  if (mk.missing) exit(85) // ExGuestNotFound: Profile "<p>" not found
  if (!mk.running) exit(83) // ExGuestNotRunning: The control-plane node <p> host is not running: state=Stopped
  const runtime = mk.runtime ?? 'docker'
  const driver = mk.driver ?? 'docker'
  if (runtime !== 'docker' && runtime !== 'containerd')
    exit(14, '❌  Exiting due to MK_USAGE: the docker-env command only supports the docker and containerd runtimes')
  if (runtime === 'containerd' && driver !== 'docker')
    exit(
      14,
      '❌  Exiting due to MK_USAGE: the docker-env command only supports the containerd runtime with the docker driver',
    )
  // the user's own DOCKER_HOST comes back as MINIKUBE_EXISTING_DOCKER_HOST (dockerEnvVars)
  const existing = dockerHost ? `MINIKUBE_EXISTING_DOCKER_HOST=${dockerHost}\n` : ''
  if (runtime === 'containerd')
    // containerd on the docker driver: nerdctld over ssh, with an ssh-agent (dockerEnvSSHTmpl)
    done(
      `DOCKER_HOST=ssh://docker@127.0.0.1:32772\nMINIKUBE_ACTIVE_DOCKERD=${profile}\nSSH_AUTH_SOCK=/tmp/ssh-XXXXfake/agent.4242\nSSH_AGENT_PID=4243`,
      0,
      '❗  Using the docker-env command with the containerd runtime is a highly experimental feature, please provide feedback or contribute to make it better',
    )
  // dockerEnvTCPTmpl
  done(
    `DOCKER_TLS_VERIFY=1\nDOCKER_HOST=${MINIKUBE_DOCKER}\nDOCKER_CERT_PATH=${process.env.HOME}/.minikube/certs\n${existing}MINIKUBE_ACTIVE_DOCKERD=${profile}`,
  )
}

const notFound = (kind, name) => done('', 1, `Error from server (NotFound): ${kind} "${name}" not found`)

function kubectl() {
  const [cmd, sub] = args
  const nss = (state.namespaces ??= [])
  const secrets = (state.secrets ??= {})
  if (cmd === 'version' && has('--client')) {
    // captured: kubectl v1.35.2 `version --client -o json`
    done(
      JSON.stringify(
        {
          clientVersion: { major: '1', minor: '35', gitVersion: 'v1.35.2', platform: 'linux/amd64' },
          kustomizeVersion: 'v5.7.1',
        },
        null,
        2,
      ),
    )
  }
  // captured: what kubectl says when the API server is down
  if (state.clusterDown && cmd !== 'config')
    done('', 1, 'The connection to the server 192.168.49.2:8443 was refused - did you specify the right host or port?')
  if (cmd === 'version') {
    if (!state.context) done('', 1, 'error: current-context is not set')
    done(
      JSON.stringify({
        clientVersion: { gitVersion: 'v1.35.2' },
        // state.serverVersion: a cluster of another version (captured shape; k3s and EKS add a suffix)
        serverVersion: { major: '1', minor: '34', gitVersion: state.serverVersion ?? 'v1.34.0' },
      }),
    )
  }
  if (cmd === 'config' && sub === 'current-context') {
    // captured: "error: current-context is not set", exit 1
    if (!state.context) done('', 1, 'error: current-context is not set')
    done(state.context)
  }
  if (cmd === 'config' && sub === 'use-context') {
    state.context = args[2]
    done(`Switched to context "${args[2]}".`)
  }
  if (cmd === 'get' && sub === 'namespace') {
    if (!nss.includes(args[2])) notFound('namespaces', args[2])
    done(`NAME   STATUS   AGE\n${args[2]}   Active   1m`)
  }
  if (cmd === 'create' && sub === 'namespace') {
    nss.push(args[2])
    done(`namespace/${args[2]} created`)
  }
  if (cmd === 'get' && sub === 'secret') {
    const s = secrets[`${ns()}/${args[2]}`]
    if (!s) notFound('secrets', args[2])
    done(JSON.stringify(s))
  }
  if (cmd === 'apply') {
    const obj = JSON.parse(stdin)
    const key = `${obj.metadata.namespace ?? ns()}/${obj.metadata.name}`
    const prev = secrets[key]
    // keep annotations added later with `kubectl annotate` (client-side apply leaves them alone)
    obj.metadata.annotations = { ...(prev?.metadata?.annotations ?? {}), ...obj.metadata.annotations }
    secrets[key] = obj
    done(`secret/${obj.metadata.name} ${prev ? 'configured' : 'created'}`)
  }
  if (cmd === 'annotate') {
    const s = secrets[`${ns()}/${args[2]}`]
    if (!s) notFound('secrets', args[2])
    for (const a of args.slice(3).filter((x) => x.includes('=') && !x.startsWith('-'))) {
      const at = a.indexOf('=')
      s.metadata.annotations[a.slice(0, at)] = a.slice(at + 1)
    }
    done(`secret/${args[2]} annotated`)
  }
  if (cmd === 'delete' && sub === 'secret') {
    delete secrets[`${ns()}/${args[2]}`]
    done(`secret "${args[2]}" deleted`)
  }
  if (cmd === 'delete' && sub === 'jobs') {
    delete state.jobsFixture
    done('job.batch "todo-migrate" deleted')
  }
  if (cmd === 'get' && sub === 'pvc') done(state.pvcs ? state.pvcs.join('\n') : '')
  if (cmd === 'delete' && sub === 'pvc') {
    state.pvcs = []
    done('persistentvolumeclaim "data-todo-postgresql-0" deleted')
  }
  if (cmd === 'get' && (sub === 'pods' || sub === 'events' || sub === 'jobs')) {
    const file = state[`${sub}Fixture`]
    done(file ? readFileSync(file, 'utf8') : JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }))
  }
  if (cmd === 'get' && sub === 'gateways.gateway.networking.k8s.io') {
    // state.gateways: { "<ns>/<name>": "<address>" | "" }
    const address = (state.gateways ?? {})[`${ns()}/${args[2]}`]
    if (address === undefined) notFound('gateways.gateway.networking.k8s.io', args[2])
    const addresses = address ? [{ type: /^[\d.]+$/.test(address) ? 'IPAddress' : 'Hostname', value: address }] : []
    done(JSON.stringify({ kind: 'Gateway', metadata: { name: args[2], namespace: ns() }, status: { addresses } }))
  }
  if (cmd === 'get' && sub === 'ingress') {
    const lb = state.ingressIp ? [{ ip: state.ingressIp }] : []
    done(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ metadata: { name: 'todo-frontend' }, status: { loadBalancer: { ingress: lb } } }],
      }),
    )
  }
  if (cmd === 'logs') done((state.logs ?? []).join('\n'))
  done('', 1, `fake kubectl: unhandled ${line}`)
}

// helm --set parsing, enough for the kit's values: escaped dots/commas, --set types true/false/ints
function setPath(obj, key, value) {
  // `a.b[0]` as helm reads it: b is a list (helm get values -o json prints it as one)
  const parts = key
    .split(/(?<!\\)\./)
    .map((p) => p.replace(/\\([.,])/g, '$1'))
    .flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean))
  let cur = obj
  parts.slice(0, -1).forEach((p, i) => (cur = cur[p] ??= /^\d+$/.test(parts[i + 1]) ? [] : {}))
  cur[parts[parts.length - 1]] = value
}

function helm() {
  const [cmd, sub] = args
  const rels = (state.releases ??= {})
  if (cmd === 'version') done(state.helmVersion ?? 'v4.1.4+g05fa379') // captured from helm 4.1.4 / 3.17.2: v3.17.2+gcc0bbbd
  const key = (name) => `${ns()}/${name}`
  if (cmd === 'status') {
    const r = rels[key(args[1])]
    // captured: "Error: release: not found", exit 1
    if (!r) done('', 1, 'Error: release: not found')
    if (has('-o', 'json'))
      done(
        JSON.stringify({
          name: args[1],
          info: { status: r.status, description: 'Upgrade complete' },
          version: r.revision,
          namespace: ns(),
        }),
      )
    done(`NAME: ${args[1]}\nSTATUS: ${r.status}\nREVISION: ${r.revision}`)
  }
  if (cmd === 'get' && sub === 'values') {
    const r = rels[key(args[2])]
    if (!r) done('', 1, 'Error: release: not found')
    done(JSON.stringify(r.values))
  }
  if (cmd === 'upgrade') {
    const name = args[2]
    const values = {}
    args.forEach((a, i) => {
      if (a === '--set-string') {
        const [k, ...v] = args[i + 1].split('=')
        setPath(values, k, v.join('=').replace(/\\,/g, ','))
      }
      if (a === '--set') {
        const [k, ...v] = args[i + 1].split('=')
        const s = v.join('=')
        setPath(values, k, s === 'true' ? true : s === 'false' ? false : /^\d+$/.test(s) ? Number(s) : s)
      }
    })
    const prev = rels[key(name)]
    rels[key(name)] = { status: 'deployed', revision: (prev?.revision ?? 0) + 1, values, chart: args[3] }
    done(
      `Release "${name}" has been upgraded. Happy Helming!\nNAME: ${name}\nSTATUS: deployed\nREVISION: ${rels[key(name)].revision}`,
    )
  }
  // renders nothing worth reading: the stages only ask whether the chart renders
  if (cmd === 'template') done(`---\n# Source: ${args[2]}/templates/fake.yaml`)
  if (cmd === 'uninstall') {
    delete rels[key(args[1])]
    done(`release "${args[1]}" uninstalled`)
  }
  done('', 1, `fake helm: unhandled ${line}`)
}

function ctr() {
  const list = (state.ctr ??= [])
  // captured shape: `ctr --version` prints the client version without dialing containerd
  if (args[0] === '--version') done('ctr github.com/containerd/containerd v1.7.24')
  if (state.ctrDown)
    done(
      '',
      1,
      `ctr: failed to dial "${opt('--address')}": connection error: desc = "transport: error while dialing: dial unix ${opt('--address')}: connect: permission denied"`,
    )
  const rest = args.filter((a, i) => !['--address', '-n'].includes(a) && !['--address', '-n'].includes(args[i - 1]))
  if (rest[0] === 'version') done('Client:\n  Version:  1.7.24\n  Revision: \n  Go version: go1.22.12')
  if (rest[0] === 'images' && rest[1] === 'ls') done(list.join('\n'))
  if (rest[0] === 'images' && rest[1] === 'import') {
    const content = readFileSync(rest[2], 'utf8')
    const name = content.replace('fake image tar of ', '')
    list.push(`docker.io/library/${name}`)
    done(`unpacking docker.io/library/${name} (sha256:${'3'.repeat(64)})...done`)
  }
  done('', 1, `fake ctr: unhandled ${line}`)
}

function kind() {
  if (args[0] === 'version') done('kind v0.24.0 go1.22.6 linux/amd64')
  if (args[0] === 'load') {
    ;(state.kind ??= []).push(args[2])
    done(
      `Image: "${args[2]}" with ID "sha256:${'4'.repeat(64)}" not yet present on node "${opt('--name')}-control-plane", loading...`,
    )
  }
  done('', 1, `fake kind: unhandled ${line}`)
}

;({ docker, minikube, kubectl, helm, ctr, kind })[tool]()
