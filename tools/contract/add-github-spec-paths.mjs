// Adds operations of GitHub's full REST description to the project's trimmed copy, with every
// component they reference (transitively), leaving everything already there untouched.
//
//   node tools/contract/add-github-spec-paths.mjs FULL.json TRIMMED.json '/app/installations/{installation_id}' ...
//
// FULL.json is generated/api.github.com.json of the npm package @octokit/openapi at the version
// named in tests/data/specs/github/SOURCE.md (`npm pack @octokit/openapi@<version>`).
import { readFileSync, writeFileSync } from "node:fs";

const [fullPath, trimmedPath, ...wanted] = process.argv.slice(2);
if (!fullPath || !trimmedPath || wanted.length === 0) {
  console.error("usage: add-github-spec-paths.mjs FULL.json TRIMMED.json PATH...");
  process.exit(2);
}
const full = JSON.parse(readFileSync(fullPath, "utf8"));
const trimmed = JSON.parse(readFileSync(trimmedPath, "utf8"));
if (full.info.version !== trimmed.info.version) {
  console.error(`version mismatch: full ${full.info.version}, trimmed ${trimmed.info.version}`);
  process.exit(1);
}

// Every "#/components/<kind>/<name>" reference inside `node`, followed into the components.
function collect(node, seen) {
  if (Array.isArray(node)) {
    node.forEach((item) => collect(item, seen));
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/")) {
        const [, , kind, name] = value.split("/");
        const id = `${kind}/${name}`;
        if (!seen.has(id)) {
          seen.add(id);
          collect(full.components[kind][name], seen);
        }
      } else {
        collect(value, seen);
      }
    }
  }
}

const seen = new Set();
for (const path of wanted) {
  const item = full.paths[path];
  if (!item) {
    console.error(`no path ${path} in ${fullPath}`);
    process.exit(1);
  }
  trimmed.paths[path] = item;
  collect(item, seen);
}
let added = 0;
for (const id of [...seen].sort()) {
  const [kind, name] = id.split("/");
  trimmed.components[kind] ??= {};
  if (!(name in trimmed.components[kind])) {
    trimmed.components[kind][name] = full.components[kind][name];
    added += 1;
  }
}
writeFileSync(trimmedPath, JSON.stringify(trimmed, null, 1));
console.error(`added ${wanted.length} path(s) and ${added} component(s)`);
