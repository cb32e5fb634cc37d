/**
 * The dialogue node's turn log (PersonalModel's route to training data): with `log_turns` on, each
 * chat turn is stored with the persona mix it used in `turn_log_path` (SQLite, durable before the
 * reply returns), where `npm run persona -- data from-turns` reads it. The store opens at the
 * first logged turn, so a node that never logs creates no file. A turn that cannot be logged is
 * counted and reported; the chat still answers.
 */
import type { GraphNode } from "../ros/GraphPort.js";
import { TurnLogStore, type LoggedTurn } from "../core/persona/workshop/datasets/TurnLogStore.js";
import type { PersonaWeights } from "../core/persona/types.js";

export interface DialogueTurnLog {
  /** Logs the turn when `enabled()` holds now (log_turns is read per turn). */
  record(turn: { user: string; reply: string; weights: PersonaWeights; modelFree: boolean }): void;
  diagnosticValues(): Record<string, number>;
  close(): void;
}

export function startDialogueTurnLog(node: GraphNode, path: string, enabled: () => boolean): DialogueTurnLog {
  let store: TurnLogStore | undefined;
  const counters = { logged: 0, errors: 0 };
  return {
    record({ user, reply, weights, modelFree }) {
      if (!enabled()) return;
      const turn: LoggedTurn = { at: Date.now(), user, reply, persona: { ...weights.dimensions, ...weights.experts }, modelFree };
      try {
        store ??= new TurnLogStore(path);
        store.append(turn);
        counters.logged++;
      } catch (error) {
        counters.errors++;
        node.logger.error(`log_turns: the turn was not logged to ${path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    diagnosticValues: () => ({ logged_turns: counters.logged, turn_log_errors: counters.errors }),
    close() {
      store?.close();
      store = undefined;
    },
  };
}
