/**
 * dialogue: persona-weighted replies from a local LLM whose personality is a runtime blend of LoRA
 * adapters, tuned by parameters while it runs.
 *
 *   services    ~/chat            embodied_assistant/srv/Chat
 *   publishes   ~/reply_stream    std_msgs/msg/String (whole cleaned sentences, for text-to-speech)
 *               ~/persona_state   embodied_assistant/msg/PersonaState (transient_local; on start and every change)
 *               /diagnostics      diagnostic_msgs/msg/DiagnosticArray
 *   calls       <memory_service>  embodied_assistant/srv/Recall (default memory/recall)
 *               <memory_service with recall -> ask>  embodied_assistant/srv/Ask (default memory/ask)
 *
 * Wiring only: spec, blending, routing and contexts live in src/core/persona; prompting,
 * generation, grounding and post-processing in src/core/dialogue.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { Dialogue } from "../core/dialogue/Dialogue.js";
import { DialogueEngine } from "../core/dialogue/DialogueEngine.js";
import { FairTurnQueue } from "../core/dialogue/FairTurnQueue.js";
import { fallbackPersona } from "../core/dialogue/fallbackPersona.js";
import { chatRequestProblem } from "../core/dialogue/chatRequestProblem.js";
import type { AskFn, RecallFn } from "../core/dialogue/grounding.js";
import { createAskRequest, createChatResponse, createRecallRequest, type ChatResponse } from "../core/interfaces/messages.generated.js";
import { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { ModelLock } from "../core/models/ModelLock.js";
import { pullModel } from "../core/models/pullModel.js";
import { DIMENSION_NAMES, EXPERT_NAMES, loadPersonaSpec, type PersonaSpec } from "../core/persona/PersonaSpec.js";
import { packageRoot } from "../core/packageRoot.js";
import type { PersonaWeights } from "../core/persona/types.js";
import type { Graph, GraphNode, ParameterDescriptor, ServiceClient } from "../ros/GraphPort.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { AssistantNode, NodeFactory, NodeStartOptions } from "./types.js";
import { parameterReader } from "./parameterReader.js";

const UNIT = { from: 0, to: 1 } as const;

/** Parameters fixed at start (paths, runtime); the persona spec supplies the tunable defaults. */
const STARTUP_PARAMETERS: readonly ParameterDescriptor[] = [
  { name: "persona_file", type: "string", defaultValue: "configs/personas/teaching_assistant.yaml", readOnly: true, description: "persona spec (YAML); relative paths resolve against the working directory, then the package root" },
  { name: "models_file", type: "string", defaultValue: "configs/models.yaml", readOnly: true, description: "model registry: names used by the persona spec -> GGUF files" },
  { name: "model_path", type: "string", defaultValue: "", readOnly: true, description: "base GGUF; overrides the persona's baseModel; '' uses the persona's. A missing file runs the node model-free (replies from memory, marked model_free)" },
  { name: "auto_download", type: "bool", defaultValue: false, readOnly: true, description: "if true and the base model is missing, pull it from its registry uri at start (sha256 checked); false: never download (a robot in the field never downloads by surprise)" },
  { name: "adapter_dir", type: "string", defaultValue: "", readOnly: true, description: "if set, adapters are <adapter_dir>/persona.<dim>.gguf and expertise.<expert>.gguf, overriding the persona's; missing files are skipped" },
  { name: "gpu", type: "string", defaultValue: "", readOnly: true, allowedValues: ["", "auto", "cuda", "vulkan", "metal", "cpu"], description: "llama.cpp backend; '' uses the persona's runtime.gpu, cpu means no GPU. Jetson: cuda (a CUDA build of node-llama-cpp, see docs/dialogue.md)" },
  { name: "gpu_layers", type: "integer", defaultValue: -1, integerRange: { from: -2, to: 1000 }, readOnly: true, description: "layers offloaded to the GPU: -1 the persona's runtime.gpuLayers, -2 max, else a count" },
  { name: "context_size", type: "integer", defaultValue: 0, integerRange: { from: 0, to: 131_072 }, readOnly: true, description: "tokens per context (KV cache); 0 uses the persona's runtime.contextSize" },
  { name: "threads", type: "integer", defaultValue: -1, integerRange: { from: -1, to: 256 }, readOnly: true, description: "CPU threads; -1 uses the persona's runtime.threads, 0 lets llama.cpp choose" },
  { name: "queue_capacity", type: "integer", defaultValue: 64, integerRange: { from: 1, to: 10_000 }, readOnly: true, description: "most chats waiting; beyond it a chat is refused with a reason" },
];

