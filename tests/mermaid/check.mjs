// Parses Mermaid diagrams with Mermaid's own parser and prints what it understood. Reads a JSON
// array of diagram texts on standard input; prints a JSON array with, for each, either
// {"error": the parser's message} or the diagram's type, its participants (id, label) and its
// messages and notes (from, to, text, kind), labels decoded as Mermaid decodes them when it
// draws. Used by the external checks (tests/cli/external.rs).
import mermaid from 'mermaid';
import fs from 'node:fs';

// Mermaid keeps `#59;` entities as placeholders until it draws; draw them the same way.
const decode = (s) => String(s ?? '')
  .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)))
  .replace(/ﬂ°(\w+)¶ß/g, (_, name) => ({ quot: '"', amp: '&', lt: '<', gt: '>' }[name] ?? name));
const kinds = { 0: 'solid', 1: 'dotted', 2: 'note' };

const read = async (text) => {
  try {
    await mermaid.parse(text);
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db;
  return {
    type: diagram.type,
    participants: [...db.getActors().values()].map((a) => [a.name, decode(a.description)]),
    messages: db.getMessages().map((m) => [m.from, m.to, decode(m.message), kinds[m.type] ?? m.type]),
  };
};

const results = [];
for (const text of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  results.push(await read(text));
}
console.log(JSON.stringify(results));
