// Neon's serverless driver (@neondatabase/serverless) never speaks PostgreSQL's own protocol on a TCP port: it POSTs
// queries as JSON to https://<host>/sql (neon(), drizzle-orm/neon-http) or tunnels the wire protocol through
// wss://<host>/v2 (Pool, Client). This server answers both in front of the PostgreSQL in its own pod, so an app
// written for Neon runs against the in-cluster database unchanged.
//
// It holds no credential of its own: every request connects with the user, password and database of the connection
// string the app sent, and PostgreSQL accepts or refuses them. The WebSocket path only copies bytes.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { connect } from 'node:net'
import pg from 'pg'
import { WebSocketServer } from 'ws'

// a sidecar shares the pod's network namespace: the database is on loopback, where pg_hba asks for the password
const PG_HOST = process.env.PGHOST ?? '127.0.0.1'
const PG_PORT = Number(process.env.PGPORT ?? 5432)
const PORT = Number(process.env.PORT ?? 443)
const TLS_DIR = process.env.TLS_DIR ?? '/tls'
const MAX_BODY = 16 * 1024 * 1024
// connections kept open per connection string, as Neon's own pooler keeps them between requests
const POOL_SIZE = Number(process.env.POOL_SIZE ?? 5)
const MAX_POOLS = 20

// The driver asks for raw text (Neon-Raw-Text-Output) and parses each value by its type OID itself, so pg must not.
const asText = { getTypeParser: () => (v) => v }
const ERROR_FIELDS = [
  'severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine',
] // prettier-ignore
const ISOLATION = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
}

class BadRequest extends Error {}

const pools = new Map()

function poolFor(connectionString) {
  let pool = pools.get(connectionString)
  if (pool) return pool
  let url
  try {
    url = new URL(connectionString)
  } catch {
    throw new BadRequest('Neon-Connection-String is not a valid URL')
  }
  if (!/^postgres(ql)?:$/.test(url.protocol) || !url.username)
    throw new BadRequest('Neon-Connection-String must be postgresql://user:password@host/database')
  // the host is this proxy's own name: only the credentials and the database are the app's to choose
  pool = new pg.Pool({
    host: PG_HOST,
    port: PG_PORT,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username),
    max: POOL_SIZE,
    idleTimeoutMillis: 30_000,
    types: asText,
  })
  // an idle connection the server closed must not take the process down; the next checkout opens a new one
  pool.on('error', () => {})
  if (pools.size >= MAX_POOLS) {
    const [oldest, old] = pools.entries().next().value
    pools.delete(oldest)
    old.end().catch(() => {})
  }
  pools.set(connectionString, pool)
  return pool
}

function forget(connectionString) {
  const pool = pools.get(connectionString)
  pools.delete(connectionString)
  pool?.end().catch(() => {})
}

function shape(result, arrayMode) {
  // a multi-statement text without parameters gives one result per statement: the driver expects one
  const r = Array.isArray(result) ? result.at(-1) : result
  return {
    command: r.command,
    rowCount: r.rowCount,
    rowAsArray: arrayMode,
    fields: r.fields.map((f) => ({
      name: f.name,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeID: f.dataTypeID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: 'text',
    })),
    rows: r.rows,
  }
}

function queryOf(q, arrayMode) {
  if (typeof q?.query !== 'string') throw new BadRequest('each query needs a "query" string')
  if (q.params !== undefined && !Array.isArray(q.params)) throw new BadRequest('"params" must be an array')
  return { text: q.query, values: q.params ?? [], rowMode: arrayMode ? 'array' : undefined }
}

/** BEGIN with the batch's options, as Neon's headers give them */
function beginFor(headers) {
  const parts = ['BEGIN']
  const level = headers['neon-batch-isolation-level']
  if (level !== undefined) {
    if (!ISOLATION[level]) throw new BadRequest(`unknown Neon-Batch-Isolation-Level ${level}`)
    parts.push(`ISOLATION LEVEL ${ISOLATION[level]}`)
  }
  if (headers['neon-batch-read-only'] !== undefined)
    parts.push(headers['neon-batch-read-only'] === 'true' ? 'READ ONLY' : 'READ WRITE')
  if (headers['neon-batch-deferrable'] !== undefined)
    parts.push(headers['neon-batch-deferrable'] === 'true' ? 'DEFERRABLE' : 'NOT DEFERRABLE')
  return parts.join(' ')
}

