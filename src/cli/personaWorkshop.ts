/**
 * The persona workshop's subcommands: data | train | gate | list. src/cli/persona.ts dispatches here.
 *
 *   persona data export [--out DIR]                         starter sets -> messages JSONL per pole / expert
 *   persona data whatsapp FILE --sender NAME [--date-order dmy|mdy] [--context N] [--out FILE]
 *   persona data from-turns [--db FILE] [--dimension D --min X --max Y] [--out FILE]
 *   persona data synth DIMENSION --model GGUF [--limit N] [--threads T] [--out FILE]
 *   persona train domain-base --from GGUF --out GGUF [--epochs N --lr X --lr-min X --ctx C --threads T]
 *   persona train <dimension|expert> --base GGUF [--rank R --epochs N --lr X --lr-min X --ctx C --threads T]
 *         [--extra JSONL] [--extra-high JSONL] [--extra-low JSONL]   more training text (messages JSONL, repeatable):
 *         --extra: per-example pole from its "persona <dimension>: high|low" system line (persona data synth)
 *         or, for an expert, all of it; --extra-high / --extra-low: the whole file is that pole
 *         --lr-min X: the learning rate falls from --lr to X over the epochs (default 5e-5; "none": constant)
 *   persona gate <dimension|expert> --base GGUF --adapter GGUF
 *   persona list
 */
import { availableParallelism } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "../core/packageRoot.js";
import { defaultDataFile } from "../nodes/dataPaths.js";
import { DIMENSIONS, EXPERTS, parseTrainTarget, type MessagesExample, type TrainTarget } from "../core/persona/workshop/types.js";
import { contrastExample, qaExample, writeMessagesJsonl } from "../core/persona/workshop/datasets/messagesFormat.js";
import { loadContrastItems, loadQaItems } from "../core/persona/workshop/datasets/starterSets.js";
import { whatsappToMessages, type DateOrder } from "../core/persona/workshop/datasets/whatsappExport.js";
import { TurnLogStore } from "../core/persona/workshop/datasets/TurnLogStore.js";
import { generateSynthetic, LlamaReplyGenerator } from "../core/persona/workshop/datasets/syntheticReplies.js";
import { createEmbedder } from "../core/embedding/createEmbedder.js";
import { locateLlamaTools } from "../core/persona/workshop/training/llamaTools.js";
import { trainPersona, type TrainEvent } from "../core/persona/workshop/training/trainPersona.js";
import { trainDomainBase } from "../core/persona/workshop/training/domainBase.js";
import { targetTexts } from "../core/persona/workshop/training/trainingTexts.js";
import { measureCurve } from "../core/persona/workshop/gate/measureCurve.js";
import { DIMENSION_GATE, DIMENSION_SCALES, EXPERT_GATE, EXPERT_SCALES, judgeGate, type GateVerdict } from "../core/persona/workshop/gate/qualityGate.js";
import { AdapterRegistry } from "../core/persona/workshop/registry/AdapterRegistry.js";

const ROOT = packageRoot();
const DATA_DIR = join(ROOT, "data", "personas");
const ADAPTERS_DIR = join(ROOT, "models", "adapters");
const REGISTRY_FILE = join(ROOT, "configs", "adapters.yaml");
const DEFAULT_THREADS = Math.max(1, availableParallelism());

const USAGE = readFileSync(new URL(import.meta.url), "utf8").split("*/")[0]!.replace(/^\/\*\*?/, "").replace(/^ \* ?/gm, "");

type Out = (line: string) => void;

export async function runWorkshopCommand(argv: string[], out: Out = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "data":
        return await dataCommand(rest, out);
      case "train":
        return await trainCommand(rest, out);
      case "gate":
        return await gateCommand(rest, out);
      case "list":
        return listCommand(out);
      default:
        out(USAGE.trim());
        return command === undefined || command === "help" || command === "--help" ? 0 : 2;
    }
  } catch (error) {
    out(`error: ${(error as Error).message}`);
    return 1;
  }
}

function writeJsonl(file: string | undefined, examples: readonly MessagesExample[], out: Out): void {
  if (file) {
    writeMessagesJsonl(file, examples);
    out(`wrote ${examples.length} examples to ${file}`);
  } else {
    for (const e of examples) out(JSON.stringify(e));
  }
}

function counts(label: string, record: Record<string, number>): string {
  const entries = Object.entries(record);
  return `${label}: ${entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(", ") : "none"}`;
}

