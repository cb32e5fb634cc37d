/**
 * dialogue: persona-weighted replies from a local LLM whose personality is a runtime blend of LoRA
 * adapters, tuned by parameters while it runs.
 *
 *   services    ~/chat            embodied_assistant/srv/Chat (perspectives > 0: a panel of takes)
 *               ~/classify        embodied_assistant/srv/Classify (routing alone, nothing generated)
 *   publishes   ~/reply_stream    std_msgs/msg/String (whole cleaned sentences, for text-to-speech)
 *               ~/persona_state   embodied_assistant/msg/PersonaState (transient_local; on start and every change)
 *               /diagnostics      diagnostic_msgs/msg/DiagnosticArray
 *   subscribes  <power.battery_topic> sensor_msgs/msg/BatteryState (when set; '' = mains power)
 *   calls       <memory_service>  embodied_assistant/srv/Recall (default memory/recall)
 *               <memory_service with recall -> ask>  embodied_assistant/srv/Ask (default memory/ask)
 *
 * Wiring only: spec, blending, routing and contexts live in src/core/persona; prompting,
 * generation, grounding and post-processing in src/core/dialogue.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { Dialogue } from "../core/dialogue/Dialogue.js";
import { DialogueEngine } from "../core/dialogue/DialogueEngine.js";
import { FairTurnQueue } from "../core/dialogue/FairTurnQueue.js";
import { fallbackPersona } from "../core/dialogue/fallbackPersona.js";
import { chatRequestProblem } from "../core/dialogue/chatRequestProblem.js";
import type { AskFn, RecallFn } from "../core/dialogue/grounding.js";
import { createAskRequest, createChatResponse, createPersonaState, createRecallRequest, type ChatResponse, type ServiceTypeName } from "../core/interfaces/messages.generated.js";
import type { PanelOfTakes } from "../core/persona/panel/PanelOfTakes.js";
import { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { ModelLock } from "../core/models/ModelLock.js";
import { pullModel } from "../core/models/pullModel.js";
import { DIMENSION_NAMES, EXPERT_NAMES, loadPersonaSpec, type PersonaSpec } from "../core/persona/PersonaSpec.js";
import { isSlotKey, PERSONA_SLOTS, weightsFrom } from "../core/persona/personaSlots.js";
import { resolveAdapterFiles } from "../core/persona/resolveAdapterFiles.js";
import type { BakeCatalog } from "../core/persona/bake/BakeCatalog.js";
import type { BackgroundBaker } from "../core/persona/bake/BackgroundBaker.js";
import { startDialogueBakes } from "./dialogueBakes.js";
import { packageRoot } from "../core/packageRoot.js";
import type { PersonaWeights } from "../core/persona/types.js";
import type { Graph, GraphNode, ParameterDescriptor, ServiceClient } from "../ros/GraphPort.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { AssistantNode, NodeFactory, NodeStartOptions } from "./types.js";
import { parameterReader } from "./parameterReader.js";
import { startPowerAwareness, type PowerAwareness } from "./powerAwareness.js";
import { wireDialoguePanel } from "./dialoguePanel.js";
import { startDialogueTurnLog } from "./dialogueTurnLog.js";
import { defaultDataFile } from "./dataPaths.js";

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
  { name: "queue_capacity", type: "integer", defaultValue: 64, integerRange: { from: 1, to: 10_000 }, readOnly: true, description: "most chats waiting (one session: a quarter of it); beyond it a chat is refused with a reason" },
  { name: "panel_file", type: "string", defaultValue: "configs/personas/hamster_panel.yaml", readOnly: true, description: "persona YAML whose panel: section answers Chat with perspectives > 0 when the persona declares no panel of its own; '' for none" },
  { name: "turn_log_path", type: "string", defaultValue: defaultDataFile("turns.db"), readOnly: true, description: "SQLite file log_turns writes each turn to (default $ROS_HOME/embodied_assistant/turns.db, where 'npm run persona -- data from-turns' reads); created at the first logged turn" },
  { name: "bake_idle_ms", type: "integer", defaultValue: 3000, integerRange: { from: 0, to: 3_600_000 }, readOnly: true, description: "bake_on_idle: how long the weights must rest before a background bake starts" },
];

function tunableParameters(spec: PersonaSpec): ParameterDescriptor[] {
  return [
    ...PERSONA_SLOTS.map((slot): ParameterDescriptor => ({
      name: slot.key,
      type: "double",
      defaultValue: slot.group === "dimensions" ? spec.dimensions[slot.name].weight : spec.experts[slot.name].weight,
      floatingPointRange: UNIT,
      description: slot.group === "dimensions"
        ? `personality dimension ${slot.name} (${spec.dimensions[slot.name].low} at 0 .. ${spec.dimensions[slot.name].high} at 1); applies from the next turn`
        : `domain expert ${slot.name}: base weight before routing; applies from the next turn`,
    })),
    { name: "bake_on_idle", type: "bool", defaultValue: false, description: "when the weights change and no registered bake matches them, bake them in the background (linear, into the registry's bakes folder) once they rest bake_idle_ms; the bake replaces the runtime blend from the next turn after it finishes" },
    { name: "max_tokens", type: "integer", defaultValue: spec.generation.maxTokens, integerRange: { from: 1, to: 1024 }, description: "hard limit of generated tokens per reply (a request's max_tokens, when non-zero, may only lower it)" },
    { name: "log_turns", type: "bool", defaultValue: false, description: "store each chat turn (text, reply, persona mix) in turn_log_path as training data for the persona workshop; read per turn" },
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
  /** Power mode, load and the background-work gate (bakes, training and exports ask it). */
  readonly power: PowerAwareness;
  /** The panel of takes (built at its first use); undefined when neither the persona nor panel_file declares one. */
  panel(): PanelOfTakes | undefined;
  /** The registered bakes this node can run (undefined until they are read, or model-free). */
  bakes(): BakeCatalog | undefined;
  readonly baker: BackgroundBaker;
}

