import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInterfaces } from "../src/core/interfaces/loadInterfaces.js";
import { generateSchemasModule, identifierFor } from "../src/core/interfaces/generateSchemas.js";
import { parseMessage, parseService } from "../src/core/interfaces/parseInterface.js";
import * as generated from "../src/core/interfaces/messages.generated.js";

const root = join(import.meta.dirname, "..");

/** The field names a schema accepts, straight from the zod shape. */
function schemaFields(schema: unknown): string[] {
  return Object.keys((schema as { shape: Record<string, unknown> }).shape);
}

describe("interfaces: .msg/.srv files are the single source of truth", () => {
  it("the committed generated module matches the .msg/.srv files", () => {
    const committed = readFileSync(join(root, "src/core/interfaces/messages.generated.ts"), "utf8");
    expect(generateSchemasModule(loadInterfaces(root)), "messages.generated.ts is stale: run `npm run gen:interfaces`").toBe(committed);
  });

  it("every schema has exactly the fields of its .msg/.srv file, in order", () => {
    const set = loadInterfaces(root);
    const exports = generated as unknown as Record<string, unknown>;
    const halves = set.services.flatMap((s) => [s.request, s.response]);
    for (const definition of [...set.messages, ...halves]) {
      const schema = exports[`${identifierFor(definition.name)}Schema`];
      expect(schema, `no schema for ${definition.name}`).toBeDefined();
      expect(schemaFields(schema), definition.name).toEqual(definition.fields.map((f) => f.name));
    }
    expect(set.services.map((s) => s.name).sort()).toEqual(Object.keys(generated.serviceSchemas).sort());
  });

  it("detects a renamed field in a copy of the package", () => {
    const copy = mkdtempSync(join(tmpdir(), "ifaces-"));
    for (const dir of ["msg", "srv", "third_party"]) cpSync(join(root, dir), join(copy, dir), { recursive: true });
    const file = join(copy, "msg", "ActionEvent.msg");
    writeFileSync(file, readFileSync(file, "utf8").replace("string robot_id", "string robot_name"));
    const regenerated = generateSchemasModule(loadInterfaces(copy));
    expect(regenerated).not.toBe(readFileSync(join(root, "src/core/interfaces/messages.generated.ts"), "utf8"));
    expect(regenerated).toContain("robot_name: z.string()");
  });

  it("generated schemas enforce primitive ranges and strictness", () => {
    const event = generated.createActionEvent();
    expect(generated.ActionEventSchema.safeParse(event).success).toBe(true);
    expect(generated.ActionEventSchema.safeParse({ ...event, header: { ...event.header, stamp: { sec: 1.5, nanosec: 0 } } }).success).toBe(false);
    expect(generated.DiagnosticMsgsDiagnosticStatusSchema.safeParse({ ...generated.createDiagnosticMsgsDiagnosticStatus(), level: 256 }).success).toBe(false);
    expect(generated.ActionEventConstants.STATUS_FAILED).toBe("FAILED");
  });
});

describe("parseInterface", () => {
  it("reads arrays, bounded strings, defaults, constants and nested types", () => {
    const message = parseMessage(
      'int32 X=5\nstring S="a # b"\nfloat32[] xs\nstring<=8 short\nuint8[4] fixed\nint32[<=3] few\nstd_msgs/Header header\nTime t\nbool on true # comment',
      "pkg/msg/M",
    );
    expect(message.constants).toEqual([
      { name: "X", type: "int32", value: 5 },
      { name: "S", type: "string", value: "a # b" },
    ]);
    const byName = Object.fromEntries(message.fields.map((f) => [f.name, f]));
    expect(byName["xs"]!.type.array).toBe("unbounded");
    expect(byName["short"]!.type.stringBound).toBe(8);
    expect(byName["fixed"]!.type).toMatchObject({ array: "fixed", arraySize: 4 });
    expect(byName["few"]!.type).toMatchObject({ array: "bounded", arraySize: 3 });
    expect(byName["header"]!.type.base).toBe("std_msgs/msg/Header");
    expect(byName["t"]!.type.base).toBe("pkg/msg/Time");
    expect(byName["on"]).toMatchObject({ defaultValue: "true", comment: "comment" });
  });

  it("reports the file and line of a malformed definition", () => {
    expect(() => parseMessage("int32 ok\nint32 BadName", "p/msg/M", "M.msg")).toThrow(/M\.msg:2: field name BadName/);
    expect(() => parseMessage("int32 a\nint32 a", "p/msg/M", "M.msg")).toThrow(/declared twice/);
    expect(() => parseService("int32 a", "p/srv/S", "S.srv")).toThrow(/needs a '---' line/);
  });
});
