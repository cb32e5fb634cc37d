/**
 * bench:persona: the persona workshop end to end on a fixture-shaped model trained here.
 * Progress goes to stderr; the LAST stdout line is one JSON object.
 *
 *   npm run bench:persona -- --quick     (tiny model, two dimensions, few epochs: a few minutes on 2 cores)
 *   npm run bench:persona                (all four dimensions and four experts, 512 wide, 4 layers)
 *   npm run bench:persona -- --base FILE  (reuse a domain base trained before with the same fixture shape)
 *   npm run bench:persona -- --threads 1  (llama.cpp threads; default all cores)
 *   npm run bench:persona -- --epochs 8 --lr 1e-3 --lr-min none --expert-epochs 3  (schedules; see --help)
 *   npm run bench:persona -- --register   (also register passing adapters as `persona train` does:
 *                                          models/adapters/<name>.gguf and configs/adapters.yaml)
 *
 * Steps: write a random-weight llama fixture (real 32k SentencePiece vocabulary), give it a domain
 * (fine-tune on the starter sets' situations, neutral replies and questions, interleaved, the rate
 * falling over the epochs), then per dimension/expert run `persona train`'s pipeline (two pole
 * fine-tunes with llama-finetune, SVD to a rank-r LoRA, +1 chosen on the dev split, held-out NLL
 * gate with llama-perplexity) into a scratch registry, and score replies generated at -1/0/+1 with the GloVe
 * style scorer. Needs EMBODIED_LLAMA_TOOLS_DIR (llama-finetune, llama-perplexity).
 */
import { availableParallelism } from "node:os";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/core/packageRoot.js";
import { createEmbedder } from "../src/core/embedding/createEmbedder.js";
import { DIMENSIONS, EXPERTS, type TrainTarget } from "../src/core/persona/workshop/types.js";
import { locateLlamaTools } from "../src/core/persona/workshop/training/llamaTools.js";
import { trainDomainBase } from "../src/core/persona/workshop/training/domainBase.js";
import { DEFAULT_HYPERPARAMETERS, trainPersona } from "../src/core/persona/workshop/training/trainPersona.js";
import { AdapterRegistry } from "../src/core/persona/workshop/registry/AdapterRegistry.js";
import { splitHeldOut } from "../src/core/persona/workshop/datasets/heldOutSplit.js";
import { loadContrastItems, type ContrastItem } from "../src/core/persona/workshop/datasets/starterSets.js";
import { LlamaReplyGenerator, polePrompt } from "../src/core/persona/workshop/datasets/syntheticReplies.js";
import { StyleScorer } from "../src/core/persona/workshop/gate/StyleScorer.js";
import { writeTinyLlamaGguf } from "../test/fixtures/gguf/index.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    width: { type: "string" },
    blocks: { type: "string" },
    "base-epochs": { type: "string" },
    "base-lr": { type: "string" },
    "base-lr-min": { type: "string" },
    "lr-min": { type: "string" },
    "no-calibrate": { type: "boolean", default: false },
    epochs: { type: "string" },
    rank: { type: "string" },
    only: { type: "string" },
    lr: { type: "string" },
    "expert-epochs": { type: "string" },
    "expert-lr": { type: "string" },
    ctx: { type: "string" },
    base: { type: "string" },
    register: { type: "boolean", default: false },
    threads: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:persona -- [options]

  --quick              tiny model (64 wide, 2 layers), warmth and formal, few epochs: a few minutes
  --width N --blocks N fixture shape (default 512 x 4)
  --base FILE          reuse a domain base trained before with the same fixture shape
  --base-epochs N      domain base epochs (default 6; quick 1)      --base-lr X   (default 5e-4)
  --base-lr-min X      the base's rate falls to this over its epochs (default 5e-5; "none": constant)
  --epochs N --lr X    pole fine-tunes (default 4 epochs, 5e-4)      --rank N      adapter rank (default 8)
  --lr-min X           pole and expert fine-tunes' rate falls to this (default 5e-5; "none": constant)
  --no-calibrate       scale +1 applies the fine-tunes' difference as it is (no choice on the dev split)
  --expert-epochs N --expert-lr X   experts' schedule (default 3 epochs; rate: the dimensions')
  --ctx N              training context (tokens)
  --only a,b           these dimensions/experts only
  --threads N          llama.cpp threads (default: all cores)
  --register           also register passing adapters (models/adapters/, configs/adapters.yaml)
  --out DIR            work folder (default models/bench-persona)
