/**
 * The robot's own conversations (PersonalModel's route): the dialogue node logs each turn with the
 * persona mix it used (parameter `log_turns`, default off), and `persona data from-turns` exports the
 * turns as `messages` JSONL, optionally only those spoken near one pole of a dimension, so they can
 * join that pole's training text.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { countReason, type MessagesExample, type ReasonCounts } from "../types.js";

export interface LoggedTurn {
  readonly at: number;
  readonly user: string;
  readonly reply: string;
  /** Dimension and expert weights in [0, 1] used for this turn, e.g. { warmth: 0.9, medical: 0 }. */
  readonly persona: Readonly<Record<string, number>>;
  /** The reply came from memory without a model: never training material. */
  readonly modelFree?: boolean;
}

const PersonaSchema = z.record(z.string(), z.number().min(0).max(1));

export interface TurnExportFilter {
  readonly since?: number;
  /** Keep turns whose weight for this dimension lies in [min, max]. */
  readonly dimension?: string;
  readonly min?: number;
  readonly max?: number;
  readonly systemPrompt?: string;
}

export class TurnLogStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // A logged turn is acknowledged data: durable before append() returns.
    this.db.pragma("synchronous = FULL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS turns (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at_ms INTEGER NOT NULL,
      user_text TEXT NOT NULL,
      reply_text TEXT NOT NULL,
      persona_json TEXT NOT NULL,
      model_free INTEGER NOT NULL DEFAULT 0
    )`);
    this.insert = this.db.prepare("INSERT INTO turns (at_ms, user_text, reply_text, persona_json, model_free) VALUES (?, ?, ?, ?, ?)");
  }

  /** Stores one turn; a bad persona mix is refused with the reason (the caller counts it). */
  append(turn: LoggedTurn): number {
    const persona = PersonaSchema.parse(turn.persona);
    const info = this.insert.run(Math.round(turn.at), turn.user, turn.reply, JSON.stringify(persona), turn.modelFree ? 1 : 0);
    return Number(info.lastInsertRowid);
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM turns").get() as { n: number }).n;
  }

  /** Turns as `messages` examples, oldest first, with counts of what was left out and why. */
  exportMessages(filter: TurnExportFilter = {}): { examples: MessagesExample[]; skipped: ReasonCounts } {
    const rows = this.db.prepare("SELECT at_ms, user_text, reply_text, persona_json, model_free FROM turns WHERE at_ms >= ? ORDER BY id").all(filter.since ?? 0) as Array<{
      at_ms: number;
      user_text: string;
      reply_text: string;
      persona_json: string;
      model_free: number;
    }>;
    const skipped: ReasonCounts = {};
    const examples: MessagesExample[] = [];
    for (const row of rows) {
      if (row.model_free) {
        countReason(skipped, "model-free reply");
        continue;
      }
      if (!row.user_text.trim() || !row.reply_text.trim()) {
        countReason(skipped, "empty side");
        continue;
      }
      const persona = JSON.parse(row.persona_json) as Record<string, number>;
      if (filter.dimension !== undefined) {
        const weight = persona[filter.dimension];
        if (weight === undefined || weight < (filter.min ?? 0) || weight > (filter.max ?? 1)) {
          countReason(skipped, `outside ${filter.dimension} range`);
          continue;
        }
      }
      const mix = Object.entries(persona)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      examples.push({
        messages: [
          { role: "system", content: filter.systemPrompt ?? `persona ${mix}` },
          { role: "user", content: row.user_text },
          { role: "assistant", content: row.reply_text },
        ],
      });
    }
    return { examples, skipped };
  }

  close(): void {
    this.db.close();
  }
}
