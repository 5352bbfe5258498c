// Parses a Mermaid diagram from standard input with Mermaid's own parser and prints what it
// understood as JSON: the participants (id, label) and the messages and notes (from, to,
// text, kind), labels decoded as Mermaid decodes them when it draws. Exit code 1 and the
// parser's message on a syntax error. Used by tests/cli/flow.rs.
import mermaid from 'mermaid';
import fs from 'node:fs';

const text = fs.readFileSync(0, 'utf8');
try {
  await mermaid.parse(text);
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exit(1);
}
const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
const db = diagram.db;
// Mermaid keeps `#59;` entities as placeholders until it draws; draw them the same way.
const decode = (s) => String(s ?? '')
  .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)))
  .replace(/ﬂ°(\w+)¶ß/g, (_, name) => ({ quot: '"', amp: '&', lt: '<', gt: '>' }[name] ?? name));
const kinds = { 0: 'solid', 1: 'dotted', 2: 'note' };
console.log(JSON.stringify({
  type: diagram.type,
  participants: [...db.getActors().values()].map((a) => [a.name, decode(a.description)]),
  messages: db.getMessages().map((m) => [m.from, m.to, decode(m.message), kinds[m.type] ?? m.type]),
}));
