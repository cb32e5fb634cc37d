import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runPersonaCommand } from "../src/cli/persona.js";
import { runModelsCommand } from "../src/cli/models.js";
import { hasLlamaTool, runLlamaTool } from "../src/core/llamaTools/index.js";
import { modelFileType } from "../src/core/persona/bake/bakeModel.js";
import { readBakeRecipe } from "../src/core/persona/bake/bakeRecipe.js";
import { readGgufHeader } from "../src/core/models/GgufHeader.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

// Re-quantizing needs llama.cpp's llama-quantize (scripts/build-llama-tools.sh; .ci/run builds it).
// Outside CI, without the tools, this file is skipped and says so.
const haveTools = hasLlamaTool("llama-quantize");
if (!haveTools && !process.env.CI) console.warn("persona-bake-cli: llama-quantize not found; run bash scripts/build-llama-tools.sh or set EMBODIED_LLAMA_TOOLS_DIR");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bake-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveTools || process.env.CI)("npm run persona -- bake with a quantized base", () => {
  it("bakes into the unquantized twin, re-quantizes to the base's type, and models list shows the recipe", async () => {
    // k-quants need rows that are multiples of 256.
    const f16 = writeTinyLlamaGguf(join(dir, "base-f16.gguf"), { seed: 8, embeddingLength: 256, feedForwardLength: 512, headCount: 4, tensorType: "f16" });
    await runLlamaTool("llama-quantize", [f16.filePath, join(dir, "base-q4km.gguf"), "Q4_K_M", "2"]);
    expect(modelFileType(readGgufHeader(join(dir, "base-q4km.gguf")))).toBe("Q4_K_M");
    for (const [name, seed] of [["persona.warmth", 1], ["persona.encouragement", 2], ["expertise.teaching", 3]] as const) {
      writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model: f16, seed, rank: 4 });
    }
    const registry = join(dir, "models.yaml");
    writeFileSync(registry, stringify({ root: ".", bakes: "bakes", models: { base: { path: "base-q4km.gguf", unquantized: "base-f16" }, "base-f16": { path: "base-f16.gguf" } } }));
    const lines: string[] = [];
    const code = await runPersonaCommand(["bake", "--models-file", registry, "--base", "base", "--adapter-dir", dir, "--set", "persona.warmth=1"], (l) => lines.push(l));
    expect(code, lines.join("\n")).toBe(0);
    const baked = readdirSync(join(dir, "bakes")).filter((f) => f.endsWith(".gguf"));
    expect(baked).toHaveLength(1);
    const out = join(dir, "bakes", baked[0]!);
    expect(modelFileType(readGgufHeader(out))).toBe("Q4_K_M");
    const recipe = readBakeRecipe(out)!;
    expect(recipe).toMatchObject({ method: "linear", type: "Q4_K_M", base: { name: "base-f16", file: "base-f16.gguf" } });
    expect(recipe.adapters.map((a) => a.name).sort()).toEqual(["expertise.teaching", "persona.encouragement", "persona.warmth"]);
    expect(recipe.adapters.find((a) => a.name === "persona.warmth")!.scale).toBe(1);
    expect(recipe.weights?.["persona.warmth"]).toBe(1);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(lines.join("\n")).toMatch(/re-quantizing to Q4_K_M with llama-quantize/);

    const listed: string[] = [];
    expect(await runModelsCommand(["list", "--models-file", registry], (l) => listed.push(l))).toBe(0);
    expect(listed.join("\n")).toMatch(new RegExp(`${baked[0]!.replace(/\./g, "\\.")} .* linear .*persona\\.warmth@1 .*base base-f16 .*Q4_K_M`));
  }, 120_000);

  it("names the fix when the unquantized twin is missing", async () => {
    const registry = join(dir, "models-missing.yaml");
    writeFileSync(registry, stringify({ root: ".", models: { base: { path: "base-q4km.gguf", unquantized: "twin" }, twin: { path: "nowhere.gguf" } } }));
    const lines: string[] = [];
    expect(await runPersonaCommand(["bake", "--models-file", registry, "--base", "base", "--adapter-dir", dir], (l) => lines.push(l))).toBe(1);
    expect(lines.join("\n")).toMatch(/unquantized twin twin, which is not here; npm run models -- pull twin/);
  });
});

describe("npm run persona", () => {
  it("refuses unknown commands and options with usage status 2", async () => {
    const lines: string[] = [];
    expect(await runPersonaCommand(["frobnicate"], (l) => lines.push(l))).toBe(2);
    expect(await runPersonaCommand(["bake", "--method", "slerp"], (l) => lines.push(l))).toBe(2);
    expect(lines.join("\n")).toMatch(/--method is one of linear, ties, dare/);
  });
});
