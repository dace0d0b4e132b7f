// Lints Cypher statements with Neo4j's own parser and semantic analysis.
//
// stdin: either a JSON array of {name, query, parameters: [names]} or an object
//   {schema: {labels, relationshipTypes, propertyKeys, graphSchema}, statements: [...]}.
// stdout: a JSON array, one entry per statement: {name, diagnostics: [{severity,
//   message, line, column}]} where severity is "error" or "warning".
// Exit code: 0 when no statement has an error, 1 otherwise, 2 on bad input.
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function parseInput(text) {
  const input = JSON.parse(text);
  if (Array.isArray(input)) return { schema: {}, statements: input };
  if (input && Array.isArray(input.statements)) {
    return { schema: input.schema ?? {}, statements: input.statements };
  }
  throw new Error('expected an array of statements or {schema, statements}');
}

function dbSchemaFor(schema, parameterNames) {
  // lintCypherQuery reports "$x is not defined" unless dbSchema.parameters has x; the
  // value only needs to be defined.
  const parameters = Object.fromEntries((parameterNames ?? []).map((p) => [p, '']));
  const dbSchema = { parameters, defaultLanguage: 'CYPHER 5' };
  for (const key of ['labels', 'relationshipTypes', 'propertyKeys', 'graphSchema']) {
    if (schema[key] !== undefined) dbSchema[key] = schema[key];
  }
  return dbSchema;
}

let input;
try {
  input = parseInput(await readStdin());
} catch (err) {
  process.stderr.write(`lint.mjs: ${err.message}\n`);
  process.exit(2);
}

let errors = 0;
const report = input.statements.map(({ name, query, parameters }) => {
  const { diagnostics } = lintCypherQuery(query, dbSchemaFor(input.schema, parameters));
  const out = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] ?? String(d.severity),
    message: d.message,
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
  }));
  errors += out.filter((d) => d.severity === 'error').length;
  return { name, diagnostics: out };
});
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
process.exit(errors ? 1 : 0);
