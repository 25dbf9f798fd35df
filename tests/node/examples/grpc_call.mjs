// A gRPC call with ZITADEL's own Node client, as README.md shows it:
//   node tests/node/examples/grpc_call.mjs http://127.0.0.1:8080 "$T" USER_ID "New name"
// (run `npm ci` in tests/node once; ./test does it). Updates the machine user's name over
// gRPC (h2c, the service's one port), then reads it back.
import {
  createAccessTokenInterceptor,
  createManagementClient,
} from "@zitadel/node/dist/api/index.js";

const [url, token, userId, name] = process.argv.slice(2);
if (!url || !token || !userId || !name) {
  console.error("usage: node grpc_call.mjs URL TOKEN USER_ID NAME");
  process.exit(2);
}
const client = createManagementClient(url, createAccessTokenInterceptor(token));
try {
  const { details } = await client.updateMachine({ userId, name, description: "via gRPC" });
  console.log(`UpdateMachine: sequence ${details.sequence} at ${details.changeDate.toISOString()}`);
} catch (e) {
  // e.g. code 9 (FAILED_PRECONDITION) "Errors.User.NotChanged (COMMAND-2n8vs)"
  console.log(`UpdateMachine: code ${e.code} "${e.details}"`);
}
const { user } = await client.getUserByID({ id: userId });
console.log(`GetUserByID: ${user.userName}: ${JSON.stringify(user.machine)}`);
