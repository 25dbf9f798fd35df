// Checks every HTTP exchange the e2e tests recorded (MU_RECORD_EXCHANGES: one JSON
// line each, written by tests/support/exchange_recorder.cpp) against the OpenAPI
// document the build generates (build/generated/openapi.json): the request is matched to its operation as the router
// matches it (method + path template, with or without the /management/v1 or
// /admin/v1 prefix), then the answer must be declared there: its status, its content
// type, its headers (ETag, X-Next-Position, Idempotent-Replayed, X-Request-Id), and
// its body valid against the declared schema. Requests that match no operation are
// checked against the document's x-answers-without-operation (404, 405, ...).
//
// Usage: node openapi_responses.mjs <recorded.jsonl> <path/to/openapi.json>
// Exit: 0 all match, 1 a mismatch, an empty or missing recording; 77 no npm packages.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadPackages, makeAjv } from "./openapi_common.mjs";

const recording = process.argv[2];
if (!recording || !process.argv[3]) {
  console.error("usage: node openapi_responses.mjs <recorded.jsonl> <openapi.json> (the build writes build/generated/openapi.json)");
  process.exit(2);
}
const file = resolve(process.argv[3]);
const { SwaggerParser, Ajv2020, addFormats } = await loadPackages();

if (!existsSync(recording)) fail(`no recording at ${recording}: run the e2e tests with MU_RECORD_EXCHANGES=${recording} (ctest -L e2e does)`);
const lines = readFileSync(recording, "utf8").split("\n").filter((l) => l.trim() !== "");
if (lines.length === 0) fail(`the recording ${recording} is empty: no e2e test made an HTTP call through the recorder`);

const doc = await SwaggerParser.dereference(JSON.parse(readFileSync(file, "utf8")));
const ajv = makeAjv(Ajv2020, addFormats);
const validators = new Map(); // schema object -> compiled validator
const validatorOf = (schema) => {
  if (!validators.has(schema)) validators.set(schema, ajv.compile(schema));
  return validators.get(schema);
};

// The router's prefixes (app/rest/routes.cpp): the document lists every API path
// with its prefix; a request without one is the same call.
const PREFIXES = ["/management/v1", "/admin/v1"];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const templates = Object.keys(doc.paths).map((path) => ({ path, segments: path.split("/") }));

function pathItemsFor(path) {
  const prefixed = PREFIXES.some((p) => path.startsWith(p + "/"));
  // The operations endpoints are answered before routing, on their exact path only.
  const candidates = prefixed || path in doc.paths ? [path] : PREFIXES.map((p) => p + path);
  const found = [];
  for (const candidate of candidates) {
    const segments = candidate.split("/");
    for (const t of templates) {
      if (t.segments.length !== segments.length) continue;
      const apiTemplate = PREFIXES.some((p) => t.path.startsWith(p + "/"));
      if (!apiTemplate && candidate !== path) continue; // /healthz has no prefixed alias
      if (t.segments.every((s, i) => (s.startsWith("{") ? segments[i] !== "" : s === segments[i]))) found.push(t.path);
    }
  }
  return found;
}

const counts = { checked: 0, withoutOperation: 0, headOnly: 0, textBodies: 0 };
const skipped = new Map(); // reason -> count
const seenOperations = new Map(); // operationId -> count
const mismatches = [];
const skip = (reason) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);

for (const [index, line] of lines.entries()) {
  let x;
  try {
    x = JSON.parse(line);
  } catch (e) {
    mismatches.push({ x: { line: index + 1 }, problems: [`line ${index + 1} is not JSON: ${e.message}`] });
    continue;
  }
  check(x, index + 1);
}