async function dataCommand(argv: string[], out: Out): Promise<number> {
  const [source, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      sender: { type: "string" },
      "date-order": { type: "string", default: "auto" },
      context: { type: "string", default: "2" },
      db: { type: "string" },
      dimension: { type: "string" },
      min: { type: "string" },
      max: { type: "string" },
      model: { type: "string" },
      limit: { type: "string" },
      threads: { type: "string" },
    },
  });
  switch (source) {
    case "export": {
      const dir = resolve(values.out ?? join(ROOT, "data", "personas", "messages"));
      mkdirSync(dir, { recursive: true });
      for (const d of DIMENSIONS) {
        const items = loadContrastItems(DATA_DIR, d);
        for (const pole of ["low", "neutral", "high"] as const) writeMessagesJsonl(join(dir, `${d}-${pole}.jsonl`), items.map((i) => contrastExample(i, pole)));
        out(`${d}: ${items.length} items x 3 poles`);
      }
      for (const d of EXPERTS) {
        const items = loadQaItems(DATA_DIR, d);
        writeMessagesJsonl(join(dir, `${d}.jsonl`), items.map(qaExample));
        out(`${d}: ${items.length} Q&A`);
      }
      out(`messages JSONL in ${dir}`);
      return 0;
    }
    case "whatsapp": {
      const file = positionals[0];
      if (!file || !values.sender) throw new Error("usage: persona data whatsapp FILE --sender NAME [--date-order dmy|mdy] [--out FILE]");
      const order = values["date-order"] as DateOrder;
      if (!["auto", "dmy", "mdy"].includes(order)) throw new Error(`--date-order must be dmy, mdy or auto, not ${order}`);
      const { examples, report } = whatsappToMessages(readFileSync(file, "utf8"), { sender: values.sender, dateOrder: order, contextTurns: Number(values.context) });
      out(`validate: ${report.lines} lines, date order ${report.dateOrder}; ${counts("kinds", report.kinds)}`);
      out(counts("fix", report.fixes));
      out(counts("clean (dropped)", report.dropped));
      out(`pairs: ${report.pairs} (replies by ${values.sender})`);
      writeJsonl(values.out, examples, out);
      return 0;
    }
    case "from-turns": {
      const store = new TurnLogStore(values.db ?? defaultDataFile("turns.db"));
      try {
        const { examples, skipped } = store.exportMessages({
          ...(values.dimension ? { dimension: values.dimension } : {}),
          ...(values.min ? { min: Number(values.min) } : {}),
          ...(values.max ? { max: Number(values.max) } : {}),
        });
        out(`turns: ${store.count()}, exported ${examples.length}; ${counts("skipped", skipped)}`);
        writeJsonl(values.out, examples, out);
      } finally {
        store.close();
      }
      return 0;
    }
    case "synth": {
      const target = parseTrainTarget(positionals[0] ?? "");
      if (target.kind !== "dimension") throw new Error("synthetic data is generated per dimension (its two poles)");
      if (!values.model) throw new Error("--model GGUF is required (the local base model)");
      const spec = parseYaml(readFileSync(join(ROOT, "configs", "personas", "teaching_assistant.yaml"), "utf8")) as {
        dimensions: Record<string, { high: string; low: string }>;
        generation: { forbiddenPhrases: string[] };
      };
      const poles = spec.dimensions[target.name]!;
      const items = loadContrastItems(DATA_DIR, target.name).slice(0, values.limit ? Number(values.limit) : undefined);
      const generator = await LlamaReplyGenerator.load({ modelPath: values.model, ...(values.threads ? { threads: Number(values.threads) } : {}) });
      const embedder = await createEmbedder({ kind: "glove" }).catch(() => createEmbedder({ kind: "ngram" }));
      try {
        const { pairs, report } = await generateSynthetic(generator, { items, poles, forbiddenPhrases: spec.generation.forbiddenPhrases, embedder });
        out(`generated ${report.generated}, kept ${report.kept}; ${counts("dropped", report.dropped)}`);
        const examples = pairs.map((p) => ({ messages: [{ role: "system" as const, content: `persona ${target.name}: ${p.pole}` }, { role: "user" as const, content: p.situation }, { role: "assistant" as const, content: p.reply }] }));
        writeJsonl(values.out, examples, out);
      } finally {
        await generator.close();
        await embedder.close();
      }
      return 0;
    }
    default:
      throw new Error("persona data export | whatsapp | from-turns | synth");
  }
}

