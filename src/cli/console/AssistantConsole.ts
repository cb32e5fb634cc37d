import {
  createAskRequest,
  createChatRequest,
  createExportLogRequest,
  createGetActionStatsRequest,
  createRecallRequest,
  createRememberRequest,
  type DiagnosticMsgsDiagnosticArray,
} from "../../core/interfaces/messages.generated.js";
import type { GraphNode, ParameterValue, ServiceClient } from "../../ros/GraphPort.js";
import type { InProcessGraph } from "../../ros/inprocess/InProcessGraph.js";
import { parseParameterLiteral } from "../../ros/rosArgs.js";
import { CONSOLE_HELP, type ConsoleCommand } from "./parseCommand.js";

const LEVELS = ["OK", "WARN", "ERROR", "STALE"];

export interface AssistantConsoleOptions {
  /** Namespace the assistant's nodes run in (default "/"). */
  readonly namespace?: string;
  /** Service call timeout (default 30 s: a chat on a CPU model can take a while). */
  readonly timeoutMs?: number;
  readonly print: (line: string) => void;
}

/**
 * Runs console commands against the assistant's nodes through the graph, the way a
 * ROS user would with `ros2 service call` and `ros2 param set`.
 */
export class AssistantConsole {
  private readonly chat: ServiceClient<"embodied_assistant/srv/Chat">;
  private readonly recall: ServiceClient<"embodied_assistant/srv/Recall">;
  private readonly remember: ServiceClient<"embodied_assistant/srv/Remember">;
  private readonly ask: ServiceClient<"embodied_assistant/srv/Ask">;
  private readonly stats: ServiceClient<"embodied_assistant/srv/GetActionStats">;
  private readonly exporter: ServiceClient<"embodied_assistant/srv/ExportLog">;
  private readonly diagnostics = new Map<string, DiagnosticMsgsDiagnosticArray["status"][number]>();
  private diagnosticsReceived = 0;
  private readonly namespace: string;
  private readonly timeoutMs: number;
  /** Where output lines go; a scripted session may redirect it to capture them. */
  print: (line: string) => void;

