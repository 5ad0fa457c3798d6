// Validates GraphQL documents against GitHub's public schema (@octokit/graphql-schema, introspection JSON).
// Usage: node validate-graphql.mjs FILE...   (or a document on stdin when no FILE is given)
// Prints one line per problem ("FILE: message") and exits 1 when any document is invalid, 2 on usage errors.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClientSchema, parse, validate } from 'graphql';

// buildSchema() on schema.graphql fails on a duplicated field, so use the introspection result. The package
// does not export schema.json, so read it from this folder's node_modules.
const here = dirname(fileURLToPath(import.meta.url));
const introspection = JSON.parse(
  readFileSync(join(here, 'node_modules', '@octokit', 'graphql-schema', 'schema.json'), 'utf8'));
const schema = buildClientSchema(introspection.data ?? introspection);

async function read_stdin() {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
  }
  return text;
}

const inputs = process.argv.length > 2
  ? process.argv.slice(2).map((file) => ({ name: file, text: readFileSync(file, 'utf8') }))
  : [{ name: '<stdin>', text: await read_stdin() }];

let failed = false;
for (const { name, text } of inputs) {
  if (text.trim() === '') {
    console.log(`${name}: empty document`);
    failed = true;
    continue;
  }
  let errors;
  try {
    errors = validate(schema, parse(text));
  } catch (e) {
    errors = [e];
  }
  for (const e of errors) {
    console.log(`${name}: ${e.message}`);
  }
  failed ||= errors.length > 0;
}
process.exit(failed ? 1 : 0);