function progressReporter(out: Out): { onEvent: (event: TrainEvent) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: "{run} epoch {epoch}/{epochs} [{bar}] {value}/{total} loss {loss}", hideCursor: true, noTTYOutput: false }, cliProgress.Presets.shades_classic);
  let active = false;
  const stop = () => {
    if (active) bar.stop();
    active = false;
  };
  const onEvent = (event: TrainEvent) => {
    if (event.kind === "stage") {
      stop();
      out(event.message);
    } else if (event.kind === "gate-point" || event.kind === "calibration-point") {
      const label = event.kind === "gate-point" ? "scale" : "dev, x";
      out(`  ${label} ${event.point.scale.toFixed(2).padStart(5)}: target NLL ${event.point.target.toFixed(4)}  contrast NLL ${event.point.contrast.toFixed(4)}`);
    } else if (event.progress.phase === "train" && process.stdout.isTTY) {
      const payload = { run: event.run, epoch: event.epoch + 1, epochs: event.epochs, loss: event.progress.loss.toFixed(4) };
      if (!active) {
        bar.start(event.progress.total, event.progress.done, payload);
        active = true;
      }
      bar.setTotal(event.progress.total);
      bar.update(event.progress.done, payload);
    } else if (event.progress.phase === "train" && event.progress.done === event.progress.total) {
      out(`  ${event.run} epoch ${event.epoch + 1}/${event.epochs}: train loss ${event.progress.loss.toFixed(4)}`);
    } else if (event.progress.phase === "val" && event.progress.done === event.progress.total) {
      if (process.stdout.isTTY) stop();
      out(`  ${event.run} epoch ${event.epoch + 1}/${event.epochs}: validation loss ${event.progress.loss.toFixed(4)}`);
    }
  };
  return { onEvent, stop };
}

function describeVerdict(verdict: GateVerdict, out: Out): void {
  out(`gate ${verdict.passed ? "PASSED" : "FAILED"}: target NLL ${(verdict.targetDrop * 100).toFixed(1)}% lower at +1, contrast ${verdict.contrastRise >= 0 ? "+" : ""}${(verdict.contrastRise * 100).toFixed(1)}%, monotone ${verdict.monotone}`);
  for (const f of verdict.failures) out(`  - ${f}`);
}

function trainingFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      base: { type: "string" },
      from: { type: "string" },
      out: { type: "string" },
      adapter: { type: "string" },
      rank: { type: "string" },
      epochs: { type: "string" },
      lr: { type: "string" },
      "lr-min": { type: "string" },
      ctx: { type: "string" },
      "work-dir": { type: "string" },
      threads: { type: "string" },
      extra: { type: "string", multiple: true },
      "extra-high": { type: "string", multiple: true },
      "extra-low": { type: "string", multiple: true },
    },
  });
}

/** `--lr-min`: "none" keeps the rate constant; a number makes it fall exponentially to that over the epochs. */
function rateFloor(value: string | undefined, fallback: number | undefined): number | undefined {
  return value === "none" ? undefined : value !== undefined ? Number(value) : fallback;
}

