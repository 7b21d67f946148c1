// Every environment variable an app reads, with where: pydantic-settings fields, os.getenv / os.environ in Python,
// process.env in JavaScript/TypeScript. Each is classified, so init knows what belongs in the Secret (secret), what
// `next build` bakes into the bundle (build) and what the pods get at run time (runtime), and how a list is written.
import { evidence, readText, sourceFiles, type Evidence } from './source.ts'

export type EnvKind = 'secret' | 'build' | 'runtime'
/** how the app parses the value: a JSON list (pydantic list fields), a comma list (split(",") in code), or text */
export type EnvFormat = 'json-list' | 'comma-list' | 'text'
export type EnvRead = {
  name: string
  kind: EnvKind
  format: EnvFormat
  /** the code has a default for it (os.getenv("X", "d"), a settings field with a value), so it may stay unset */
  optional: boolean
  /** read in a 'use client' module: the browser sees the value */
  client: boolean
  /** read only in a branch another setting selects, away from its default: `LLM_PROVIDER=gemini` (then optional) */
  when?: string
  from: Evidence[]
}

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|KEY|PRIVATE|CREDENTIAL|DATABASE_URL|DATABASE_URI|DB_URL|DSN/
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name) && !/^NEXT_PUBLIC_/.test(name)
export const classify = (name: string): EnvKind => (/^NEXT_PUBLIC_/.test(name) ? 'build' : isSecretName(name) ? 'secret' : 'runtime')

function merge(reads: (Omit<EnvRead, 'kind'>)[]): EnvRead[] {
  const by = new Map<string, EnvRead>()
  for (const r of reads) {
    const old = by.get(r.name)
    if (!old) by.set(r.name, { ...r, kind: classify(r.name), from: [...r.from] })
    else {
      old.from.push(...r.from)
      // unset is fine only when every read copes with it
      old.optional &&= r.optional
      if (old.when !== r.when) delete old.when
      old.client ||= r.client
      if (old.format === 'text') old.format = r.format
    }
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name))
}

const LIST_TYPE = /^\s*(?:typing\.)?(?:list|List|set|Set|tuple|Tuple|Sequence)\b/