function tunableParameters(spec: PersonaSpec): ParameterDescriptor[] {
  return [
    ...DIMENSION_NAMES.map((n): ParameterDescriptor => ({ name: `persona.${n}`, type: "double", defaultValue: spec.dimensions[n].weight, floatingPointRange: UNIT, description: `personality dimension ${n} (${spec.dimensions[n].low} at 0 .. ${spec.dimensions[n].high} at 1); applies from the next turn` })),
    ...EXPERT_NAMES.map((n): ParameterDescriptor => ({ name: `expertise.${n}`, type: "double", defaultValue: spec.experts[n].weight, floatingPointRange: UNIT, description: `domain expert ${n}: base weight before routing; applies from the next turn` })),
    { name: "max_tokens", type: "integer", defaultValue: spec.generation.maxTokens, integerRange: { from: 1, to: 1024 }, description: "hard limit of generated tokens per reply (a request's max_tokens, when non-zero, may only lower it)" },
    { name: "json_mode", type: "bool", defaultValue: false, description: "structured output {say, gesture} for every chat (a request can also ask for it)" },
    { name: "routing", type: "bool", defaultValue: spec.routing.enabled, description: "gate domain experts per utterance (keywords + similarity to prototypes)" },
    { name: "temperature", type: "double", defaultValue: spec.generation.temperature, floatingPointRange: { from: 0, to: 2 }, description: "sampling temperature; 0 is greedy" },
    { name: "seed", type: "integer", defaultValue: spec.generation.seed ?? -1, integerRange: { from: -1, to: 2_147_483_647 }, description: "sampling seed for reproducible replies; -1 for a fresh one each turn" },
    { name: "forbidden_phrases", type: "string_array", defaultValue: spec.generation.forbiddenPhrases, description: "removed from every reply and the stream, case-insensitively" },
    { name: "memory_service", type: "string", defaultValue: "memory/recall", description: "Recall service for grounding, relative to this node's namespace; '' disables grounding" },
    { name: "memory_timeout_ms", type: "integer", defaultValue: spec.grounding.timeoutMs, integerRange: { from: 10, to: 60_000 }, description: "how long a turn waits for memory before replying ungrounded" },
    { name: "reply_timeout_ms", type: "integer", defaultValue: 60_000, integerRange: { from: 100, to: 600_000 }, description: "generation is cancelled after this long; the reply keeps its whole sentences and says 'cancelled' in message" },
    { name: "queue_timeout_ms", type: "integer", defaultValue: 30_000, integerRange: { from: 100, to: 600_000 }, description: "longest wait in the chat queue before the chat is refused" },
  ];
}

/** The running node, with the core objects exposed for consoles, benchmarks and tests. */
export interface DialogueNode extends AssistantNode {
  readonly dialogue: Dialogue;
  readonly engine: DialogueEngine | undefined;
  /** The weights the next turn uses. */
  weights(): PersonaWeights;
}

function resolveConfigPath(path: string): string {
  if (path === "" || isAbsolute(path)) return path;
  const fromCwd = resolve(path);
  return existsSync(fromCwd) ? fromCwd : resolve(packageRoot(), path);
}

export async function startDialogueNode(graph: Graph, options: NodeStartOptions = {}): Promise<DialogueNode> {
  const node = graph.createNode(options.name ?? "dialogue", options);
  try {
    return await wireDialogueNode(node);
  } catch (error) {
    // A failed start (a bad persona spec, say) must not leave the name taken on the graph.
    node.destroy();
    throw error;
  }
}

/** auto_download: pull the missing base model from the registry (a failure leaves the node model-free). */
async function autoDownload(node: GraphNode, registry: ModelRegistry, reference: string, modelPath: string): Promise<void> {
  const entry = registry.entry(reference) ?? registry.modelAt(modelPath);
  if (!entry?.uri) {
    node.logger.warn(`auto_download: ${modelPath} has no registry entry with a uri; nothing to pull`);
    return;
  }
  node.logger.info(`auto_download: pulling ${entry.name} from ${entry.uri}`);
  try {
    const r = await pullModel(entry, { lock: ModelLock.read(registry.lockPath), ...(registry.endpoints.huggingFace ? { hfEndpoint: registry.endpoints.huggingFace } : {}) });
    node.logger.info(`auto_download: ${entry.name} ready (${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(1)} s, sha256 ${r.checkedAgainst})`);
  } catch (error) {
    node.logger.error(`auto_download: ${(error as Error).message}`);
  }
}

