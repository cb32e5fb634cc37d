/**
 * memory: the episodic memory (hyperdimensional episodes over text embeddings).
 *
 *   subscribes  /assistant/action_outcomes  embodied_assistant/msg/ActionOutcome (each becomes an episode)
 *   publishes   ~/episodes                  embodied_assistant/msg/Episode (after it is durably stored)
 *               /diagnostics                diagnostic_msgs/msg/DiagnosticArray
 *   services    ~/recall                    embodied_assistant/srv/Recall
 *               ~/remember                  embodied_assistant/srv/Remember
 *               ~/ask                       embodied_assistant/srv/Ask (typed answers to plain questions)
 *               ~/forget                    embodied_assistant/srv/Forget (RAM, file and every index)
 *
 * Wiring only: encoding, storage and queries live in src/core/memory and src/core/embedding.
 * A memory that cannot open (missing model file, a database built with another encoder or
 * dimension) does not crash the node: services answer success=false with the reason and
 * /diagnostics reports an error.
 */
import { createEmbedder, ENCODER_KINDS } from "../core/embedding/createEmbedder.js";
import type { EncoderKind } from "../core/embedding/types.js";
import { outcomeEpisode } from "../core/memory/describeOutcome.js";
import { EpisodeBatcher } from "../core/memory/EpisodeBatcher.js";
import { EpisodicMemory, MAX_K } from "../core/memory/EpisodicMemory.js";
import { sqliteEpisodeStore } from "../core/memory/sqlite/SqliteEpisodeStore.js";
import { failedRecall, recallQuery, recallResponse, rememberInput } from "../core/memory/serviceRequests.js";
import { askQuery, askResponse, failedAsk, forgetResponse, forgetSelector } from "../core/memory/askRequests.js";
import { AskEngine } from "../core/memory/ask/AskEngine.js";
import { isValidTimeZone, systemTimeZone } from "../core/memory/ask/zonedTime.js";
import { timeToSeconds } from "../core/time.js";
import type { ActionOutcome } from "../core/interfaces/messages.generated.js";
import type { Graph, ParameterDescriptor } from "../ros/GraphPort.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { AssistantNode, NodeFactory, NodeStartOptions } from "./types.js";
import { defaultDataFile } from "./dataPaths.js";
import { parameterReader } from "./parameterReader.js";
import { startMemoryFleet } from "./fleetWiring.js";

const PARAMETERS: readonly ParameterDescriptor[] = [
  { name: "dimensions", type: "integer", defaultValue: 10_240, readOnly: true, integerRange: { from: 1024, to: 65_536, step: 32 }, description: "bits per hypervector (a multiple of 32); stored with the memory, which refuses to open with another value" },
  { name: "seed", type: "integer", defaultValue: 0x5eed, readOnly: true, integerRange: { from: 0, to: 2_147_483_647 }, description: "item-memory seed; stored with the memory so vectors are identical across restarts and machines" },
  { name: "encoder", type: "string", defaultValue: "glove", readOnly: true, allowedValues: ENCODER_KINDS, description: "text encoder: glove (GloVe 100d, offline default), onnx (sentence model folder), gguf (llama.cpp embeddings), ngram (no data)" },
  { name: "db_path", type: "string", defaultValue: defaultDataFile("memory.db"), readOnly: true, description: "SQLite file (WAL; default $ROS_HOME/embodied_assistant/memory.db); '' keeps the memory in RAM only (lost on restart)" },
  { name: "glove_path", type: "string", defaultValue: "", readOnly: true, description: "converted GloVe file; '' = models/glove/glove-sg100d-100k.i8.bin (make it with src/cli/convert-glove.ts)" },
  { name: "onnx_model_dir", type: "string", defaultValue: "", readOnly: true, description: "folder with config.json, tokenizer.json and onnx/model.onnx (encoder=onnx)" },
  { name: "gguf_path", type: "string", defaultValue: "", readOnly: true, description: "GGUF model file for embeddings (encoder=gguf)" },
  { name: "code_bits", type: "integer", defaultValue: 256, readOnly: true, integerRange: { from: 64, to: 4096, step: 32 }, description: "bits of the short SimHash code scanned by the free-text prefilter" },
  { name: "candidates", type: "integer", defaultValue: 4000, integerRange: { from: 10, to: 1_000_000 }, description: "prefilter candidates re-ranked per free-text query (more: better recall, slower)" },
  { name: "threshold", type: "double", defaultValue: 0.5, floatingPointRange: { from: 0, to: 1 }, description: "confidence below which recall abstains (answer '' and abstained=true)" },
  { name: "default_k", type: "integer", defaultValue: 5, integerRange: { from: 1, to: MAX_K }, description: "episodes returned when a Recall request has k=0" },
  { name: "time_zone", type: "string", defaultValue: "", description: "IANA time zone that questions to ~/ask are read in ('yesterday', 'at 3 pm'); '' = the system's zone" },
  { name: "ask_threshold", type: "double", defaultValue: 0.5, floatingPointRange: { from: 0, to: 1 }, description: "confidence below which ~/ask abstains (abstained=true, the sentence says it is unsure)" },
  { name: "queue_depth", type: "integer", defaultValue: 1000, readOnly: true, integerRange: { from: 1, to: 1_000_000 }, description: "KEEP_LAST depth of the action-outcome subscription" },
];