function check(x, lineNo) {
  const problems = [];
  const path = x.target.split(/[?#]/)[0];
  const method = x.method.toLowerCase();
  const contentType = x.response_content_type ?? "";

  // Not REST calls of this API, on purpose: gRPC-Web shares the port, on its own
  // paths (/zitadel.management.v1.ManagementService/...). A gRPC body sent to a REST
  // path is a REST call, answered 415, and is checked.
  if (path.startsWith("/zitadel.") || /^application\/grpc/i.test(contentType)) {
    return skip("gRPC-Web (not a REST call)");
  }
  // Nor are the OAuth/OIDC endpoints (app/oauth): their shapes are RFC 6749/7662/8414 and
  // OpenID Connect Discovery's, checked by tests/e2e/oauth_e2e.cpp and the OAuth clients.
  if (path.startsWith("/oauth/v2/") || path === "/.well-known/openid-configuration") {
    return skip("OAuth/OIDC endpoint (not a REST call of the API)");
  }

  const items = pathItemsFor(path);
  const withOp = items.find((p) => doc.paths[p][method]);
  let response;
  let where;
  if (withOp) {
    const op = doc.paths[withOp][method];
    where = `${op.operationId} (${x.method} ${withOp})`;
    seenOperations.set(op.operationId, (seenOperations.get(op.operationId) ?? 0) + 1);
    response = op.responses[String(x.status)] ?? op.responses.default;
    if (!response) problems.push(`status ${x.status} is not declared (declared: ${Object.keys(op.responses).join(", ")})`);
  } else {
    const kind = items.length ? "knownPathOtherMethod" : "unknownPath";
    where = items.length ? `no ${x.method} on ${items[0]}` : `unknown path ${path}`;
    const declared = doc["x-answers-without-operation"][kind];
    response = declared[String(x.status)];
    counts.withoutOperation++;
    if (!response) problems.push(`status ${x.status}; a request without operation (${kind}) is answered ${Object.keys(declared).join(" or ")}`);
  }

  if (response) {
    checkHeaders(x, response, problems);
    checkBody(x, response, method, contentType, problems);
  }
  counts.checked++;
  if (problems.length) mismatches.push({ x, lineNo, where, problems });
}

function checkHeaders(x, response, problems) {
  const declared = new Set(Object.keys(response.headers ?? {}).map((h) => h.toLowerCase()));
  for (const [name, value] of Object.entries(x.response_headers ?? {})) {
    if (!declared.has(name)) {
      problems.push(`header ${name}: ${value} is not declared for ${x.status}`);
      continue;
    }
    const header = Object.entries(response.headers).find(([h]) => h.toLowerCase() === name)[1];
    const validate = validatorOf(header.schema);
    if (!validate(value)) problems.push(`header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`);
  }
}

function checkBody(x, response, method, contentType, problems) {
  const content = response.content ?? {};
  const essence = (t) => t.split(";")[0].trim().toLowerCase();
  if (method === "head" || (x.body === "" && Object.keys(content).length === 0)) {
    if (method === "head") counts.headOnly++;
    if (x.body !== "") problems.push(`a body where none is declared: ${excerpt(x.body)}`);
    return;
  }
  const media = Object.entries(content).find(([t]) => essence(t) === essence(contentType));
  if (!media) {
    problems.push(`content type ${JSON.stringify(contentType)} is not declared (declared: ${Object.keys(content).join(", ") || "none"})`);
    return;
  }
  const [type, { schema }] = media;
  if (essence(type) !== "application/json") {
    // Prometheus text: the declared type is all a schema can say of it.
    counts.textBodies++;
    if (typeof x.body !== "string") problems.push("the body is not text");
    return;
  }
  let body;
  try {
    body = JSON.parse(x.body);
  } catch (e) {
    problems.push(`the body is not JSON (${e.message}): ${excerpt(x.body)}`);
    return;
  }
  const validate = validatorOf(schema);
  if (!validate(body)) {
    for (const err of validate.errors) problems.push(`body${err.instancePath} ${err.message}${err.params && Object.keys(err.params).length ? " " + JSON.stringify(err.params) : ""}`);
  }
}

function excerpt(s, n = 300) {
  return s.length > n ? s.slice(0, n) + `... (${s.length} bytes)` : s;
}

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

// ---- report ----
const allOperations = [];
for (const item of Object.values(doc.paths)) for (const m of METHODS) if (item[m]) allOperations.push(item[m].operationId);
const unseen = allOperations.filter((id) => !seenOperations.has(id));
const skippedTotal = [...skipped.values()].reduce((a, b) => a + b, 0);

console.log(`${lines.length} recorded exchanges from ${recording}`);
console.log(`  ${counts.checked} checked against ${file}:`);
console.log(`    ${counts.checked - counts.withoutOperation} matched to ${seenOperations.size} of ${allOperations.length} operations (${counts.headOnly} HEAD without a body, ${counts.textBodies} text bodies checked by content type only)`);
console.log(`    ${counts.withoutOperation} matched no operation and were checked as unknown path / other method`);
console.log(`  ${skippedTotal} skipped on purpose${skippedTotal ? ": " + [...skipped].map(([r, n]) => `${n} ${r}`).join(", ") : ""}`);
console.log(`  per operation: ${[...seenOperations].sort().map(([id, n]) => `${id} ${n}`).join(", ")}`);
if (unseen.length) console.log(`  never exercised by these tests (not an error): ${unseen.join(", ")}`);

if (mismatches.length) {
  console.error(`\nFAIL: ${mismatches.length} exchange(s) do not match the document`);
  mismatches.forEach((m, i) => {
    const head = m.x.method ? `line ${m.lineNo}: ${m.x.method} ${excerpt(m.x.target, 120)} -> ${m.x.status} [${m.where}]` : m.problems[0];
    if (i < 50) {
      console.error(`\n#${i + 1} ${head}${m.x.test ? `\n   test: ${m.x.test}` : ""}`);
      for (const p of m.problems) console.error(`   - ${p}`);
      if (m.x.body !== undefined) console.error(`   body: ${excerpt(m.x.body)}`);
    } else {
      console.error(`#${i + 1} ${head}: ${m.problems[0]}`);
    }
  });
  process.exit(1);
}
console.log("ok: every recorded answer is declared in the document");
