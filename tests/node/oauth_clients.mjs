// OAuth clients against the service's OAuth endpoints (tests/e2e/oauth_e2e.cpp's node test):
//   - openid-client: discovery, client_credentials with client_secret_basic, introspection,
//     revocation;
//   - jose: the JWT access token and the id token verified against jwks_uri;
//   - @zitadel/node: ServiceAccount (the key file of AddMachineKey) with
//     createServiceAccountInterceptor calling UpdateMachine over gRPC (h2c).
// Usage: MU_TOKEN=<IAM_OWNER PAT> node oauth_clients.mjs --url http://127.0.0.1:PORT
// Prints each check and "N checks, M failed"; exits 0 only when none failed.
import { parseArgs } from "node:util";

import { createRemoteJWKSet, jwtVerify } from "jose";
import { Issuer } from "openid-client";
// @zitadel/node 3.0.28 has neither "main" nor "exports": the bare specifier does not resolve.
import {
  createManagementClient,
  createServiceAccountInterceptor,
} from "@zitadel/node/dist/api/index.js";
import { AccessTokenType } from "@zitadel/node/dist/api/generated/zitadel/user.js";
import { ServiceAccount } from "@zitadel/node/dist/credentials/index.js";

const { values } = parseArgs({ options: { url: { type: "string" } } });
const URL_BASE = values.url;
const TOKEN = process.env.MU_TOKEN;
if (!URL_BASE || !TOKEN) {
  console.error("usage: MU_TOKEN=... node oauth_clients.mjs --url http://127.0.0.1:PORT");
  process.exit(2);
}
setTimeout(() => {
  console.error("gave up after 20 s");
  process.exit(1);
}, 20000).unref();

