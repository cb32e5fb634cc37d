#!/usr/bin/env node
/** Regenerates src/core/interfaces/messages.generated.ts from msg/, srv/ and third_party/ros_interfaces. */
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadInterfaces } from "../core/interfaces/loadInterfaces.js";
import { generateSchemasModule } from "../core/interfaces/generateSchemas.js";

const HELP = `Usage: gen-interfaces [--check]

Regenerates src/core/interfaces/messages.generated.ts from the package's .msg/.srv files.
  --check   exit 1 (and write nothing) if the generated file is stale
  --help    show this help`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const target = join(root, "src", "core", "interfaces", "messages.generated.ts");
const text = generateSchemasModule(loadInterfaces(root));
if (args.includes("--check")) {
  const current = existsSync(target) ? readFileSync(target, "utf8") : "";
  if (current !== text) {
    console.error(`${target} is stale: run \`npm run gen:interfaces\` and commit the result.`);
    process.exit(1);
  }
  console.log("interfaces up to date");
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