Needs EMBODIED_LLAMA_TOOLS_DIR (llama-finetune, llama-perplexity). Last stdout line: one JSON object.`);
  process.exit(0);
}
const quick = values.quick;
const log = (line: string) => process.stderr.write(`${line}\n`);
const root = packageRoot();
const dir = resolve(values.out ?? join(root, "models", "bench-persona"));
mkdirSync(dir, { recursive: true });
const tools = locateLlamaTools();
// On a machine busy with other work, one llama.cpp thread trains ~10x faster than two waiting on each other.
const threads = Number(values.threads ?? Math.max(1, availableParallelism()));
const width = Number(values.width ?? (quick ? 64 : 512));
const blocks = Number(values.blocks ?? (quick ? 2 : 4));
const baseEpochs = Number(values["base-epochs"] ?? (quick ? 1 : 6));
const baseLearningRate = Number(values["base-lr"] ?? 5e-4);
/** "none" keeps a rate constant; a number makes it fall exponentially to that over the epochs. */
const rateFloor = (value: string | undefined, fallback: number | undefined) => (value === "none" ? undefined : value !== undefined ? Number(value) : fallback);
const baseLearningRateMin = rateFloor(values["base-lr-min"], 5e-5);
const learningRateMin = rateFloor(values["lr-min"], DEFAULT_HYPERPARAMETERS.learningRateMin);
const epochs = Number(values.epochs ?? (quick ? 3 : 4));
const rank = Number(values.rank ?? 8);
const learningRate = values.lr ? Number(values.lr) : undefined;
// Experts train on their Q&A against the base (no second pole to cancel what both learn), so they
// may need a gentler schedule than the dimensions: their own epochs and rate (default: the same).
const expertEpochs = values["expert-epochs"] ? Number(values["expert-epochs"]) : quick ? epochs : 3;
const expertLearningRate = values["expert-lr"] ? Number(values["expert-lr"]) : learningRate;
const contextSize = values.ctx ? Number(values.ctx) : undefined;
const dataDir = join(root, "data", "personas");
const started = performance.now();

const fixture = writeTinyLlamaGguf(join(dir, `fixture-${width}x${blocks}.gguf`), {
  embeddingLength: width,
  blockCount: blocks,
  feedForwardLength: width * 2,
  headCount: 4,
  contextLength: 512,
  // Its own output matrix: llama-finetune leaves token_embd untouched, so a tied output would stay the
  // random embedding and the domain base could not get far below ln(32000) (9.6 after an epoch here).
  tiedOutput: false,
});
log(`fixture: ${width} wide, ${blocks} layers, vocab ${fixture.vocabSize} (${fixture.vocab}), ${(fixture.parameters / 1e6).toFixed(1)}M parameters`);
const basePath = resolve(values.base ?? join(dir, `domain-base-${width}x${blocks}.gguf`));
const base = values.base ? undefined : await trainDomainBase(tools, { fromModel: fixture.filePath, dataDir, outPath: basePath, epochs: baseEpochs, learningRate: baseLearningRate, learningRateMin: baseLearningRateMin, contextSize: 64, threads });
if (base) log(`domain base: ${base.textBytes} bytes, ${base.seconds.toFixed(0)} s, train loss ${base.finalTrainLoss.toFixed(3)}, val loss by epoch ${base.valLossByEpoch.map((l) => l.toFixed(3)).join(", ")}`);
else log(`domain base: reusing ${basePath}`);

const targets: TrainTarget[] = values.only
  ? values.only.split(",").map((n) => ((DIMENSIONS as readonly string[]).includes(n) ? { kind: "dimension" as const, name: n as (typeof DIMENSIONS)[number] } : { kind: "expert" as const, name: n as (typeof EXPERTS)[number] }))
  : quick
    ? [{ kind: "dimension", name: "warmth" }, { kind: "dimension", name: "formal" }]
    : [...DIMENSIONS.map((name) => ({ kind: "dimension" as const, name })), ...EXPERTS.map((name) => ({ kind: "expert" as const, name }))];

const registry = new AdapterRegistry(values.register ? join(root, "configs", "adapters.yaml") : join(dir, "adapters.yaml"));
const adaptersDir = values.register ? join(root, "models", "adapters") : join(dir, "adapters");
const embedder = await createEmbedder({ kind: "glove" });
const results: Record<string, unknown>[] = [];
for (const target of targets) {
  log(`\n== ${target.kind} ${target.name}`);
  const targetLearningRate = target.kind === "expert" ? expertLearningRate : learningRate;
  const result = await trainPersona(tools, {
    target,
    baseModel: basePath,
    dataDir,
    workDir: join(dir, "work", target.name),
    adaptersDir,
    registry,
    registryRoot: values.register ? root : dir,
    threads,
    hyperparameters: {
      rank,
      epochs: target.kind === "expert" ? expertEpochs : epochs,
      ...(targetLearningRate ? { learningRate: targetLearningRate } : {}),
      learningRateMin,
      ...(values["no-calibrate"] ? { calibrationScales: [] } : {}),
      ...(contextSize ? { contextSize } : {}),
    },
    onEvent: (e) => {
      if (e.kind === "stage") log(e.message);
      else if (e.kind === "gate-point") log(`  scale ${e.point.scale}: target ${e.point.target.toFixed(4)} contrast ${e.point.contrast.toFixed(4)}`);
      else if (e.kind === "calibration-point") log(`  dev x${e.point.scale}: target ${e.point.target.toFixed(4)} contrast ${e.point.contrast.toFixed(4)}`);
    },
  });
  const trainSeconds = result.runs.reduce((s, r) => s + r.seconds, 0);
  const trainedTokens = result.runs.reduce((s, r) => s + r.trainedTokens, 0);
  const nll = (scale: number) => result.verdict.curve.find((p) => p.scale === scale);
  const entry: Record<string, unknown> = {
    target: target.name,
    kind: target.kind,
    seconds: Math.round(result.seconds),
    trainTokensPerSecond: Math.round(trainedTokens / trainSeconds),
    adapterBytes: result.extraction.bytes,
    energyKept: Number(result.extraction.energyKept.toFixed(3)),
    calibration: result.calibration.scale,
    nll: Object.fromEntries([-1, 0, 1].filter((s) => nll(s)).map((s) => [String(s), { target: Number(nll(s)!.target.toFixed(4)), contrast: Number(nll(s)!.contrast.toFixed(4)) }])),
    targetDropAtPlusOne: Number(result.verdict.targetDrop.toFixed(4)),
    contrastRiseAtPlusOne: Number(result.verdict.contrastRise.toFixed(4)),
    monotone: result.verdict.monotone,
    passed: result.verdict.passed,
  };
  if (target.kind === "dimension") {
    const { train, heldOut } = splitHeldOut(loadContrastItems(dataDir, target.name), (i: ContrastItem) => i.situation);
    const scorer = await StyleScorer.build(embedder, train.map((i) => i.high), train.map((i) => i.low));
    const situations = heldOut.slice(0, quick ? 4 : 8).map((i) => i.situation);
    const style: Record<string, number> = {};
    for (const scale of [-1, 0, 1]) {
      // One thread: on the fixture the default thread count spent ~1 s a token waiting at barriers
      // (24 s for 30 tokens with two threads beside other work, 0.27 s with one).
      const generator = await LlamaReplyGenerator.load({ modelPath: basePath, adapters: [{ filePath: join(dir, "work", target.name, `${target.name}.gguf`), scale }], temperature: 0, contextSize: 256, threads: 1 });
      const replies: string[] = [];
      for (const s of situations) replies.push(await generator.generate(polePrompt("a robot", s), 30));
      await generator.close();
      style[String(scale)] = Number((await scorer.score(replies)).toFixed(2));
      log(`  style at ${scale}: ${style[String(scale)]} e.g. ${JSON.stringify(replies[0]?.slice(0, 80))}`);
    }
    entry.styleScore = style;
  }
  log(JSON.stringify(entry));
  results.push(entry);
}
await embedder.close();

console.log(
  JSON.stringify({
    bench: "persona",
    quick,
    model: { kind: "fixture (random weights + domain fine-tune)", width, blocks, parameters: fixture.parameters, vocab: fixture.vocab },
    threads,
    domainBase: base ? { epochs: baseEpochs, learningRate: baseLearningRate, learningRateMin: baseLearningRateMin ?? null, seconds: Math.round(base.seconds), textBytes: base.textBytes, trainLoss: base.finalTrainLoss, valLossByEpoch: base.valLossByEpoch } : { reused: basePath },
    epochs,
    learningRate: learningRate ?? DEFAULT_HYPERPARAMETERS.learningRate,
    learningRateMin: learningRateMin ?? null,
    expertEpochs,
    expertLearningRate: expertLearningRate ?? DEFAULT_HYPERPARAMETERS.learningRate,
    contextSize: contextSize ?? DEFAULT_HYPERPARAMETERS.contextSize,
    registered: values.register ? results.filter((r) => r.passed).map((r) => r.target) : [],
    rank,
    results,
    allPassed: results.every((r) => r.passed),
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
