/**
 * The dialogue node's panel of takes: which panel it has (the persona's own, else panel_file's),
 * Chat with perspectives > 0 (one take per chosen member, streamed tagged "[member] ..."), and the
 * ~/classify service (routing alone, nothing generated). Wiring only; the panel is in
 * src/core/persona/panel.
 */
import type { Dialogue } from "../core/dialogue/Dialogue.js";
import type { DialogueEngine } from "../core/dialogue/DialogueEngine.js";
import { chatRequestProblem } from "../core/dialogue/chatRequestProblem.js";
import { GloveEmbedder } from "../core/embedding/GloveEmbedder.js";
import { createChatResponse, createClassifyResponse, type ChatResponse, type PanelTake } from "../core/interfaces/messages.generated.js";
import { PanelOfTakes } from "../core/persona/panel/PanelOfTakes.js";
import type { PanelSpec } from "../core/persona/panel/PanelSpec.js";
import { loadPersonaSpec, type PersonaSpec } from "../core/persona/PersonaSpec.js";
import type { PersonaWeights } from "../core/persona/types.js";
import type { TurnBudget } from "../core/power/turnBudget.js";
import type { GraphNode, Publisher } from "../ros/GraphPort.js";

/**
 * The persona's own panel, else the one panel_file declares. A panel that cannot be read leaves
 * the node without one (Chat with perspectives says why), never stops it.
 */
function loadPanel(spec: PersonaSpec, panelFile: string): { panel?: PanelSpec; problem: string } {
  if (spec.panel) return { panel: spec.panel, problem: "" };
  if (panelFile === "") return { problem: "this persona declares no panel and panel_file is ''" };
  try {
    const panel = loadPersonaSpec(panelFile).panel;
    return panel ? { panel, problem: "" } : { problem: `${panelFile} declares no panel` };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** GloVe when its file is there (nearest members by meaning), else the data-free hashed encoder. */
function panelEncoder(): ((text: string) => Float32Array) | undefined {
  try {
    const glove = GloveEmbedder.load();
    return (text) => glove.embedSync(text);
  } catch {
    return undefined;
  }
}

export interface PanelWiringOptions {
  readonly spec: PersonaSpec;
  readonly adapterFiles: Readonly<Record<string, string | undefined>>;
  readonly engine: DialogueEngine | undefined;
  readonly dialogue: Dialogue;
  /** Resolved path of panel_file ('' for none). */
  readonly panelFile: string;
  readonly replyStream: Publisher<{ data: string }>;
  /** A request refused before routing (counted by the node). */
  readonly onRejected: () => void;
  /** A panel answered (counted by the node as a turn). */
  readonly onTakes: (removedPhrases: number) => void;
}

export interface TakesOptions {
  readonly text: string;
  readonly perspectives: number;
  readonly weights: PersonaWeights;
  readonly budget: TurnBudget;
  readonly temperature: number;
  /** -1 for a fresh one. */
  readonly seed: number;
  readonly forbiddenPhrases: readonly string[];
  readonly signal: AbortSignal;
}

export interface PanelWiring {
  /** Built at first use; undefined when there is no panel. */
  panel(): PanelOfTakes | undefined;
  readonly memberCount: number;
  /** The Chat response of perspectives > 0. */
  takes(options: TakesOptions): Promise<ChatResponse>;
}

export function wireDialoguePanel(node: GraphNode, options: PanelWiringOptions): PanelWiring {
  const { spec, adapterFiles, engine } = options;
  const { panel: panelSpec, problem } = loadPanel(spec, options.panelFile);
  if (problem) node.logger.warn(`no panel of takes: ${problem}`);
  // Built at first use: loading GloVe takes a second or two that a node start need not wait for.
  let built: PanelOfTakes | undefined;
  const panel = (): PanelOfTakes | undefined => {
    if (!panelSpec) return undefined;
    if (!built) {
      const embed = panelEncoder();
      built = new PanelOfTakes({ spec, panel: panelSpec, adapterFiles, ...(engine ? { engine } : {}), ...(embed ? { embed } : {}) });
    }
    return built;
  };

  node.createService("embodied_assistant/srv/Classify", "~/classify", async (request) => {
    const refused = chatRequestProblem({ text: request.text, session_id: "" });
    if (refused !== undefined) {
      options.onRejected();
      return { ...createClassifyResponse(), success: false, message: refused };
    }
    const routing = options.dialogue.route(request.text);
    const chosen = panel()?.classify(request.text, request.perspectives) ?? [];
    return {
      ...createClassifyResponse(),
      success: true,
      message: panelSpec ? "" : `no panel of takes: ${problem}`,
      members: chosen.map((c) => c.member.name),
      scores: chosen.map((c) => c.score),
      matched_by: chosen.map((c) => c.matchedBy),
      matched_keywords: chosen.map((c) => c.keywords.join(",")),
      routed_experts: [...routing.routed],
      expert_gates: routing.routed.map((n) => routing.gates[n]),
    };
  });

  return {
    panel,
    memberCount: panelSpec?.members.length ?? 0,
    async takes(request) {
      const current = panel();
      if (!current) {
        options.onRejected();
        return { ...createChatResponse(), success: false, message: `no panel of takes: ${problem}` };
      }
      const { budget } = request;
      const result = await current.takes({
        problem: request.text,
        perspectives: request.perspectives,
        weights: request.weights,
        maxTokens: budget.maxTokens,
        temperature: request.temperature,
        ...(request.seed >= 0 ? { seed: request.seed } : {}),
        forbiddenPhrases: request.forbiddenPhrases,
        ...(budget.maxAdapters !== undefined ? { maxAdapters: budget.maxAdapters } : {}),
        modelFree: budget.modelFree,
        signal: request.signal,
        onPiece: (member, piece) => options.replyStream.publish({ data: `[${member}] ${piece}` }),
      });
      options.onTakes(result.removedPhrases);
      const takes: PanelTake[] = result.takes.map((t) => ({
        member: t.member,
        take: t.take,
        adapter_names: t.adapters.map((a) => a.name),
        adapter_scales: t.adapters.map((a) => a.scale),
        score: t.score,
        matched_by: t.matchedBy,
        matched_keywords: [...t.keywords],
        tokens: t.tokens,
      }));
      return { ...createChatResponse(), success: true, takes, model_free: result.modelFree, total_ms: result.totalMs, tokens: takes.reduce((n, t) => n + t.tokens, 0) };
    },
  };
}