/** The running node, with its memory exposed for consoles and tests (undefined when it failed to open). */
export interface MemoryNode extends AssistantNode {
  readonly memory: EpisodicMemory | undefined;
  /** Why the memory is unavailable, '' when it is open. */
  readonly startError: string;
  /** Answers ~/ask; undefined while the memory is unavailable. */
  readonly askEngine: AskEngine | undefined;
  readonly counters: Readonly<MemoryCounters>;
}

interface MemoryCounters {
  outcomesStored: number;
  /** Stored with a field shortened to the memory's limit (the text says so). */
  outcomesTruncated: number;
  outcomesDuplicate: number;
  outcomesFailed: number;
  remembered: number;
  rememberRejected: number;
  recalls: number;
  recallRejected: number;
  abstentions: number;
  lastRecallMs: number;
  asks: number;
  askRejected: number;
  askAbstentions: number;
  lastAskMs: number;
  forgotten: number;
  forgetRejected: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function startMemoryNode(graph: Graph, options: NodeStartOptions = {}): Promise<MemoryNode> {
  const node = graph.createNode(options.name ?? "memory", options);
  for (const descriptor of PARAMETERS) node.declareParameter(descriptor);
  const { num, str } = parameterReader(node);
  const counters: MemoryCounters = {
    outcomesStored: 0, outcomesTruncated: 0, outcomesDuplicate: 0, outcomesFailed: 0, remembered: 0, rememberRejected: 0,
    recalls: 0, recallRejected: 0, abstentions: 0, lastRecallMs: 0,
    asks: 0, askRejected: 0, askAbstentions: 0, lastAskMs: 0, forgotten: 0, forgetRejected: 0,
  };

  // ---- the memory (loads the encoder, opens and restores the database) ----
  let memory: EpisodicMemory | undefined;
  let startError = "";
  try {
    const embedder = await createEmbedder({
      kind: str("encoder") as EncoderKind,
      glovePath: str("glove_path"),
      onnxModelDir: str("onnx_model_dir"),
      ggufPath: str("gguf_path"),
    });
    memory = await EpisodicMemory.open({
      embedder,
      // The node owns the concrete store: a SQLite file, or an in-memory SQLite database for ''.
      store: sqliteEpisodeStore(str("db_path") !== "" ? str("db_path") : ":memory:"),
      dims: num("dimensions"),
      seed: num("seed"),
      codeBits: num("code_bits"),
      candidates: num("candidates"),
      threshold: num("threshold"),
      defaultK: num("default_k"),
      now: () => node.now(),
    });
    node.logger.info({ episodes: memory.size, encoder: embedder.identity, db_path: str("db_path") }, "episodic memory open");
  } catch (error) {
    startError = errorText(error);
    node.logger.error(`episodic memory unavailable: ${startError}`);
  }

  // Outcomes arriving in one burst share a transaction; each is published only after its commit.
  const batcher = memory === undefined ? undefined : new EpisodeBatcher(memory);
  const fleet = startMemoryFleet(node, memory, str("db_path"));

  // ---- publishers ----
  const episodesPublisher = node.createPublisher("embodied_assistant/msg/Episode", "~/episodes", 100);

  // ---- subscriptions ----
  const outcomes = node.createSubscription("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", (outcome) => onOutcome(outcome), {
    depth: num("queue_depth"),
    reliability: "reliable",
  });

  // ---- services ----
  node.createService("embodied_assistant/srv/Recall", "~/recall", fleet.serveRecall(async (req) => {
    if (memory === undefined) return failedRecall(`memory unavailable: ${startError}`);
    const q = recallQuery(req);
    if (!q.ok) {
      counters.recallRejected++;
      return failedRecall(q.message);
    }
    const t0 = performance.now();
    try {
      const result = await memory.recall(q.value);
      counters.recalls++;
      if (result.abstained) counters.abstentions++;
      counters.lastRecallMs = performance.now() - t0;
      return recallResponse(result);
    } catch (error) {
      counters.recallRejected++;
      return failedRecall(errorText(error));
    }
  }));

  node.createService("embodied_assistant/srv/Remember", "~/remember", async (req) => {
    const failed = (message: string) => {
      counters.rememberRejected++;
      return { success: false, message, episode_id: "" };
    };
    if (memory === undefined) return failed(`memory unavailable: ${startError}`);
    const input = rememberInput(req);
    if (!input.ok) return failed(input.message);
    try {
      const [episode] = await memory.remember([input.value]);
      counters.remembered++;
      episodesPublisher.publish(episode!);
      return { success: true, message: "stored", episode_id: episode!.id };
    } catch (error) {
      return failed(errorText(error));
    }
  });

  // ---- Ask and Forget ----
  const zoneOf = () => str("time_zone") || systemTimeZone();
  /** The zone questions are read in: the parameter (or the system's), UTC if the system reports none valid. */
  const askZone = () => (isValidTimeZone(zoneOf()) ? zoneOf() : "UTC");
  node.addParameterValidator((changes) => {
    const zone = changes.find((c) => c.name === "time_zone");
    if (zone !== undefined && zone.newValue !== "" && !isValidTimeZone(String(zone.newValue))) {
      return { successful: false, reason: `time_zone "${String(zone.newValue)}" is not an IANA zone (e.g. Europe/Berlin, America/New_York; '' = system)` };
    }
    return { successful: true, reason: "" };
  });
  const embedder = memory?.options.embedder;
  const ask =
    memory === undefined
      ? undefined
      : new AskEngine(
          memory,
          { timeZone: askZone(), threshold: num("ask_threshold"), now: () => timeToSeconds(node.now()) },
          embedder?.kind === "glove" && embedder.embedSync ? (word) => embedder.embedSync!(word) : undefined,
        );
  node.onParametersChanged(() => {
    if (ask) ask.options = { ...ask.options, timeZone: askZone(), threshold: num("ask_threshold") };
  });

  node.createService("embodied_assistant/srv/Ask", "~/ask", fleet.serveAsk(async (req) => {
    if (memory === undefined || ask === undefined) return failedAsk(`memory unavailable: ${startError}`);
    const q = askQuery(req);
    if (!q.ok) {
      counters.askRejected++;
      return failedAsk(q.message);
    }
    const t0 = performance.now();
    try {
      const answer = await ask.ask(q.value);
      counters.asks++;
      if (answer.abstained) counters.askAbstentions++;
      counters.lastAskMs = performance.now() - t0;
      return askResponse(answer);
    } catch (error) {
      counters.askRejected++;
      return failedAsk(errorText(error));
    }
  }));

  node.createService("embodied_assistant/srv/Forget", "~/forget", async (req) => {
    const failed = (message: string) => {
      counters.forgetRejected++;
      return { success: false, message, episode_ids: [], count: 0 };
    };
    if (memory === undefined || batcher === undefined) return failed(`memory unavailable: ${startError}`);
    const selector = forgetSelector(req);
    if (!selector.ok) return failed(selector.message);
    try {
      // Episodes still being committed must not slip past a forget that was asked after them.
      await batcher.drain();
      const ids = memory.selectForForget(selector.value);
      if (req.dry_run) return forgetResponse(ids, true);
      const gone = memory.forget(ids);
      counters.forgotten += gone.length;
      node.logger.info({ forgotten: gone.length }, "episodes forgotten on request");
      return forgetResponse(gone, false);
    } catch (error) {
      return failed(errorText(error));
    }
  });

  // ---- timers: diagnostics ----
  const diagnostics = new DiagnosticsUpdater(node, { periodMs: 1000 });
  diagnostics.add("episodic memory", () => {
    if (memory === undefined) return { level: "error", message: `unavailable: ${startError}` };
    const stats = memory.stats();
    const failures = counters.outcomesFailed + outcomes.dropped;
    return {
      level: failures > 0 ? "warn" : "ok",
      message: failures > 0 ? `${counters.outcomesFailed} outcomes failed to store, ${outcomes.dropped} dropped by the queue` : `${stats.episodes} episodes`,
      values: {
        episodes: stats.episodes,
        dims: stats.dims,
        code_bits: stats.codeBits,
        encoder: stats.encoder,
        file_bytes: stats.fileBytes,
        outcomes_stored: counters.outcomesStored,
        outcomes_truncated: counters.outcomesTruncated,
        outcomes_duplicate: counters.outcomesDuplicate,
        outcomes_failed: counters.outcomesFailed,
        outcomes_dropped: outcomes.dropped,
        remembered: counters.remembered,
        remember_rejected: counters.rememberRejected,
        recalls: counters.recalls,
        recall_rejected: counters.recallRejected,
        abstentions: counters.abstentions,
        last_recall_ms: counters.lastRecallMs,
        asks: counters.asks,
        ask_rejected: counters.askRejected,
        ask_abstentions: counters.askAbstentions,
        last_ask_ms: counters.lastAskMs,
        forgotten: counters.forgotten,
        forget_rejected: counters.forgetRejected,
      },
    };
  });

  fleet.addDiagnostics(diagnostics);

  // ---- callbacks ----
  async function onOutcome(outcome: ActionOutcome): Promise<void> {
    if (memory === undefined || batcher === undefined) {
      counters.outcomesFailed++;
      return;
    }
    try {
      const { input, truncated } = outcomeEpisode(outcome);
      // One episode per action: a redelivered outcome (same robot and action id) is stored once.
      const id = outcome.action_id !== "" ? `outcome:${outcome.robot_id}/${outcome.action_id}` : "";
      if (id !== "" && (memory.has(id) || batcher.isPending(id))) {
        counters.outcomesDuplicate++;
        return;
      }
      const episode = await batcher.add({ ...input, id, durationS: Math.max(0, Number.isFinite(outcome.duration_s) ? outcome.duration_s : 0) });
      counters.outcomesStored++;
      if (truncated.length > 0) {
        counters.outcomesTruncated++;
        node.logger.info(`action outcome ${id || outcome.action_id} stored with ${truncated.join(", ")} shortened to the memory's field limit`);
      }
      episodesPublisher.publish(episode);
    } catch (error) {
      counters.outcomesFailed++;
      node.logger.warn(`action outcome ${outcome.robot_id}/${outcome.action_id} not stored: ${errorText(error)}`);
    }
  }

  node.onParametersChanged(() => {
    memory?.setTuning({ threshold: num("threshold"), defaultK: num("default_k"), candidates: num("candidates") });
  });

  let closed = false;
  return {
    node,
    get memory() {
      return memory;
    },
    get startError() {
      return startError;
    },
    askEngine: ask,
    counters,
    async close() {
      if (closed) return;
      closed = true;
      diagnostics.stop();
      await batcher?.drain();
      await fleet.close();
      memory?.close();
      await memory?.options.embedder.close();
      node.destroy();
    },
  };
}

export const createMemoryNode: NodeFactory = startMemoryNode;
