import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { helpText, startNodeProgram, type NodeProgram } from "../src/cli/runNode.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import type { NodeFactory } from "../src/nodes/types.js";

const root = join(import.meta.dirname, "..");

/** A minimal node that declares two parameters, as real nodes do. */
const probeFactory: NodeFactory = async (graph, options = {}) => {
  const node = graph.createNode(options.name ?? "probe", options);
  node.declareParameter({ name: "persona.warmth", type: "double", description: "w", defaultValue: 0.5, floatingPointRange: { from: 0, to: 1 } });
  node.declareParameter({ name: "max_tokens", type: "integer", description: "m", defaultValue: 55, integerRange: { from: 1, to: 512 } });
  node.createPublisher("std_msgs/msg/String", "~/out");
  return { node, close: async () => node.destroy() };
};
const program: NodeProgram = { executable: "probe", summary: "a probe", nodes: [{ defaultName: "probe", factory: async () => probeFactory }] };

describe("node executables' ROS arguments", () => {
  it("applies __node, __ns, remaps, a params file and -p (which wins)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runner-"));
    const params = join(dir, "params.yaml");
    writeFileSync(params, "/**/renamed:\n  ros__parameters:\n    persona:\n      warmth: 0.8\n    max_tokens: 40\n");
    const graph = new InProcessGraph({ logLevel: "silent" });
    const started = await startNodeProgram(
      program,
      ["--ros-args", "-r", "__node:=renamed", "-r", "__ns:=/robot1", "-r", "~/out:=/shared_out", "--params-file", params, "-p", "max_tokens:=30"],
      { graph },
    );
    const node = started.nodes[0]!.node;
    expect(node.fullyQualifiedName).toBe("/robot1/renamed");
    expect(node.getParameter("persona.warmth")).toBe(0.8);
    expect(node.getParameter("max_tokens")).toBe(30);
    expect(graph.topicNames().map((t) => t.name)).toContain("/shared_out");
    await started.stop();
  });

  it("gives a node-scoped -p only to the named node", async () => {
    const graph = new InProcessGraph({ logLevel: "silent" });
    const two: NodeProgram = { ...program, nodes: [{ defaultName: "probe", factory: async () => probeFactory }, { defaultName: "other", factory: async () => probeFactory }] };
    const started = await startNodeProgram(two, ["--ros-args", "-p", "other:max_tokens:=9"], { graph });
    expect(started.nodes.map((n) => n.node.getParameter("max_tokens"))).toEqual([55, 9]);
    await started.stop();
  });

  it("keeps the default when a given value is out of range", async () => {
    const graph = new InProcessGraph({ logLevel: "silent" });
    const started = await startNodeProgram(program, ["--ros-args", "-p", "persona.warmth:=3.0"], { graph });
    expect(started.nodes[0]!.node.getParameter("persona.warmth")).toBe(0.5);
    await started.stop();
  });

  it("refuses unknown program options with a pointer to --help", async () => {
    await expect(startNodeProgram(program, ["--frobnicate"], { graph: new InProcessGraph({ logLevel: "silent" }) })).rejects.toThrow(/unknown option --frobnicate; see probe --help/);
  });

  it("documents the ROS arguments in --help", () => {
    const text = helpText(program);
    for (const flag of ["__node:=", "__ns:=", "--params-file", "-p NAME:=VALUE", "--log-level"]) expect(text).toContain(flag);
  });

  it("every installed executable answers --help and exits 0", () => {
    for (const exe of ["action_log", "memory", "dialogue", "assistant"]) {
      const out = execFileSync(process.execPath, ["--import", "tsx", join(root, "src/cli", `${exe}.ts`), "--help"], { encoding: "utf8", cwd: root });
      expect(out).toContain(`Usage: ${exe}`);
      expect(out).toContain("--ros-args");
    }
  });

  it("an executable exits 1 with a clear message on a bad ROS argument", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/memory.ts"), "--ros-args", "-p", "k=5"], { encoding: "utf8", cwd: root });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("memory: -p k=5: expected name:=value");
  });
});