export function pythonEnvReads(dir: string): EnvRead[] {
  const reads: Omit<EnvRead, 'kind'>[] = []
  const tested = new Set<string>()
  for (const file of sourceFiles(dir, ['.py'])) {
    const text = readText(dir, file)
    if (text === null) continue
    // os.getenv("X"), os.environ.get("X", d), environ["X"], getenv("X")
    // environ["X"] = value sets it for the process (billy-pk hands its settings' key to the Agents SDK so): not a read
    for (const m of text.matchAll(/\b(?:os\.)?(?:getenv|environ\.get|environ\.setdefault)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(,)?|\b(?:os\.)?environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\](?!\s*=[^=])/g)) {
      const name = m[1] ?? m[3]!
      const ev = evidence(file, text, m.index)
      if (m[1] !== undefined && testedInPython(text, m.index, m.index + m[0].length)) tested.add(name)
      const format = /\.split\(\s*["'],["']/.test(ev.text) ? 'comma-list' : 'text'
      const when = selectedBy(text, m.index)
      reads.push({ name, format, optional: Boolean(m[2]) || when !== undefined, client: false, from: [ev], ...(when && { when }) })
    }
    reads.push(...settingsFields(file, text))
  }
  // tested once, so every read of it is in a branch the code takes when it is set (as in jsEnvReads)
  return merge(reads.map((r) => (tested.has(r.name) ? { ...r, optional: true } : r)))
}

/**
 * The setting whose value selects the branch a read sits in, when that is not the setting's default: in hamza123545's
 * `provider = os.getenv("LLM_PROVIDER", "openai")` … `if provider == "gemini":` … `os.getenv("GEMINI_API_KEY")`, the
 * Gemini key is needed only with LLM_PROVIDER=gemini ("LLM_PROVIDER=gemini"); the OpenAI branch, the default, is not
 * optional. The enclosing blocks are walked outwards by indentation, up to the function the read is in.
 */
function selectedBy(text: string, at: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1
  const lines = text.slice(0, lineStart).split('\n')
  let indent = /^[ \t]*/.exec(text.slice(lineStart))![0].length
  for (let i = lines.length - 1; i >= 0 && indent > 0; i--) {
    const line = lines[i]!
    if (!line.trim() || /^\s*#/.test(line)) continue
    const own = /^[ \t]*/.exec(line)![0].length
    if (own >= indent) continue
    indent = own
    if (/^\s*(?:async\s+)?(?:def|class)\b/.test(line)) return undefined
    const branch = /^\s*(?:if|elif)\s+([A-Za-z_]\w*)\s*==\s*["']([^"']+)["']\s*:/.exec(line)
    if (!branch) continue
    const [, variable, value] = branch
    // the variable's own value: a getenv with a default (`x = x or os.getenv("K", "d").lower()`), the nearest before
    const source = [...lines.slice(0, i).join('\n').matchAll(
      new RegExp(`^\\s*${variable}\\s*=[^\\n]*?\\b(?:os\\.)?(?:getenv|environ\\.get)\\(\\s*["']([A-Za-z_]\\w*)["']\\s*(?:,\\s*["']([^"']*)["'])?`, 'gm'),
    )].pop()
    if (!source) continue
    const [, setting, fallback] = source
    if (fallback !== undefined && fallback.toLowerCase() === value!.toLowerCase()) return undefined
    return `${setting}=${value}`
  }
  return undefined
}

/**
 * A getenv whose absence the code handles: tested where it is read (`if os.getenv("MCP_SERVER_URL"):`, `… or "x"`),
 * or kept in a name the code then tests (`hf_url = os.getenv("HF_SPACE_URL")` … `if hf_url:`), as muhammad-azan-1's
 * MCP URL fallbacks do.
 */
function testedInPython(text: string, start: number, end: number): boolean {
  const before = text.slice(text.lastIndexOf('\n', start - 1) + 1, start)
  const rest = text.slice(end)
  // `if not X: raise …` is a check that it is set, not a way around it
  const raises = (from: number): boolean => /^[^\n]*:\s*(?:#[^\n]*)?\n?\s*raise\b/.test(rest.slice(from))
  const after = /^[ \t]*\)[ \t]*(\w+)?/.exec(rest.slice(0, 40))?.[1]
  if (after && /^(or|and|if|else)$/.test(after)) return true
  if (/\b(if|elif|and|or|not)\s+$/.test(before)) return !(/\bnot\s+$/.test(before) && raises(0))
  const kept = /^\s*([A-Za-z_]\w*)\s*=\s*$/.exec(before)?.[1]
  if (!kept) return false
  const test = new RegExp(`\\b(?:if|elif|and|or)\\s+(not\\s+)?${kept}\\b(?!\\s*[.\\[(=])|\\b${kept}\\s+(?:or|and)\\b`).exec(rest)
  return Boolean(test) && !(test![1] && raises(test!.index + test![0].length))
}

/**
 * Whether a field's `= Field(...)` (the text from `Field(` on, over as many lines as the call takes) has no default:
 * its first argument is `...` or a keyword other than default/default_factory. Any other value is a default.
 */
function fieldRequired(value: string): boolean {
  if (!/^Field\(/.test(value)) return false
  let depth = 0
  let end = value.length
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === '"' || c === "'") {
      const close = value.indexOf(c, i + 1)
      i = close < 0 ? value.length : close
    }
    else if (c === '(' || c === '[' || c === '{') depth++
    else if ((c === ')' || c === ']' || c === '}') && --depth === 0) {
      end = i
      break
    }
  }
  const args = value.slice('Field('.length, end)
  if (/\bdefault(?:_factory)?\s*=/.test(args)) return false
  return /^\s*(?:\.\.\.|$|[A-Za-z_]\w*\s*=)/.test(args)
}

// class Settings(BaseSettings): fields up to the class body's end; env_prefix from model_config / class Config
function settingsFields(file: string, text: string): Omit<EnvRead, 'kind'>[] {
  const out: Omit<EnvRead, 'kind'>[] = []
  for (const cls of text.matchAll(/^class\s+\w+\s*\(\s*(?:pydantic_settings\.)?BaseSettings\s*\)\s*:\s*$/gm)) {
    const start = cls.index + cls[0].length
    // the body: the indented (or blank) lines after the class line
    let len = 0
    for (const line of text.slice(start).split('\n').slice(1)) {
      if (line.trim() && !/^\s/.test(line)) break
      len += line.length + 1
    }
    const body = text.slice(start, start + 1 + len)
    const prefix = /env_prefix\s*=\s*["']([^"']*)["']/.exec(body)?.[1] ?? ''
    const indent = /^([ \t]+)\S/m.exec(body)?.[1] ?? '    '
    const fieldRe = new RegExp(`^${indent}([A-Za-z_]\\w*)\\s*:\\s*([^=\\n]+?)\\s*(?:=\\s*(.+))?$`, 'gm')
    for (const f of body.matchAll(fieldRe)) {
      const [, attr, type, value] = f as unknown as [string, string, string, string | undefined]
      if (attr === 'model_config' || /ClassVar/.test(type)) continue
      const alias = value ? /(?:validation_alias|alias)\s*=\s*["']([^"']+)["']/.exec(value)?.[1] : undefined
      const name = alias ?? `${prefix}${attr}`.toUpperCase()
      const required = value === undefined || fieldRequired(body.slice(f.index + f[0].length - value.length))
      const optionalType = /Optional\[|\|\s*None|None\s*\|/.test(type)
      out.push({
        name,
        format: LIST_TYPE.test(type) ? 'json-list' : 'text',
        optional: !required || optionalType,
        client: false,
        from: [evidence(file, text, start + f.index)],
      })
    }
  }
  return out
}

export function jsEnvReads(dir: string): EnvRead[] {
  const reads: Omit<EnvRead, 'kind'>[] = []
  // a variable the code tests for (`process.env.VERCEL_URL ? … : …`, `if (process.env.X)`) is one it expects may be
  // unset: every read of it is then optional, the ones inside the tested branch too
  const tested = new Set<string>()
  for (const file of sourceFiles(dir, ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'])) {
    const text = readText(dir, file)
    if (text === null) continue
    const client = /^\s*(?:\/\/[^\n]*\n\s*)*["']use client["']/.test(text)
    for (const m of text.matchAll(/\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)|\bprocess\.env\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]/g)) {
      const ev = evidence(file, text, m.index)
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 12)
      const before = text.slice(Math.max(0, m.index - 12), m.index)
      if (/^\s*(\?(?![?.])|&&)/.test(after) || /(\bif\s*\(\s*!?|!)\s*$/.test(before)) tested.add(m[1] ?? m[2]!)
      reads.push({
        name: m[1] ?? m[2]!,
        format: /\.split\(\s*["'`],["'`]/.test(ev.text) ? 'comma-list' : 'text',
        optional: /^\s*(\?\?|\|\|)/.test(after),
        client,
        from: [ev],
      })
    }
  }
  return merge(reads.map((r) => (tested.has(r.name) ? { ...r, optional: true } : r)))
}

/** The variables the app's code hands a constructor directly: `new Resend(process.env.RESEND_API_KEY)`. */
export function constructorEnvArgs(dir: string, constructor: string): string[] {
  const re = new RegExp(`\\bnew ${constructor}\\(\\s*process\\.env\\.([A-Z][A-Z0-9_]*)`, 'g')
  const names = new Set<string>()
  for (const file of sourceFiles(dir, ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs']))
    for (const m of (readText(dir, file) ?? '').matchAll(re)) names.add(m[1]!)
  return [...names]
}
