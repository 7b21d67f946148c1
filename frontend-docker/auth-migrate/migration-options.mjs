// The Better Auth options the auth-migrate image hands to Better Auth's own CLI (`migrate`), from the app's auth
// instance. The CLI migrates only through Better Auth's built-in Kysely adapter: for an app that gives Better Auth a
// pg Pool, a Kysely dialect or the like, these are the app's options unchanged. For an app that gives it the Drizzle
// adapter, the CLI would print "only works with the built-in Kysely adapter" and create nothing, so the options get a
// pg Pool on DATABASE_URL instead, and every table and column of Better Auth's (its own and its plugins', such as the
// JWT plugin's jwks) the name the app's Drizzle schema gives it: the tables created are the ones the Drizzle adapter
// then queries. Better Auth's migration only creates missing tables and adds missing columns; nothing is dropped.
//
// The frontend Dockerfile copies this file into the auth-migrate image from the build arg AUTH_MIGRATE_OPTIONS (the
// build context is the app, which this file is not part of); the kit passes it.

// drizzle-orm keys its tables' metadata by these global symbols in every release
const TABLE_NAME = Symbol.for('drizzle:Name')
const TABLE_COLUMNS = Symbol.for('drizzle:Columns')
const CORE_MODELS = ['user', 'session', 'account', 'verification']

/** the auth instance a module exports, found the way Better Auth's CLI finds it: `auth`, else the default export */
export function authInstance(mod) {
  return mod?.auth ?? mod?.default?.auth ?? mod?.default ?? mod
}

/**
 * The options to migrate with. `newPool` makes the pg Pool (only called for the Drizzle adapter); `say` reports what
 * was decided, one line each.
 */
export function migrationOptions(auth, newPool, say = () => {}) {
  const options = auth?.options
  if (typeof options?.database !== 'function') return options
  const adapter = options.database(options)
  if (adapter?.id !== 'drizzle') return options
  const schema = adapter.options?.schema
  const plural = adapter.options?.adapterConfig?.usePlural === true
  const out = { ...options, database: newPool() }
  if (!schema || typeof schema !== 'object') {
    say('Drizzle adapter without a schema object: Better Auth default table and column names')
    return out
  }
  // the Drizzle table the adapter reads for a model: schema[modelName], plural when the adapter says so
  const tableFor = (model, modelName) => {
    const table = schema[(modelName || model) + (plural ? 's' : '')]
    return table && typeof table[TABLE_NAME] === 'string' ? table : null
  }
  const columnName = (table, key) => table[TABLE_COLUMNS]?.[key]?.name

  for (const model of CORE_MODELS) {
    const own = options[model] ?? {}
    const table = tableFor(model, own.modelName)
    if (!table) continue
    // own.fields: Better Auth's field -> the Drizzle key the adapter uses for it (unset: the same name)
    const fields = { ...own.fields }
    const fieldOf = Object.fromEntries(Object.entries(own.fields ?? {}).map(([field, key]) => [key, field]))
    for (const [key, column] of Object.entries(table[TABLE_COLUMNS] ?? {}))
      if (typeof column?.name === 'string') fields[fieldOf[key] ?? key] = column.name
    out[model] = { ...own, modelName: table[TABLE_NAME], fields }
    say(`${model}: table "${table[TABLE_NAME]}" (the app's Drizzle schema)`)
  }

  // plugins' tables (jwks, ...) and the fields they add to the core tables; a field's fieldName is the Drizzle key
  out.plugins = (options.plugins ?? []).map((plugin) => {
    if (!plugin?.schema) return plugin
    const schemaOut = {}
    for (const [model, def] of Object.entries(plugin.schema)) {
      const core = CORE_MODELS.includes(model)
      const table = tableFor(model, core ? options[model]?.modelName : def?.modelName)
      if (!table) {
        schemaOut[model] = def
        continue
      }
      const fields = {}
      for (const [field, attr] of Object.entries(def.fields ?? {})) {
        const name = columnName(table, attr?.fieldName || field)
        fields[field] = name ? { ...attr, fieldName: name } : attr
      }
      schemaOut[model] = core ? { ...def, fields } : { ...def, modelName: table[TABLE_NAME], fields }
      if (!core) say(`${model} (${plugin.id ?? 'a plugin'}): table "${table[TABLE_NAME]}" (the app's Drizzle schema)`)
    }
    return { ...plugin, schema: schemaOut }
  })
  return out
}
