// Validates YAML files against a JSON Schema (draft-07), the way editors and linters that use
// SchemaStore's and Microsoft's schemas check GitHub workflow, Action and Azure Pipelines files.
//
//   node validate-schemas.mjs [--strings] SCHEMA.json FILE.yml [FILE.yml ...]
//
// --strings reads every scalar as a string (YAML's failsafe schema), as Azure Pipelines does: its
// schema types `fetchDepth: 1` or `clean: true` as strings.
// Prints one line per file ("ok FILE" or "invalid FILE" followed by each violation with its
// instance path) and exits 1 when any file is invalid or unreadable, 2 on usage errors.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const strings = args[0] === "--strings";
if (strings) {
  args.shift();
}
const [schemaPath, ...files] = args;
if (!schemaPath || files.length === 0) {
  console.error("usage: node validate-schemas.mjs [--strings] SCHEMA.json FILE.yml [FILE.yml ...]");
  process.exit(2);
}

// strict: false because these published schemas use keywords and formats ajv's strict mode
// rejects (e.g. "markdownDescription", "deprecationMessage"); unicodeRegExp: false because some
// patterns are written for non-unicode ECMAScript regular expressions.
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

let failed = false;
for (const file of files) {
  let documents;
  try {
    // YAML 1.2 as GitHub reads it (`on:` is a key, not the boolean true), or all strings.
    documents = parseAllDocuments(readFileSync(file, "utf8"), {
      schema: strings ? "failsafe" : "core",
    });
  } catch (e) {
    console.log(`invalid ${file}: ${e.message}`);
    failed = true;
    continue;
  }
  const problems = [];
  for (const doc of documents) {
    for (const error of doc.errors) {
      problems.push(`YAML: ${error.message}`);
    }
    if (doc.errors.length === 0 && !validate(doc.toJS())) {
      // With oneOf/anyOf schemas ajv reports every branch; the deepest paths say the most.
      const seen = new Set();
      for (const error of validate.errors) {
        const line = `${error.instancePath || "/"} ${error.message}${
          error.params && error.params.additionalProperty
            ? ` (${error.params.additionalProperty})`
            : ""
        }`;
        if (!seen.has(line)) {
          seen.add(line);
          problems.push(line);
        }
      }
    }
  }
  if (problems.length === 0) {
    console.log(`ok ${file}`);
  } else {
    failed = true;
    console.log(`invalid ${file}`);
    for (const p of problems.slice(0, 20)) {
      console.log(`  ${p}`);
    }
  }
}
process.exit(failed ? 1 : 0);
