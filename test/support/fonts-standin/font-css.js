// Google's css2 answer for `family=Inter:wght@400;700&family=Geist+Mono`: one @font-face per family and weight.
// Plain JavaScript read as text into the stand-in image's module (node-build-standin.ts), so the image's bytes, and
// with them every build cached on it, are the same whichever runner (vitest, node) made it. Needs FONT_PORT.
function fontCss(href) {
  const url = new URL(href)
  const faces = []
  for (const spec of url.searchParams.getAll('family')) {
    const [name = 'Font', axes = ''] = spec.split(':')
    const family = name.replace(/\+/g, ' ')
    const [keys = '', values = ''] = axes.split('@')
    const names = keys.split(',')
    const tuples = values ? values.split(';').map((t) => t.split(',')) : [[]]
    for (const t of tuples) {
      const axis = (k, d) => (names.includes(k) ? (t[names.indexOf(k)] ?? d) : d)
      const italic = axis('ital', '0') === '1'
      const weight = axis('wght', '400').replace('..', ' ')
      const slug = family.toLowerCase().replace(/\s+/g, '')
      const file = `http://127.0.0.1:${FONT_PORT}/s/${slug}/standin/${weight.replace(' ', '-')}${italic ? 'i' : ''}.woff2`
      faces.push(
        `/* latin */\n@font-face {\n  font-family: '${family}';\n  font-style: ${italic ? 'italic' : 'normal'};\n` +
          `  font-weight: ${weight};\n  font-display: ${url.searchParams.get('display') ?? 'swap'};\n` +
          `  src: url(${file}) format('woff2');\n  unicode-range: U+0000-00FF, U+0131, U+0152-0153;\n}\n`,
      )
    }
  }
  return faces.join('')
}
