// Wire compatibility of our proto/ files with ZITADEL's published descriptors
// (npm @zitadel/proto): every message we define must exist there under the same full
// name, in the file of the same name, and each of our fields must have the same
// number, name, type, cardinality and oneof; every enum value we define must be
// theirs; every method of our services must be theirs, with the same request and
// response types. Fields of theirs that we leave out are fine (we never fill them).
// google.rpc.Status is compared with the copy @connectrpc/connect ships.
//
// Usage: node proto_compat.mjs <descriptor set>   (protoc --descriptor_set_out --include_imports)
// Exits 1 listing every mismatch.
import { readFileSync } from "node:fs";
import { fromBinary, createFileRegistry, createRegistry, ScalarType } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const setPath = process.argv[2];
if (!setPath) {
  console.error("usage: node proto_compat.mjs <descriptor set>");
  process.exit(2);
}
const ours = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(setPath)));

// Their files, by the name of ours: zitadel/user.proto -> @zitadel/proto/zitadel/user_pb.js.
async function referenceFile(name) {
  if (name === "google/rpc/status.proto") {
    const connect = import.meta.resolve("@connectrpc/connect");
    return (await import(new URL("./protocol-grpc/gen/status_pb.js", connect))).file_status;
  }
  const mod = await import(`@zitadel/proto/${name.replace(/\.proto$/, "_pb.js")}`);
  return Object.values(mod).find((v) => v && v.kind === "file");
}

const problems = [];
const counts = { messages: 0, enums: 0, methods: 0 };

function fieldType(f) {
  const element = f.message
    ? `message ${f.message.typeName}`
    : f.enum
      ? `enum ${f.enum.typeName}`
      : ScalarType[f.scalar].toLowerCase();
  if (f.fieldKind === "map") return `map<${ScalarType[f.mapKey].toLowerCase()}, ${element}>`;
  return (f.fieldKind === "list" ? "repeated " : "") + element;
}

function describe(f) {
  const oneof = f.oneof && !f.proto.proto3Optional ? ` oneof ${f.oneof.name}` : "";
  const optional = f.proto.proto3Optional ? "optional " : "";
  return `${optional}${fieldType(f)} ${f.name} = ${f.number}${oneof}`;
}

function compareMessage(mine, registry) {
  counts.messages++;
  const theirs = registry.getMessage(mine.typeName);
  if (!theirs) return problems.push(`message ${mine.typeName}: not in ZITADEL's descriptors`);
  if (mine.typeName.startsWith("zitadel.") && mine.file.proto.name !== theirs.file.proto.name) {
    problems.push(`message ${mine.typeName}: in ${mine.file.proto.name}, ZITADEL has it in ${theirs.file.proto.name}`);
  }
  for (const f of mine.fields) {
    const t = theirs.fields.find((x) => x.number === f.number);
    if (!t) {
      problems.push(`${mine.typeName}: field ${describe(f)}: ZITADEL has no field ${f.number}`);
    } else if (describe(f) !== describe(t)) {
      problems.push(`${mine.typeName}: field ${describe(f)}: ZITADEL has ${describe(t)}`);
    }
  }
  for (const e of mine.nestedEnums) compareEnum(e, registry);
  for (const m of mine.nestedMessages) compareMessage(m, registry);
}

function compareEnum(mine, registry) {
  counts.enums++;
  const theirs = registry.getEnum(mine.typeName);
  if (!theirs) return problems.push(`enum ${mine.typeName}: not in ZITADEL's descriptors`);
  for (const v of mine.values) {
    const t = theirs.values.find((x) => x.number === v.number);
    if (!t || t.name !== v.name) {
      problems.push(`enum ${mine.typeName}: ${v.name} = ${v.number}: ZITADEL has ${t ? t.name : "no such number"}`);
    }
  }
}

function compareService(mine, registry) {
  const theirs = registry.getService(mine.typeName);
  if (!theirs) return problems.push(`service ${mine.typeName}: not in ZITADEL's descriptors`);
  for (const m of mine.methods) {
    counts.methods++;
    const t = theirs.methods.find((x) => x.name === m.name);
    const sig = (x) => `${x.methodKind} (${x.input.typeName}) returns (${x.output.typeName})`;
    if (!t) problems.push(`${mine.typeName}/${m.name}: ZITADEL has no such method`);
    else if (sig(m) !== sig(t)) problems.push(`${mine.typeName}/${m.name}: ${sig(m)}, ZITADEL has ${sig(t)}`);
  }
}

let files = 0;
for (const file of ours.files) {
  if (file.proto.name.startsWith("google/protobuf/")) continue; // the well-known types themselves
  if (file.proto.name.startsWith("mu/")) continue; // our own options, not ZITADEL's (proto/README.md)
  files++;
  const reference = await referenceFile(file.proto.name).catch(() => undefined);
  if (!reference) {
    problems.push(`${file.proto.name}: ZITADEL has no file of that name`);
    continue;
  }
  if (file.proto.package !== reference.proto.package) {
    problems.push(`${file.proto.name}: package ${file.proto.package}, ZITADEL has ${reference.proto.package}`);
  }
  // Their file with its imports, so that types from other files resolve too.
  const registry = createRegistry(reference);
  for (const m of file.messages) compareMessage(m, registry);
  for (const e of file.enums) compareEnum(e, registry);
  for (const s of file.services) compareService(s, registry);
}

if (files === 0) problems.push(`${setPath}: no files of ours in the descriptor set`);
if (problems.length) {
  console.error(`${problems.length} mismatch(es) with ZITADEL's descriptors:`);
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
console.log(`ok: ${files} files, ${counts.messages} messages, ${counts.enums} enums, ${counts.methods} methods match @zitadel/proto`);
