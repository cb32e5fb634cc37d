import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { startDialogueNode } from "../src/nodes/dialogue.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";
import { LoopbackMirror } from "./fixtures/mirror/LoopbackMirror.js";

const HF_PATH = "/test-org/tiny-GGUF/resolve/main/tiny.gguf";
let dir: string;
let mirror: LoopbackMirror;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "auto-download-"));
  const fixture = writeTinyLlamaGguf(join(dir, "served.gguf"), { seed: 5 }).filePath;
  mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture } });
});
afterAll(async () => {
  await mirror.close();
  rmSync(dir, { recursive: true, force: true });
});

function registry(name: string): string {
  const home = mkdtempSync(join(dir, `${name}-`));
  const file = join(home, "models.yaml");
  writeFileSync(file, stringify({ root: ".", endpoints: { huggingFace: mirror.url }, models: { "tinyllama-chat": { path: "models/tiny.gguf", uri: "hf:test-org/tiny-GGUF/tiny.gguf" } } }));
  return file;
}

async function node(overrides: Record<string, string | boolean | number>) {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const dialogue = await startDialogueNode(graph, { parameterOverrides: { gpu: "cpu", threads: 1, context_size: 512, memory_service: "", ...overrides } });
  return { graph, dialogue };
}

describe("dialogue node: auto_download", () => {
  it("is off by default: a missing model stays missing and nothing is requested", async () => {
    const before = mirror.requests.length;
    const file = registry("off");
    const { graph, dialogue } = await node({ models_file: file });
    expect(dialogue.engine).toBeUndefined();
    expect(mirror.requests.length).toBe(before);
    expect(existsSync(join(file, "..", "models", "tiny.gguf"))).toBe(false);
    await dialogue.close();
    await graph.shutdown();
  });

  it("auto_download: true pulls the missing base model from the registry and loads it", async () => {
    const file = registry("on");
    const { graph, dialogue } = await node({ models_file: file, auto_download: true });
    expect(dialogue.engine).toBeDefined();
    expect(existsSync(join(file, "..", "models", "tiny.gguf"))).toBe(true);
    await dialogue.close();
    await graph.shutdown();
  });
});
