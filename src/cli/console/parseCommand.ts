/**
 * The standalone console's command language. Parsing is separate from execution
 * so it can be tested without a graph.
 */
export type ConsoleCommand =
  | { kind: "chat"; text: string; json: boolean }
  | { kind: "recall"; text: string; cue: Record<string, string>; askRole: string }
  | { kind: "remember"; text: string }
  | { kind: "ask"; question: string }
  | { kind: "set"; node: string; name: string; value: string }
  | { kind: "params"; node: string }
  | { kind: "stats"; action: string; object: string; groupBy: string }
  | { kind: "export"; format: "mcap" | "jsonl"; path: string }
  | { kind: "diag" }
  | { kind: "topics" }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "error"; message: string };

export const CONSOLE_HELP = `Commands:
  <text> | chat <text>         talk to the assistant (json <text> asks for {say, gesture})
  recall <question>            ask the episodic memory in free text
  recall object=cup result=FAILED ?location
                               a partial cue; ?role asks which filler fits
  ask <question>               a typed answer from memory: when, how long, how many, did you,
                               where/who/why, what happened (before/after ...)
  remember <fact>              store a fact in memory
  set <node> <param> <value>   like ros2 param set, e.g. set dialogue persona.warmth 0.9
  params <node>                list a node's parameters and values
  stats [action] [object] [by=robot|all]
                               action outcome statistics from the action log
  export mcap|jsonl [name]     export the action log (a file name inside export_dir)
  diag                         latest diagnostics of every node
  topics                       topics and services on the graph
  help                         this text
  quit                         stop everything and exit`;

const ROLES = ["agent", "action", "object", "location", "result"] as const;

export function parseCommand(line: string): ConsoleCommand | undefined {
  const trimmed = line.trim();
  if (trimmed === "") return undefined;
  const [head = "", ...rest] = trimmed.split(/\s+/);
  const tail = trimmed.slice(head.length).trim();
  switch (head.toLowerCase()) {
    case "quit":
    case "exit":
    case "q":
      return { kind: "quit" };
    case "help":
    case "?":
      return { kind: "help" };
    case "diag":
      return { kind: "diag" };
    case "topics":
      return { kind: "topics" };
    case "chat":
      return tail ? { kind: "chat", text: tail, json: false } : { kind: "error", message: "chat needs some text, e.g. chat what did you do today?" };
    case "json":
      return tail ? { kind: "chat", text: tail, json: true } : { kind: "error", message: "json needs some text" };
    case "ask":
      return tail ? { kind: "ask", question: tail } : { kind: "error", message: "ask needs a question, e.g. ask when did you last pick up the keys?" };
    case "remember":
      return tail ? { kind: "remember", text: tail } : { kind: "error", message: "remember needs a fact, e.g. remember the charger is in the lab" };
    case "recall": {
      const cue: Record<string, string> = {};
      let askRole = "";
      const words: string[] = [];
      for (const token of rest) {
        const assignment = /^(\w+)=(.+)$/.exec(token);
        if (assignment && (ROLES as readonly string[]).includes(assignment[1]!)) cue[assignment[1]!] = assignment[2]!.replace(/_/g, " ");
        else if (token.startsWith("?") && (ROLES as readonly string[]).includes(token.slice(1))) askRole = token.slice(1);
        else words.push(token);
      }
      if (words.length === 0 && Object.keys(cue).length === 0) return { kind: "error", message: "recall needs a question or a cue, e.g. recall what happened with the cup?" };
      return { kind: "recall", text: words.join(" "), cue, askRole };
    }
    case "set": {
      const [node, name, ...valueParts] = rest;
      if (!node || !name || valueParts.length === 0) return { kind: "error", message: "usage: set <node> <param> <value>, e.g. set dialogue persona.warmth 0.9" };
      return { kind: "set", node, name, value: valueParts.join(" ") };
    }
    case "params":
      return rest[0] ? { kind: "params", node: rest[0] } : { kind: "error", message: "usage: params <node>, e.g. params dialogue" };
    case "stats": {
      let groupBy = "action_object";
      const positional: string[] = [];
      for (const token of rest) {
        if (token.startsWith("by=")) groupBy = token.slice(3);
        else positional.push(token);
      }
      return { kind: "stats", action: positional[0] ?? "", object: positional.slice(1).join(" "), groupBy };
    }
    case "export": {
      const format = rest[0]?.toLowerCase();
      if (format !== "mcap" && format !== "jsonl") return { kind: "error", message: "usage: export mcap|jsonl [path]" };
      return { kind: "export", format, path: rest[1] ?? "" };
    }
    default:
      return { kind: "chat", text: trimmed, json: false };
  }
}
