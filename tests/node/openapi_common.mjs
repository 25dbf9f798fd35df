// What openapi_validate.mjs and openapi_responses.mjs share: loading the npm
// packages (pinned in package.json; `npm ci` installs them), and one ajv set-up.

// Exit status ctest counts as "skipped" (SKIP_RETURN_CODE 77).
export const SKIP = 77;

export async function loadPackages() {
  try {
    const [{ default: SwaggerParser }, { default: Ajv2020 }, { default: addFormats }] = await Promise.all([
      import("@apidevtools/swagger-parser"),
      import("ajv/dist/2020.js"),
      import("ajv-formats"),
    ]);
    return { SwaggerParser, Ajv2020, addFormats };
  } catch (e) {
    console.error(`SKIP: the npm packages are missing (${e.message.split("\n")[0]}); run \`npm ci\` in tests/node`);
    process.exit(SKIP);
  }
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12. Strict: an unknown keyword or format
// is an error, so a typo in the document cannot silently validate nothing.
export function makeAjv(Ajv2020, addFormats) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // protojson's uint64: a decimal string (the schemas' pattern says which digits).
  ajv.addFormat("uint64", { type: "string", validate: /^[0-9]+$/ });
  return ajv;
}