async function wireDialogueNode(node: GraphNode): Promise<DialogueNode> {
  for (const descriptor of STARTUP_PARAMETERS) node.declareParameter(descriptor);
  const { num, str, bool, strs } = parameterReader(node);

  // ---- persona spec, registry, model ----
  // A persona or registry file that cannot be used must not stop the node (nor, in `assistant`, the
  // others): it runs model-free with a neutral built-in persona and reports why at ERROR.
  let startProblem = "";
  let spec: PersonaSpec;
  let registry: ModelRegistry;
  try {
    spec = loadPersonaSpec(resolveConfigPath(str("persona_file")));
    const modelsFile = resolveConfigPath(str("models_file"));
    registry = existsSync(modelsFile) ? ModelRegistry.load(modelsFile) : ModelRegistry.empty(packageRoot());
  } catch (error) {
    startProblem = error instanceof Error ? error.message : String(error);
    node.logger.error(`${startProblem}\nrunning degraded: model-free, with a neutral built-in persona`);
    spec = fallbackPersona();
    registry = ModelRegistry.empty(packageRoot());
  }
  for (const descriptor of tunableParameters(spec)) node.declareParameter(descriptor);
  const runtime = {
    ...spec.runtime,
    ...(str("gpu") !== "" ? { gpu: str("gpu") === "cpu" ? (false as const) : (str("gpu") as "auto" | "cuda" | "vulkan" | "metal") } : {}),
    ...(num("gpu_layers") !== -1 ? { gpuLayers: num("gpu_layers") === -2 ? ("max" as const) : num("gpu_layers") } : {}),
    ...(num("context_size") > 0 ? { contextSize: num("context_size") } : {}),
    ...(num("threads") >= 0 ? { threads: num("threads") } : {}),
  };
  const adapterFiles: Record<string, string | undefined> = {};
  const adapterDir = str("adapter_dir");
  for (const [kind, names] of [["persona", DIMENSION_NAMES], ["expertise", EXPERT_NAMES]] as const) {
    for (const n of names) {
      const ref = kind === "persona" ? spec.dimensions[n as (typeof DIMENSION_NAMES)[number]].adapter : spec.experts[n as (typeof EXPERT_NAMES)[number]].adapter;
      const path = adapterDir ? join(resolveConfigPath(adapterDir), `${kind}.${n}.gguf`) : ref ? registry.resolveAdapter(ref) : "";
      if (path && existsSync(path)) adapterFiles[`${kind}.${n}`] = path;
    }
  }
  const modelPath = startProblem !== "" ? "" : str("model_path") ? resolveConfigPath(str("model_path")) : registry.resolveModel(spec.baseModel);
  let engine: DialogueEngine | undefined;
  let modelProblem = "";
  if (modelPath && !existsSync(modelPath) && bool("auto_download")) await autoDownload(node, registry, spec.baseModel, modelPath);
  const counters = { turns: 0, failed: 0, rejectedRequests: 0, ungrounded: 0, rejectedParameters: 0, backgroundErrors: 0, removedPhrases: 0, cancelled: 0 };
  if (modelPath && existsSync(modelPath)) {
    try {
      engine = await DialogueEngine.open({ modelPath, runtime, onBackgroundError: (error) => {
        counters.backgroundErrors++;
        node.logger.error({ err: error }, "building a persona context in the background failed; the next turn builds it again");
      } });
    } catch (error) {
      modelProblem = error instanceof Error ? error.message : String(error);
      node.logger.error(modelProblem + "; running model-free");
    }
  } else {
    modelProblem = startProblem !== "" ? `degraded: ${startProblem}` : modelPath ? `model file ${modelPath} does not exist` : "no model configured";
    node.logger.warn(`${modelProblem}: running model-free (replies from memory, marked model_free); set model_path or configs/models.yaml`);
  }
  const rejectedAdapters: string[] = [];
  for (const [name, path] of Object.entries(adapterFiles)) {
    const problem = path ? await engine?.checkAdapter(path) : undefined;
    if (problem) {
      delete adapterFiles[name];
      rejectedAdapters.push(name);
      node.logger.error(`adapter ${name} (${path}) is unusable and is skipped: ${problem}`);
    }
  }
  node.logger.info({ model: engine ? modelPath : "", template: engine?.chatTemplate, adapters: Object.keys(adapterFiles) }, "dialogue ready");

  // ---- memory client: memory_service is read per turn, so a set applies from the next one ----
  const recallClients = new Map<string, ServiceClient<"embodied_assistant/srv/Recall">>();
  const recall: RecallFn = async (query, k) => {
    const service = str("memory_service");
    if (service === "") throw new Error("no memory service configured (memory_service is '')");
    let client = recallClients.get(service);
    if (client === undefined) {
      client = node.createClient("embodied_assistant/srv/Recall", service);
      recallClients.set(service, client);
    }
    const r = await client.call({ ...createRecallRequest(), query, k }, { timeoutMs: num("memory_timeout_ms") });
    if (!r.success) throw new Error(`memory refused: ${r.message}`);
    return { episodes: r.episodes, scores: r.scores };
  };

  // Ask lives next to Recall (memory/ask beside memory/recall): its typed answers make model-free
  // replies answer memory questions, and refuse plainly what needs the model. Derived per turn from
  // memory_service, like recall; a failed ask falls back to the recall reply.
  const askClients = new Map<string, ServiceClient<"embodied_assistant/srv/Ask">>();
  const ask: AskFn = async (question) => {
    const service = str("memory_service");
    const askService = service.replace(/recall$/, "ask");
    if (service === "" || askService === service) throw new Error(`no ask service beside memory_service '${service}'`);
    let client = askClients.get(askService);
    if (client === undefined) {
      client = node.createClient("embodied_assistant/srv/Ask", askService);
      askClients.set(askService, client);
    }
    const r = await client.call({ ...createAskRequest(), question }, { timeoutMs: num("memory_timeout_ms") });
    if (!r.success) throw new Error(`memory refused: ${r.message}`);
    return r;
  };

  const dialogue = new Dialogue({ spec, adapterFiles, ...(engine ? { engine } : {}), recall, ask });
  /** Turns being generated, cancelled on reply timeout or when the node closes. */
  const inFlight = new Set<AbortController>();
  // queue_capacity is read-only; queue_timeout_ms is passed per chat, so a set applies from the next one.
  const queue = new FairTurnQueue({ capacity: num("queue_capacity") });
  const readWeights = (): PersonaWeights => ({
    dimensions: Object.fromEntries(DIMENSION_NAMES.map((n) => [n, num(`persona.${n}`)])) as PersonaWeights["dimensions"],
    experts: Object.fromEntries(EXPERT_NAMES.map((n) => [n, num(`expertise.${n}`)])) as PersonaWeights["experts"],
  });

  // ---- publishers ----
  const replyStream = node.createPublisher("std_msgs/msg/String", "~/reply_stream", 100);
  const personaState = node.createPublisher("embodied_assistant/msg/PersonaState", "~/persona_state", { depth: 1, durability: "transient_local" });

  // ---- services ----
  node.createService("embodied_assistant/srv/Chat", "~/chat", async (request): Promise<ChatResponse> => {
    const failed = (message: string): ChatResponse => ({ ...createChatResponse(), success: false, message });
    const problem = chatRequestProblem(request);
    if (problem !== undefined) {
      counters.rejectedRequests++;
      return failed(problem);
    }
    try {
      return await queue.run(request.session_id || "default", async () => {
        // Weights are read when the turn starts: a parameter set during a reply applies to the next one.
        const weights = readWeights();
        const limit = num("max_tokens");
        const seed = num("seed");
        const cancel = new AbortController();
        inFlight.add(cancel);
        const timer = setTimeout(() => cancel.abort(new Error("reply_timeout_ms reached")), num("reply_timeout_ms"));
        const turn = await dialogue.turn({
          sessionId: request.session_id || "default",
          text: request.text,
          weights,
          jsonMode: request.json_mode || bool("json_mode"),
          maxTokens: request.max_tokens > 0 ? Math.min(request.max_tokens, limit) : limit,
          routing: bool("routing"),
          ...(seed >= 0 ? { seed } : {}),
          temperature: num("temperature"),
          groundingTimeoutMs: num("memory_timeout_ms"),
          forbiddenPhrases: strs("forbidden_phrases"),
          onPiece: (piece) => replyStream.publish({ data: piece }),
          signal: cancel.signal,
        }).finally(() => {
          clearTimeout(timer);
          inFlight.delete(cancel);
        });
        counters.turns++;
        counters.removedPhrases += turn.removedPhrases;
        if (!turn.grounded) counters.ungrounded++;
        if (turn.stopReason === "abort") counters.cancelled++;
        const used = Dialogue.flatten(turn.blend.effective);
        return {
          success: true,
          message: turn.notes.join("; "),
          reply: turn.reply,
          gesture: turn.gesture,
          persona_names: used.names,
          persona_weights: used.values,
          routed_experts: [...turn.routing.routed],
          expert_gates: turn.routing.routed.map((n) => turn.routing.gates[n]),
          cited_episodes: [...turn.citedEpisodes],
          grounded: turn.grounded,
          model_free: turn.modelFree,
          first_token_ms: turn.firstTokenMs,
          total_ms: turn.totalMs,
          tokens: turn.tokens,
        };
      }, num("queue_timeout_ms"));
    } catch (error) {
      counters.failed++;
      node.logger.warn({ err: error }, "chat failed");
      return failed(error instanceof Error ? error.message : String(error));
    }
  });

  // ---- timers: diagnostics ----
  const diagnostics = new DiagnosticsUpdater(node, { periodMs: 1000 });
  diagnostics.add("generation", () => {
    const cache = engine?.cacheStats();
    return {
      level: startProblem !== "" ? "error" : engine ? (counters.backgroundErrors > 0 || rejectedAdapters.length > 0 ? "warn" : "ok") : "warn",
      message: engine ? `model loaded (${engine.chatTemplate})` : `model-free: ${modelProblem}`,
      values: {
        turns: counters.turns,
        failed: counters.failed,
        rejected_requests: counters.rejectedRequests,
        ungrounded: counters.ungrounded,
        cancelled: counters.cancelled,
        queue_pending: queue.pending,
        queue_timeouts: queue.timeouts,
        removed_phrases: counters.removedPhrases,
        rejected_parameters: counters.rejectedParameters,
        context_cache_hits: cache?.hits ?? 0,
        context_cache_misses: cache?.misses ?? 0,
        context_cache_size: cache?.size ?? 0,
        adapters_available: Object.keys(adapterFiles).length,
        adapters_rejected: rejectedAdapters.join(",") || "none",
      },
    };
  });

  // ---- callbacks: parameters ----
  const publishPersonaState = () => {
    const weights = readWeights();
    const blend = dialogue.prewarm(weights, bool("routing"));
    personaState.publish({
      header: { stamp: node.now(), frame_id: "" },
      persona_name: spec.name,
      dimension_names: [...DIMENSION_NAMES],
      dimension_weights: DIMENSION_NAMES.map((n) => weights.dimensions[n]),
      expert_names: [...EXPERT_NAMES],
      expert_weights: EXPERT_NAMES.map((n) => weights.experts[n]),
      active_adapters: blend.adapters.map((a) => a.name),
      adapter_scales: blend.adapters.map((a) => a.scale),
      model_path: engine ? modelPath : "",
      model_loaded: engine !== undefined,
    });
  };
  // Ranges and types are checked by the descriptors; this catches what a range cannot say.
  node.addParameterValidator((changes) => {
    for (const change of changes) {
      if (change.name === "forbidden_phrases" && (change.newValue as readonly string[]).some((p) => p.trim() === "")) {
        counters.rejectedParameters++;
        return { successful: false, reason: "forbidden_phrases may not contain an empty phrase" };
      }
    }
    return { successful: true, reason: "" };
  });
  node.onParametersChanged((changes) => {
    // Off the request path: the new persona's context is built now, used from the next turn.
    if (changes.some((c) => c.name.startsWith("persona.") || c.name.startsWith("expertise.") || c.name === "routing")) publishPersonaState();
  });
  publishPersonaState();

  let closed = false;
  return {
    node,
    dialogue,
    engine,
    weights: readWeights,
    async close() {
      if (closed) return;
      closed = true;
      diagnostics.stop();
      queue.rejectWaiting(new Error("the dialogue node is shutting down"));
      for (const turn of inFlight) turn.abort(new Error("node closing"));
      await queue.idle();
      await engine?.close();
      node.destroy();
    },
  };
}

export const createDialogueNode: NodeFactory = startDialogueNode;
