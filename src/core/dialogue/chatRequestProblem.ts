/**
 * What makes a Chat request unusable, as the reason for a success=false reply; undefined when it is fine.
 * The limits keep one hostile request from filling the model's context or the per-session history.
 */
import type { ChatRequest } from "../interfaces/messages.generated.js";

/** Longest utterance: far more than a person says in one turn, and the memory's query limit. */
export const MAX_CHAT_TEXT_CHARS = 4096;
/** Longest session id: sessions are kept (with their history) per id. */
export const MAX_SESSION_ID_CHARS = 256;

export function chatRequestProblem(request: Pick<ChatRequest, "text" | "session_id">): string | undefined {
  if (request.text.trim() === "") return "text is empty; send what the person said";
  if (request.text.length > MAX_CHAT_TEXT_CHARS) return `text is ${request.text.length} characters, longer than the limit of ${MAX_CHAT_TEXT_CHARS}`;
  if (request.session_id.length > MAX_SESSION_ID_CHARS) return `session_id is ${request.session_id.length} characters, longer than the limit of ${MAX_SESSION_ID_CHARS}`;
  return undefined;
}
