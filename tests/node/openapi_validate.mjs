// Validates the OpenAPI document the build generates (build/generated/openapi.json):
// against the OpenAPI 3.1 schema (swagger-parser, which also resolves every $ref), then
// what that schema cannot see: every schema compiles in ajv's strict mode (a misspelt
// keyword is an error there, not ignored), operationIds are unique, every API operation
// declares the error answers its kind of call can give, and no component is left unused.
//
// Usage: node openapi_validate.mjs path/to/openapi.json
// Exit: 0 valid, 1 invalid, 77 the npm packages are missing (ctest counts it skipped).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadPackages, makeAjv } from "./openapi_common.mjs";

if (!process.argv[2]) {
  console.error("usage: node openapi_validate.mjs <openapi.json> (the build writes build/generated/openapi.json)");
  process.exit(2);
}
const file = resolve(process.argv[2]);
const { SwaggerParser, Ajv2020, addFormats } = await loadPackages();

const problems = [];
const text = readFileSync(file, "utf8");
const raw = JSON.parse(text);

let doc; // dereferenced: every $ref replaced by what it points to
try {
  doc = await SwaggerParser.validate(structuredClone(raw));
} catch (e) {
  problems.push(`not a valid OpenAPI document: ${e.message}`);
}

if (!String(raw.openapi).startsWith("3.1")) problems.push(`openapi is ${raw.openapi}, expected 3.1.x`);

// Every schema (components and inline ones reached through them) compiles strictly.
const ajv = makeAjv(Ajv2020, addFormats);
ajv.addSchema(rebase({ $id: "components.json", $defs: raw.components.schemas }));
for (const name of Object.keys(raw.components.schemas)) {
  try {
    ajv.getSchema(`components.json#/$defs/${name}`);
  } catch (e) {
    problems.push(`components/schemas/${name}: ${e.message}`);
  }
}

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const operations = [];
for (const [path, item] of Object.entries(raw.paths)) {
  for (const m of methods) if (item[m]) operations.push({ path, method: m, op: item[m] });
}

// One compiled validator per schema object (the dereferenced document shares them).
const compiledSchemas = new Map();
const plainAjv = makeAjv(Ajv2020, addFormats);
function compiled(schema) {
  if (!compiledSchemas.has(schema)) compiledSchemas.set(schema, plainAjv.compile(schema));
  return compiledSchemas.get(schema);
}

const ids = new Map();
for (const { path, method, op } of operations) {
  const where = `${method.toUpperCase()} ${path}`;
  if (!op.operationId) problems.push(`${where}: no operationId`);
  else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} also on ${ids.get(op.operationId)}`);
  else ids.set(op.operationId, where);

  // Every schema an answer is checked with (bodies and headers, shared responses
  // included) compiles as openapi_responses.mjs compiles it.
  const responses = doc?.paths[path][method].responses ?? {};
  for (const [status, response] of Object.entries(responses)) {
    const schemas = [
      ...Object.entries(response.content ?? {}).map(([type, media]) => [type, media.schema]),
      ...Object.entries(response.headers ?? {}).map(([name, header]) => [`header ${name}`, header.schema]),
    ];
    for (const [what, schema] of schemas) {
      try {
        if (schema) compiled(schema);
      } catch (e) {
        problems.push(`${where} ${status} ${what}: ${e.message}`);
      }
    }
  }

  const api = path.startsWith("/management/v1/") || path.startsWith("/admin/v1/");
  if (!api) {
    if (!Array.isArray(op.security) || op.security.length !== 0) problems.push(`${where}: an operations endpoint must say security: []`);
    continue;
  }
  if (op.security) problems.push(`${where}: API calls use the document's bearer security`);
  const write = (op.parameters ?? []).some((p) => p.$ref === "#/components/parameters/IdempotencyKey");
  const expected = ["200", "400", "401", "403", "404", "413", "415", "429", "500", "503", ...(write ? ["409"] : [])];
  const declared = Object.keys(op.responses ?? {});
  for (const s of expected) if (!declared.includes(s)) problems.push(`${where}: does not declare ${s}`);
  for (const s of declared) if (!expected.includes(s)) problems.push(`${where}: declares ${s}, which it cannot answer`);
}

// A component nobody references is a sign of a typo in a $ref or a forgotten route.
const refs = new Set(text.match(/"#\/components\/[^"]+"/g)?.map((r) => r.slice(1, -1)));
for (const kind of ["schemas", "responses", "parameters", "headers"]) {
  for (const name of Object.keys(raw.components[kind] ?? {})) {
    if (!refs.has(`#/components/${kind}/${name}`)) problems.push(`components/${kind}/${name} is never referenced`);
  }
}

// Schemas under components.json: "#/components/schemas/X" becomes "components.json#/$defs/X".
function rebase(schema) {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components.json#/$defs/'));
}

if (problems.length) {
  console.error(`FAIL ${file}: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`ok ${file}: OpenAPI ${raw.openapi}, ${operations.length} operations on ${Object.keys(raw.paths).length} paths, ${Object.keys(raw.components.schemas).length} schemas`);