async function runSql(headers, body) {
  const connectionString = headers['neon-connection-string']
  if (!connectionString) throw new BadRequest('missing Neon-Connection-String header')
  const arrayMode = headers['neon-array-mode'] === 'true'
  const pool = poolFor(connectionString)
  let client
  try {
    client = await pool.connect()
  } catch (e) {
    // a refused login must not leave a pool behind: each wrong password would otherwise keep one
    if (pool.totalCount === 0) forget(connectionString)
    throw e
  }
  let broken = false
  try {
    if (!Array.isArray(body.queries)) return shape(await client.query(queryOf(body, arrayMode)), arrayMode)
    const queries = body.queries.map((q) => queryOf(q, arrayMode))
    await client.query(beginFor(headers))
    try {
      const results = []
      for (const q of queries) results.push(shape(await client.query(q), arrayMode))
      await client.query('COMMIT')
      return { results }
    } catch (e) {
      await client.query('ROLLBACK').catch(() => (broken = true))
      throw e
    }
  } catch (e) {
    // PostgreSQL's own error leaves the connection usable; anything else (a reset socket, say) may not have
    if (!(e instanceof pg.DatabaseError) && !(e instanceof BadRequest)) broken = true
    throw e
  } finally {
    client.release(broken)
  }
}

function send(res, status, payload) {
  const text = JSON.stringify(payload)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** the driver reads a 400's JSON into its NeonDbError: message, code and the rest of PostgreSQL's error fields */
function sendError(res, e) {
  if (e instanceof BadRequest) return send(res, 400, { message: e.message })
  if (e instanceof pg.DatabaseError || /^[0-9A-Z]{5}$/.test(e.code ?? '')) {
    const fields = Object.fromEntries(ERROR_FIELDS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]))
    return send(res, 400, { message: e.message, ...fields })
  }
  // not PostgreSQL's answer (it is down, say): the driver reports "Server error (HTTP status 502): <message>"
  console.error(`neon-proxy: ${e.code ?? ''} ${e.message}`)
  send(res, 502, { message: `database unreachable: ${e.code ?? e.message}` })
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new BadRequest('request body too large'))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

async function handle(req, res) {
  const path = req.url.split('?')[0]
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true })
  if (path !== '/sql') return send(res, 404, { message: 'not found: this proxy serves POST /sql and WebSocket /v2' })
  if (req.method !== 'POST') return send(res, 405, { message: 'POST /sql' })
  try {
    let body
    try {
      body = JSON.parse(await readBody(req))
    } catch (e) {
      throw e instanceof BadRequest ? e : new BadRequest('the body is not JSON')
    }
    send(res, 200, await runSql(req.headers, body))
  } catch (e) {
    sendError(res, e)
  }
}

const server = createServer(
  { cert: readFileSync(`${TLS_DIR}/tls.crt`), key: readFileSync(`${TLS_DIR}/tls.key`) },
  (req, res) => void handle(req, res),
)

// /v2: PostgreSQL's wire protocol in binary frames, copied both ways. The driver pipelines its startup message and
// the cleartext password without waiting, so the database must ask for `password` on this path (pg_hba).
const HIGH_WATER = 1024 * 1024
const wss = new WebSocketServer({ server, path: '/v2', perMessageDeflate: false })
wss.on('connection', (ws) => {
  const db = connect(PG_PORT, PG_HOST)
  db.setNoDelay(true)
  ws.on('message', (data) => {
    if (!db.write(data)) ws.pause()
  })
  db.on('drain', () => ws.resume())
  db.on('data', (chunk) => {
    ws.send(chunk, () => {
      if (db.isPaused() && ws.bufferedAmount < HIGH_WATER) db.resume()
    })
    if (ws.bufferedAmount >= HIGH_WATER) db.pause()
  })
  // a close frame after PostgreSQL's last message (a refused password, say): a dropped socket would reach the app as
  // an error event on an idle client, which an app without an error listener does not survive
  db.on('close', (hadError) => {
    ws.close(hadError ? 1011 : 1000)
    // when both ends send their close frame at once, Node's WebSocket client may wait for a TCP close that ws only
    // sends after its 30 s timeout: the frames are exchanged long before this
    setTimeout(() => ws.terminate(), 2000).unref()
  })
  db.on('error', () => {})
  ws.on('close', () => db.destroy())
  ws.on('error', () => db.destroy())
})

server.listen(PORT, () => console.log(`neon-proxy: https://0.0.0.0:${PORT} (/sql, /v2) -> ${PG_HOST}:${PG_PORT}`))

// Kubernetes stops the pod with SIGTERM; as PID 1 nothing else would end the process
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => {
    server.close()
    for (const c of wss.clients) c.terminate()
    Promise.allSettled([...pools.values()].map((p) => p.end())).then(() => process.exit(0))
    setTimeout(() => process.exit(0), 5000).unref()
  })