async function trainCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = trainingFlags(argv);
  // On a machine busy with other work, one thread trains faster than two that wait on each other.
  const THREADS = values.threads ? Number(values.threads) : DEFAULT_THREADS;
  const tools = locateLlamaTools();
  const reporter = progressReporter(out);
  if (positionals[0] === "domain-base") {
    if (!values.from || !values.out) throw new Error("usage: persona train domain-base --from GGUF --out GGUF");
    const result = await trainDomainBase(tools, {
      fromModel: values.from,
      dataDir: DATA_DIR,
      outPath: values.out,
      epochs: Number(values.epochs ?? 3),
      learningRate: Number(values.lr ?? 5e-4),
      learningRateMin: rateFloor(values["lr-min"], 5e-5),
      contextSize: Number(values.ctx ?? 64),
      threads: THREADS,
      onProgress: (epoch, progress) => reporter.onEvent({ kind: "progress", run: "domain base", epoch, epochs: Number(values.epochs ?? 3), progress }),
    });
    reporter.stop();
    out(`domain base: ${result.items} items, ${result.textBytes} bytes, ${result.seconds.toFixed(0)} s, train loss ${result.finalTrainLoss.toFixed(3)}, val loss ${result.finalValLoss?.toFixed(3) ?? "n/a"} (by epoch: ${result.valLossByEpoch.map((l) => l.toFixed(3)).join(", ")}) -> ${values.out}`);
    return 0;
  }
  const target = parseTrainTarget(positionals[0] ?? "");
  if (!values.base) throw new Error("--base GGUF is required (an F32 or F16 model; quantized bases are refused)");
  const result = await trainPersona(tools, {
    target,
    baseModel: resolve(values.base),
    dataDir: DATA_DIR,
    workDir: resolve(values["work-dir"] ?? join(ADAPTERS_DIR, ".work", target.name)),
    adaptersDir: ADAPTERS_DIR,
    registry: new AdapterRegistry(REGISTRY_FILE),
    registryRoot: ROOT,
    threads: THREADS,
    hyperparameters: {
      ...(values.rank ? { rank: Number(values.rank) } : {}),
      ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
      ...(values.lr ? { learningRate: Number(values.lr) } : {}),
      ...(values["lr-min"] ? { learningRateMin: rateFloor(values["lr-min"], undefined) } : {}),
      ...(values.ctx ? { contextSize: Number(values.ctx) } : {}),
    },
    extra: { tagged: values.extra ?? [], high: values["extra-high"] ?? [], low: values["extra-low"] ?? [] },
    onEvent: reporter.onEvent,
  });
  reporter.stop();
  out(counts("data", result.counts));
  out(`scale +1 applies x${result.calibration.scale} of the fine-tunes' difference (chosen on the dev split)`);
  out(`adapter: rank ${result.extraction.rank}, ${result.extraction.bytes} bytes, energy kept ${(result.extraction.energyKept * 100).toFixed(1)}% (mean per matrix ${(result.extraction.meanEnergyKept * 100).toFixed(1)}%), unchanged weights ${result.extraction.unchanged.length}`);
  describeVerdict(result.verdict, out);
  out(result.registered ? `registered ${result.registryName} -> ${result.adapterPath} (${REGISTRY_FILE})` : `not registered; the rejected adapter is ${result.adapterPath}`);
  out(`total ${result.seconds.toFixed(0)} s`);
  return result.registered ? 0 : 3;
}

async function gateCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = trainingFlags(argv);
  const THREADS = values.threads ? Number(values.threads) : DEFAULT_THREADS;
  const target: TrainTarget = parseTrainTarget(positionals[0] ?? "");
  if (!values.base || !values.adapter) throw new Error("usage: persona gate <target> --base GGUF --adapter GGUF");
  const tools = locateLlamaTools();
  const dir = resolve(values["work-dir"] ?? join(ADAPTERS_DIR, ".work", `${target.name}-gate`));
  mkdirSync(dir, { recursive: true });
  const texts = targetTexts(DATA_DIR, target);
  writeFileSync(join(dir, "heldout-target.txt"), texts.heldOutTarget);
  writeFileSync(join(dir, "heldout-contrast.txt"), texts.heldOutContrast);
  const dimension = target.kind === "dimension";
  const curve = await measureCurve(tools, {
    model: resolve(values.base),
    adapter: resolve(values.adapter),
    targetText: join(dir, "heldout-target.txt"),
    contrastText: join(dir, "heldout-contrast.txt"),
    scales: dimension ? DIMENSION_SCALES : EXPERT_SCALES,
    contextSize: Number(values.ctx ?? 32),
    threads: THREADS,
    onPoint: (p) => out(`  scale ${p.scale.toFixed(1).padStart(4)}: target NLL ${p.target.toFixed(4)}  contrast NLL ${p.contrast.toFixed(4)}`),
  });
  const verdict = judgeGate(curve, dimension ? DIMENSION_GATE : EXPERT_GATE);
  describeVerdict(verdict, out);
  return verdict.passed ? 0 : 3;
}

function listCommand(out: Out): number {
  const adapters = new AdapterRegistry(REGISTRY_FILE).read();
  const names = Object.keys(adapters);
  if (names.length === 0) {
    out(`no trained adapters yet (${REGISTRY_FILE}); run: npm run persona -- train <dimension|expert> --base MODEL.gguf`);
    return 0;
  }
  for (const name of names) {
    const a = adapters[name]!;
    out(
      `${name.padEnd(22)} ${a.path}  rank ${a.rank}  ${(a.bytes / 1e6).toFixed(2)} MB  base ${a.base.path}  ` +
        `gate: target -${(a.gate.targetDrop * 100).toFixed(1)}% at +1, contrast ${(a.gate.contrastRise * 100).toFixed(1)}%, monotone ${a.gate.monotone}  ` +
        `data ${Object.entries(a.data).map(([k, v]) => `${k}=${v}`).join(" ")}  sha256 ${a.sha256.slice(0, 12)}`,
    );
  }
  return 0;
}
