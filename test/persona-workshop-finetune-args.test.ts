/**
 * The learning-rate schedule reaches llama-finetune: with learningRateMin the rate falls over the
 * epochs (-lr-min, -decay-epochs = epochs); without it no decay flag is passed (a constant rate).
 * A stand-in llama-finetune records its arguments and prints the progress lines the real one does.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFinetune, type LlamaTools } from "../src/core/persona/workshop/training/llamaTools.js";

const dir = mkdtempSync(join(tmpdir(), "finetune-args-"));
const argsFile = join(dir, "args.txt");
const finetune = join(dir, "llama-finetune");
writeFileSync(
  finetune,
  `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n` +
    `printf 'train: [==  ] data=0000001/0000002 loss=7.7\\rtrain: [====] data=0000002/0000002 loss=7.5\\rval: [====] data=0000001/0000001 loss=7.9\\n' >&2\n` +
    `printf 'train: [==  ] data=0000001/0000002 loss=7.2\\rtrain: [====] data=0000002/0000002 loss=7.1\\rval: [====] data=0000001/0000001 loss=7.6\\n' >&2\n`,
);
chmodSync(finetune, 0o755);
const tools: LlamaTools = { binDir: dir, finetune, perplexity: join(dir, "none"), quantize: join(dir, "none") };
const base = { model: "m.gguf", textFile: "t.txt", outPath: join(dir, "out.gguf"), contextSize: 64, epochs: 3, learningRate: 5e-4, threads: 1 };
const passed = () => readFileSync(argsFile, "utf8").trim().split("\n");
const flag = (args: string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

describe("llama-finetune's learning-rate schedule", () => {
  it("passes -lr-min and -decay-epochs = epochs when the rate falls", async () => {
    const result = await runFinetune(tools, { ...base, learningRateMin: 5e-5 });
    const args = passed();
    expect(flag(args, "-lr")).toBe("0.0005");
    expect(flag(args, "-lr-min")).toBe("0.00005");
    expect(flag(args, "-decay-epochs")).toBe("3");
    expect(result.valLossByEpoch).toEqual([7.9, 7.6]);
  });

  it("passes no decay when the rate is constant", async () => {
    await runFinetune(tools, base);
    const args = passed();
    expect(flag(args, "-lr")).toBe("0.0005");
    expect(args).not.toContain("-lr-min");
    expect(args).not.toContain("-decay-epochs");
  });
});