export interface DialogueStartOptions extends NodeStartOptions {
  /** The gate of heavy background work (bakes): default, the node's own power gate (mains power or charging). */
  readonly mayRunBackgroundWork?: () => boolean;
}

function resolveConfigPath(path: string): string {
  if (path === "" || isAbsolute(path)) return path;
  const fromCwd = resolve(path);
  return existsSync(fromCwd) ? fromCwd : resolve(packageRoot(), path);
}

export async function startDialogueNode(graph: Graph, options: DialogueStartOptions = {}): Promise<DialogueNode> {
  const node = graph.createNode(options.name ?? "dialogue", options);
  try {
    return await wireDialogueNode(node, options);
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

async function wireDialogueNode(node: GraphNode, options: DialogueStartOptions): Promise<DialogueNode> {
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
  const adapterFiles: Record<string, string | undefined> = resolveAdapterFiles(spec, registry, str("adapter_dir") && resolveConfigPath(str("adapter_dir")));
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

  // ---- memory clients: memory_service is read per turn, so a set applies from the next one ----
  /** One client per (type, service name), made at first use: a changed memory_service gets its own. */
  const clientsByName = new Map<string, ServiceClient<ServiceTypeName>>();
  const clientFor = <T extends ServiceTypeName>(type: T, service: string): ServiceClient<T> => {
    const key = `${type} ${service}`;
    let client = clientsByName.get(key) as ServiceClient<T> | undefined;
    if (client === undefined) {
      client = node.createClient(type, service);
      clientsByName.set(key, client as unknown as ServiceClient<ServiceTypeName>);
    }
    return client;
  };
  const recall: RecallFn = async (query, k) => {
    const service = str("memory_service");
    if (service === "") throw new Error("no memory service configured (memory_service is '')");
    const r = await clientFor("embodied_assistant/srv/Recall", service).call({ ...createRecallRequest(), query, k }, { timeoutMs: num("memory_timeout_ms") });
    if (!r.success) throw new Error(`memory refused: ${r.message}`);
    return { episodes: r.episodes, scores: r.scores };
  };

  // Ask lives next to Recall (memory/ask beside memory/recall): its typed answers make model-free
  // replies answer memory questions, and refuse plainly what needs the model. Derived per turn from
  // memory_service, like recall; a failed ask falls back to the recall reply.
  const ask: AskFn = async (question) => {
    const service = str("memory_service");
    const askService = service.replace(/recall$/, "ask");
    if (service === "" || askService === service) throw new Error(`no ask service beside memory_service '${service}'`);
    const r = await clientFor("embodied_assistant/srv/Ask", askService).call({ ...createAskRequest(), question }, { timeoutMs: num("memory_timeout_ms") });
    if (!r.success) throw new Error(`memory refused: ${r.message}`);
    return r;
  };

  // A change of power mode shows in ~/persona_state (publishPersonaState is defined below; no change comes before it is).
  const power = startPowerAwareness(node, { onChange: () => publishPersonaState() });
  // ---- bakes: a registered bake that equals a turn's blend runs it; bake_on_idle makes new ones ----
  const bakes = startDialogueBakes({
    node,
    engine,
    registry,
    personaName: spec.name,
    modelPath,
    baseReference: str("model_path") ? "" : spec.baseModel,
    adapterFiles,
    ...(runtime.threads > 0 ? { threads: runtime.threads } : {}),
    idleMs: num("bake_idle_ms"),
    bakeOnIdle: () => bool("bake_on_idle"),
    // Bakes are heavy: only on mains power or while charging, unless the caller decides.
    mayRunBackgroundWork: options.mayRunBackgroundWork ?? (() => power.gate.check().open),
    onStateChange: () => publishPersonaState(),
    onCatalogReady: () => weightsChanged(),
  });
  const dialogue = new Dialogue({ spec, adapterFiles, ...(engine ? { engine } : {}), recall, ask, bakedModel: bakes.matcher });
  /** Turns being generated, cancelled on reply timeout or when the node closes. */
  const inFlight = new Set<AbortController>();
  // queue_capacity is read-only; queue_timeout_ms is passed per chat, so a set applies from the next one.
  const queue = new FairTurnQueue({ capacity: num("queue_capacity") });
  const readWeights = (): PersonaWeights => weightsFrom((key) => num(key));
  const turnLog = startDialogueTurnLog(node, str("turn_log_path"), () => bool("log_turns"));

  // ---- publishers ----
  const replyStream = node.createPublisher("std_msgs/msg/String", "~/reply_stream", 100);
  const personaState = node.createPublisher("embodied_assistant/msg/PersonaState", "~/persona_state", { depth: 1, durability: "transient_local" });

  // ---- services ----
  // ~/classify, and the takes of Chat with perspectives > 0.
  const panel = wireDialoguePanel(node, {
    spec, adapterFiles, engine, dialogue, replyStream,
    panelFile: str("panel_file") && resolveConfigPath(str("panel_file")),
    onRejected: () => void counters.rejectedRequests++,
    onTakes: (removed) => {
      counters.turns++;
      counters.removedPhrases += removed;
    },
  });
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
        const mode = power.decision();
        const budget = power.budget({ maxTokens: request.max_tokens > 0 ? Math.min(request.max_tokens, limit) : limit, routing: bool("routing") });
        const powerFields = { power_mode: mode.mode, power_reason: mode.reason };
        const powerNote = mode.mode === "full" ? [] : [`power ${mode.mode}: ${mode.reason}`];
        if (request.perspectives > 0) {
          try {
            const takes = await panel.takes({ text: request.text, perspectives: request.perspectives, weights, budget, temperature: num("temperature"), seed, forbiddenPhrases: strs("forbidden_phrases"), signal: cancel.signal });
            return { ...takes, ...powerFields, message: [...powerNote, takes.message].filter(Boolean).join("; ") };
          } finally {
            clearTimeout(timer);
            inFlight.delete(cancel);
          }
        }
        const turn = await dialogue.turn({
          sessionId: request.session_id,
          text: request.text,
          weights,
          jsonMode: request.json_mode || bool("json_mode"),
          maxTokens: budget.maxTokens,
          routing: budget.routing,
          ...(budget.maxAdapters !== undefined ? { maxAdapters: budget.maxAdapters } : {}),
          modelFree: budget.modelFree,
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
        turnLog.record({ user: request.text, reply: turn.reply, weights, modelFree: turn.modelFree });
        const used = Dialogue.flatten(turn.blend.effective);
        return {
          ...createChatResponse(),
          success: true,
          message: [...powerNote, ...turn.notes].join("; "),
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
          active_adapters: turn.blend.adapters.map((a) => a.name),
          adapter_scales: turn.blend.adapters.map((a) => a.scale),
          ...powerFields,
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
        panel_members: panel.memberCount,
        ...bakes.diagnosticValues(),
        ...turnLog.diagnosticValues(),
      },
    };
  });
  diagnostics.add("power", () => power.diagnostic());

  // ---- callbacks: parameters ----
  /** Publishes what the next turn uses; returns its blend (with the bake standing in, if any). */
  const publishPersonaState = () => {
    const weights = readWeights();
    const mode = power.decision();
    const budget = power.budget({ maxTokens: num("max_tokens"), routing: bool("routing") });
    const blend = budget.modelFree ? undefined : dialogue.prewarm(weights, budget.routing, budget.maxAdapters);
    const active = blend?.adapters ?? [];
    personaState.publish({
      ...createPersonaState(),
      header: { stamp: node.now(), frame_id: "" },
      persona_name: spec.name,
      dimension_names: [...DIMENSION_NAMES],
      dimension_weights: DIMENSION_NAMES.map((n) => weights.dimensions[n]),
      expert_names: [...EXPERT_NAMES],
      expert_weights: EXPERT_NAMES.map((n) => weights.experts[n]),
      active_adapters: active.map((a) => a.name),
      adapter_scales: active.map((a) => a.scale),
      model_path: engine ? modelPath : "",
      model_loaded: engine !== undefined,
      power_mode: mode.mode,
      power_reason: mode.reason,
      baked_model: blend?.bakedModel ?? "",
      bake_status: bakes.status(),
    });
    return blend;
  };
  /** After a change of weights: publish, and with bake_on_idle bake a mix that no bake matches. */
  const weightsChanged = () => {
    bakes.refresh();
    const blend = publishPersonaState();
    if (blend) bakes.consider(blend, readWeights());
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
    if (changes.some((c) => isSlotKey(c.name) || c.name === "routing" || c.name === "bake_on_idle" || c.name.startsWith("power.reduced_"))) weightsChanged();
  });
  publishPersonaState();

  let closed = false;
  return {
    node,
    dialogue,
    engine,
    weights: readWeights,
    power,
    panel: panel.panel,
    bakes: bakes.catalog,
    baker: bakes.baker,
    async close() {
      if (closed) return;
      closed = true;
      diagnostics.stop();
      power.close();
      await bakes.close();
      queue.rejectWaiting(new Error("the dialogue node is shutting down"));
      for (const turn of inFlight) turn.abort(new Error("node closing"));
      await queue.idle();
      await engine?.close();
      turnLog.close();
      node.destroy();
    },
  };
}

export const createDialogueNode: NodeFactory = startDialogueNode;