let checks = 0;
let failed = 0;
function check(what, ok, detail = "") {
  checks++;
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok || !detail ? "" : ": " + detail}`);
}

async function rest(method, path, body) {
  const r = await fetch(URL_BASE + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// A machine user holding ORG_OWNER (so that it may update itself), with a secret and a key.
const name = `oauth-node-${process.pid}`;
const { userId } = await rest("POST", "/management/v1/users/machine", { userName: name, name });
await rest("POST", "/management/v1/orgs/me/members", { userId, roles: ["ORG_OWNER"] });
const { clientSecret } = await rest("PUT", `/management/v1/users/${userId}/secret`, {});
const { keyDetails } = await rest("POST", `/management/v1/users/${userId}/keys`, { type: "KEY_TYPE_JSON" });
const keyFile = Buffer.from(keyDetails, "base64").toString("utf8");

// ---- openid-client: discovery, client_credentials, introspection, revocation -----------------
const issuer = await Issuer.discover(URL_BASE);
check("discovery: issuer is the URL", issuer.issuer === URL_BASE, issuer.issuer);
check("discovery: token endpoint", issuer.metadata.token_endpoint === `${URL_BASE}/oauth/v2/token`);
check("discovery: jwks_uri", issuer.metadata.jwks_uri === `${URL_BASE}/oauth/v2/keys`);
const client = new issuer.Client({
  client_id: name,
  client_secret: clientSecret,
  token_endpoint_auth_method: "client_secret_basic",
});
const scope = "openid urn:zitadel:iam:org:project:id:zitadel:aud";
const opaque = await client.grant({ grant_type: "client_credentials", scope });
check("client_credentials: an opaque token", typeof opaque.access_token === "string" && !opaque.access_token.includes("."));
check("client_credentials: token_type Bearer", opaque.token_type === "bearer" || opaque.token_type === "Bearer", opaque.token_type);
check("client_credentials: expires_in", opaque.expires_in > 0, String(opaque.expires_in));
const jwks = createRemoteJWKSet(new URL(issuer.metadata.jwks_uri));
try {
  const { payload } = await jwtVerify(opaque.id_token, jwks, { issuer: URL_BASE, audience: name });
  check("jose: the id token verifies against jwks_uri", payload.sub === userId, JSON.stringify(payload));
} catch (e) {
  check("jose: the id token verifies against jwks_uri", false, String(e));
}
const active = await client.introspect(opaque.access_token);
check("introspection: active", active.active === true && active.sub === userId, JSON.stringify(active));
const api = await fetch(`${URL_BASE}/management/v1/users/${userId}`, {
  headers: { authorization: `Bearer ${opaque.access_token}` },
});
check("the opaque token calls the API", api.status === 200, String(api.status));
await client.revoke(opaque.access_token);
const revoked = await client.introspect(opaque.access_token);
check("revocation: inactive afterwards", revoked.active === false, JSON.stringify(revoked));

// ---- jose: a JWT access token ---------------------------------------------------------------
await rest("PUT", `/management/v1/users/${userId}/machine`, { name, accessTokenType: "ACCESS_TOKEN_TYPE_JWT" });
const jwt = await client.grant({ grant_type: "client_credentials", scope });
try {
  const { payload, protectedHeader } = await jwtVerify(jwt.access_token, jwks, {
    issuer: URL_BASE,
    audience: "zitadel",
  });
  check("jose: the JWT access token verifies", payload.sub === userId && protectedHeader.alg === "RS256");
  check("jose: jti, nbf, kid", typeof payload.jti === "string" && typeof payload.nbf === "number" && typeof protectedHeader.kid === "string");
} catch (e) {
  check("jose: the JWT access token verifies", false, String(e));
}

// ---- @zitadel/node: ServiceAccount over gRPC ------------------------------------------------
// Once while the user is BEARER and once while it is JWT, each with a new interceptor, so that
// each call gets a token issued under the user's type at that moment. Each call switches the
// type, so that the next one is the other kind.
const sa = ServiceAccount.fromJsonString(keyFile);
async function updateAsServiceAccount(newName, nextType) {
  const management = createManagementClient(URL_BASE, createServiceAccountInterceptor(URL_BASE, sa, { apiAccess: true }));
  await management.updateMachine({ userId, name: newName, description: "", accessTokenType: nextType });
}
async function tokenKinds() {
  // The user's token events: the audit trail of issuance (token id, never the token).
  const { events } = await rest("POST", "/admin/v1/events/_search", {
    aggregateTypes: ["user"],
    aggregateId: userId,
    eventTypes: ["user.token.v2.added"],
    limit: 1000,
  });
  return (events ?? []).length;
}
await rest("PUT", `/management/v1/users/${userId}/machine`, { name, accessTokenType: "ACCESS_TOKEN_TYPE_BEARER" });
for (const [label, newName, nextType] of [
  ["BEARER", "renamed by its service account (bearer)", AccessTokenType.ACCESS_TOKEN_TYPE_JWT],
  ["JWT", "renamed by its service account (jwt)", AccessTokenType.ACCESS_TOKEN_TYPE_BEARER],
]) {
  const before = await tokenKinds();
  try {
    await updateAsServiceAccount(newName, nextType);
    const user = await rest("GET", `/management/v1/users/${userId}`);
    check(`@zitadel/node: UpdateMachine as the ${label} service account`, user.user?.machine?.name === newName, JSON.stringify(user));
    check(`@zitadel/node: a token was issued for the ${label} call`, (await tokenKinds()) === before + 1);
  } catch (e) {
    check(`@zitadel/node: UpdateMachine as the ${label} service account`, false, String(e));
  }
}
// ListUserChanges: the two renames, each with the service account as its editor.
const { result: changes } = await rest("POST", `/management/v1/users/${userId}/changes/_search`, {
  query: { limit: 100 },
});
const renames = (changes ?? []).filter(
  (c) => c.eventType?.key === "EventTypes.user.machine.changed" && c.editorId === userId,
);
check("ListUserChanges: both SDK calls with the service account as editor", renames.length === 2, JSON.stringify(changes));
console.log(`${checks} checks, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