  constructor(
    private readonly graph: InProcessGraph,
    private readonly node: GraphNode,
    options: AssistantConsoleOptions,
  ) {
    this.namespace = options.namespace && options.namespace !== "/" ? options.namespace : "";
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.print = options.print;
    const name = (node: string, service: string) => `${this.namespace}/${node}/${service}`;
    this.chat = node.createClient("embodied_assistant/srv/Chat", name("dialogue", "chat"));
    this.recall = node.createClient("embodied_assistant/srv/Recall", name("memory", "recall"));
    this.remember = node.createClient("embodied_assistant/srv/Remember", name("memory", "remember"));
    this.ask = node.createClient("embodied_assistant/srv/Ask", name("memory", "ask"));
    this.stats = node.createClient("embodied_assistant/srv/GetActionStats", name("action_log", "get_stats"));
    this.exporter = node.createClient("embodied_assistant/srv/ExportLog", name("action_log", "export"));
    node.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (array) => {
      for (const status of array.status) this.diagnostics.set(status.name, status);
      this.diagnosticsReceived++;
    }, 50);
  }

  /** Runs one command; returns false when the console should quit. Never throws. */
  async run(command: ConsoleCommand): Promise<boolean> {
    try {
      return await this.dispatch(command);
    } catch (error) {
      this.print(`error: ${error instanceof Error ? error.message : String(error)}`);
      return true;
    }
  }

  private async dispatch(command: ConsoleCommand): Promise<boolean> {
    const options = { timeoutMs: this.timeoutMs };
    switch (command.kind) {
      case "quit":
        return false;
      case "help":
        this.print(CONSOLE_HELP);
        return true;
      case "error":
        this.print(command.message);
        return true;
      case "chat": {
        const r = await this.chat.call({ ...createChatRequest(), session_id: "console", text: command.text, json_mode: command.json }, options);
        if (!r.success) {
          this.print(`assistant could not answer: ${r.message}`);
          return true;
        }
        const tags = [r.power_mode && r.power_mode !== "full" ? `power ${r.power_mode}: ${r.power_reason}` : "", r.model_free ? "model-free" : "", r.grounded ? `cites ${r.cited_episodes.join(", ") || "nothing"}` : "ungrounded", r.routed_experts.length ? `experts ${r.routed_experts.join(", ")}` : ""].filter(Boolean);
        this.print(`assistant: ${r.reply}${r.gesture ? ` [gesture: ${r.gesture}]` : ""}`);
        this.print(`  (${tags.join("; ")}; ${r.tokens} tokens in ${r.total_ms.toFixed(0)} ms)`);
        const persona = r.persona_names.map((name, i) => `${name}=${(r.persona_weights[i] ?? 0).toFixed(2)}`);
        if (persona.length > 0) this.print(`  persona: ${persona.join(" ")}`);
        return true;
      }
      case "panel": {
        const r = await this.chat.call({ ...createChatRequest(), session_id: "console", text: command.text, perspectives: command.perspectives }, options);
        if (!r.success) {
          this.print(`panel could not answer: ${r.message}`);
          return true;
        }
        for (const t of r.takes) {
          const mix = t.adapter_names.map((name, i) => `${name}@${(t.adapter_scales[i] ?? 0).toFixed(2)}`).join(" ");
          this.print(`  [${t.member}] ${t.take}`);
          this.print(`      (${t.matched_by}${t.matched_keywords.length ? `: ${t.matched_keywords.join(", ")}` : ""}; ${t.tokens} tokens; ${mix || "no adapters"})`);
        }
        this.print(`  (${r.takes.length} takes${r.model_free ? ", model-free" : ""}${r.power_mode !== "full" ? `; power ${r.power_mode}` : ""}; ${r.total_ms.toFixed(0)} ms)`);
        return true;
      }
      case "recall": {
        const r = await this.recall.call(
          {
            ...createRecallRequest(),
            query: command.text,
            cue_agent: command.cue["agent"] ?? "",
            cue_action: command.cue["action"] ?? "",
            cue_object: command.cue["object"] ?? "",
            cue_location: command.cue["location"] ?? "",
            cue_result: command.cue["result"] ?? "",
            ask_role: command.askRole,
            k: 5,
          },
          options,
        );
        if (!r.success) {
          this.print(`memory could not answer: ${r.message}`);
          return true;
        }
        if (command.askRole) {
          this.print(r.abstained ? `memory: not sure which ${command.askRole} (confidence ${r.confidence.toFixed(2)})` : `memory: ${command.askRole} = ${r.answer} (confidence ${r.confidence.toFixed(2)})`);
        }
        if (r.episodes.length === 0) this.print("memory: nothing relevant remembered");
        r.episodes.forEach((e, i) => this.print(`  ${(r.scores[i] ?? 0).toFixed(3)}  [${e.id}] ${e.description}`));
        return true;
      }
      case "ask": {
        const r = await this.ask.call({ ...createAskRequest(), question: command.question }, options);
        if (!r.success) {
          this.print(`memory could not answer: ${r.message}`);
          return true;
        }
        this.print(`memory: ${r.answer}`);
        const typed =
          r.kind === "count" ? `count=${r.count}` : r.kind === "yes_no" ? `yes=${r.yes}` : r.kind === "time" ? `stamp=${r.stamp.sec}` : r.kind === "duration" ? `duration_s=${r.duration_s.toFixed(1)}` : r.kind === "entity" ? `entity=${r.entity}` : "";
        this.print(`  (kind ${r.kind}${typed ? `, ${typed}` : ""}; confidence ${r.confidence.toFixed(2)}${r.abstained ? "; abstained" : ""}; evidence ${r.episodes.map((e) => e.id).slice(0, 3).join(", ") || "none"})`);
        return true;
      }
      case "remember": {
        const r = await this.remember.call({ ...createRememberRequest(), text: command.text, agent: "operator" }, options);
        this.print(r.success ? `remembered as ${r.episode_id}` : `memory refused: ${r.message}`);
        return true;
      }
      case "set":
        this.setParameter(command.node, command.name, command.value);
        return true;
      case "params": {
        const target = this.findNode(command.node);
        for (const name of target.listParameters()) {
          const descriptor = target.getParameterDescriptor(name);
          const range = descriptor?.floatingPointRange ?? descriptor?.integerRange;
          this.print(`  ${name} = ${JSON.stringify(target.getParameter(name))}${range ? `  [${range.from}, ${range.to}]` : ""}${descriptor?.readOnly ? "  (read-only)" : ""}`);
        }
        return true;
      }
      case "stats": {
        const r = await this.stats.call({ ...createGetActionStatsRequest(), action: command.action, object: command.object, group_by: command.groupBy }, options);
        if (!r.success) {
          this.print(`action log could not answer: ${r.message}`);
          return true;
        }
        if (r.stats.length === 0) this.print("no outcomes logged yet");
        for (const s of r.stats) {
          const key = [s.robot_id, s.action, s.object].filter(Boolean).join(" / ") || "all";
          this.print(`  ${key.padEnd(34)} n=${String(s.count).padEnd(4)} success ${(s.success_rate * 100).toFixed(0).padStart(3)}%  failed ${s.failed}  aborted ${s.aborted}  timeout ${s.timeout}  p50 ${s.duration_p50_s.toFixed(1)} s`);
        }
        return true;
      }
      case "export": {
        const r = await this.exporter.call({ ...createExportLogRequest(), format: command.format, path: command.path }, options);
        this.print(r.success ? `exported ${r.events} events and ${r.outcomes} outcomes to ${r.path} (${r.bytes} bytes)` : `export failed: ${r.message}`);
        return true;
      }
      case "diag":
        await this.awaitFreshDiagnostics();
        if (this.diagnostics.size === 0) this.print("no diagnostics received yet");
        for (const status of [...this.diagnostics.values()].sort((a, b) => a.name.localeCompare(b.name))) {
          this.print(`  [${LEVELS[status.level] ?? status.level}] ${status.name}: ${status.message}`);
          this.print(`      ${status.values.map((v) => `${v.key}=${v.value}`).join("  ")}`);
        }
        return true;
      case "topics":
        for (const t of this.graph.topicNames()) this.print(`  topic   ${t.name}  [${t.type}]  ${t.subscribers} subscriber(s)`);
        for (const s of this.graph.serviceNames()) this.print(`  service ${s.name}  [${s.type}]`);
        return true;
    }
  }

  /**
   * Nodes publish diagnostics once a second; wait for a round that started after this
   * command (one array per node), so `diag` never shows a snapshot older than the command.
   */
  private async awaitFreshDiagnostics(timeoutMs = 2500): Promise<void> {
    const target = this.diagnosticsReceived + Math.max(1, this.graph.nodeNames().length - 2);
    const deadline = Date.now() + timeoutMs;
    while (this.diagnosticsReceived < target && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  }

  private findNode(name: string): GraphNode {
    const fqn = name.startsWith("/") ? name : `${this.namespace}/${name}`;
    const node = this.graph.getNode(fqn);
    if (!node) throw new Error(`no node ${fqn}; nodes: ${this.graph.nodeNames().join(", ")}`);
    return node;
  }

  private setParameter(nodeName: string, name: string, raw: string): void {
    const target = this.findNode(nodeName);
    const descriptor = target.getParameterDescriptor(name);
    if (!descriptor) {
      this.print(`Setting parameter failed: ${target.fullyQualifiedName} has no parameter ${name} (try: params ${nodeName})`);
      return;
    }
    const parsed = parseParameterLiteral(raw);
    const value: ParameterValue = descriptor.type === "string" ? raw : parsed;
    const result = target.setParameters({ [name]: value });
    this.print(result.successful ? "Set parameter successful" : `Setting parameter failed: ${result.reason}`);
  }
}
