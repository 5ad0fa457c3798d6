// Cuts a Swagger 2.0 description (YAML or JSON) down to the operations the project calls, with every
// definition, parameter and response they reference (transitively), for Prism to validate against.
//
//   node tools/contract/trim-swagger2.mjs [--patch FIXES.json] FULL.yaml OUT.json 'GET /api/v4/projects/{id}' ...
//
// FIXES.json corrects the description where the server is known to differ from it: an array of
// {"pointer": JSON Pointer into the trimmed output, "value": what to put there, "why": a reason},
// applied in order after trimming (a pointer whose parent is missing is an error).
//
// Prose and code-generator annotations are dropped (`description`, `summary`, `example(s)`, `x-*`,
// `tags`); types, formats, enums, `required` lists and defaults stay as they are. A property that is
// itself named `description` (a merge request's, say) is kept: only annotation keys are dropped.
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";

const args = process.argv.slice(2);
let fixesPath = null;
if (args[0] === "--patch") {
  fixesPath = args[1];
  args.splice(0, 2);
}
const [fullPath, outPath, ...wanted] = args;
if (!fullPath || !outPath || wanted.length === 0) {
  console.error("usage: trim-swagger2.mjs [--patch FIXES.json] FULL.yaml OUT.json 'METHOD /path' ...");
  process.exit(2);
}
const full = parse(readFileSync(fullPath, "utf8"), { maxAliasCount: -1 });
if (full.swagger !== "2.0") {
  console.error(`${fullPath}: not a Swagger 2.0 description (swagger: ${full.swagger})`);
  process.exit(1);
}

const k_annotations = new Set(["description", "summary", "example", "examples", "tags", "operationId"]);

// A copy of `node` without annotations. `keepDescription` is for response objects, whose
// `description` Swagger 2.0 requires.
function clean(node, keepDescription = false) {
  if (Array.isArray(node)) {
    return node.map((item) => clean(item));
  }
  if (!node || typeof node !== "object") {
    return node;
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-") || (k_annotations.has(key) && !(keepDescription && key === "description"))) {
      continue;
    }
    if (key === "properties" || key === "responses") {
      // Keys here are names (a property may be called `description`), values are schemas or responses.
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, clean(item, key === "responses")]),
      );
    } else {
      out[key] = clean(value);
    }
  }
  return out;
}

// Every "#/<kind>/<name>" reference inside `node`, followed into the description.
function collect(node, seen) {
  if (Array.isArray(node)) {
    node.forEach((item) => collect(item, seen));
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith("#/")) {
        const [, kind, name] = value.split("/");
        const id = `${kind}/${name}`;
        if (!seen.has(id)) {
          if (!full[kind] || !(name in full[kind])) {
            console.error(`dangling reference ${value}`);
            process.exit(1);
          }
          seen.add(id);
          collect(full[kind][name], seen);
        }
      } else {
        collect(value, seen);
      }
    }
  }
}

const out = {
  swagger: "2.0",
  info: full.info,
  host: full.host,
  produces: full.produces,
  securityDefinitions: full.securityDefinitions,
  paths: {},
};
const seen = new Set();
for (const operation of wanted) {
  const [method, path] = operation.split(" ");
  const item = full.paths[path];
  const verb = method.toLowerCase();
  if (!item || !item[verb]) {
    console.error(`no operation ${operation} in ${fullPath}`);
    process.exit(1);
  }
  out.paths[path] ??= {};
  if (item.parameters) {
    out.paths[path].parameters = clean(item.parameters);
    collect(item.parameters, seen);
  }
  out.paths[path][verb] = clean(item[verb]);
  collect(item[verb], seen);
}
for (const id of [...seen].sort()) {
  const [kind, name] = id.split("/");
  out[kind] ??= {};
  out[kind][name] = clean(full[kind][name]);
}
for (const fix of fixesPath ? JSON.parse(readFileSync(fixesPath, "utf8")) : []) {
  const keys = fix.pointer.split("/").slice(1).map((key) => key.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = keys.pop();
  let node = out;
  for (const key of keys) {
    if (!node || typeof node !== "object" || !(key in node)) {
      console.error(`${fixesPath}: no ${fix.pointer} in the trimmed description`);
      process.exit(1);
    }
    node = node[key];
  }
  node[last] = fix.value;
}
writeFileSync(outPath, JSON.stringify(out, null, 1) + "\n");
console.error(`${wanted.length} operations, ${seen.size} referenced definitions → ${outPath}`);
