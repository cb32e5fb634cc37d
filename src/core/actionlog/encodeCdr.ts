/**
 * CDR (little-endian, XCDR1: what ROS 2 puts on the wire and in bags) for the two
 * messages the log exports. Field order follows msg/ActionEvent.msg and
 * msg/ActionOutcome.msg; the export test decodes with Foxglove's own reader against
 * the schema text, so a drift between this and the .msg files fails there.
 */
import { CdrWriter } from "@foxglove/cdr";
import type { ActionEvent, ActionOutcome, BuiltinInterfacesTime, StdMsgsHeader } from "../interfaces/messages.generated.js";

const utf8 = new TextEncoder();

/**
 * A CDR string: uint32 byte length including the terminating NUL, UTF-8 bytes, NUL.
 * Not CdrWriter.string(): @foxglove/cdr 3.5 writes the UTF-16 length there, which
 * corrupts any non-ASCII text ("gripper slipped ✋"); the export test covers this.
 */
function str(w: CdrWriter, value: string): void {
  const bytes = utf8.encode(value);
  w.uint32(bytes.length + 1);
  w.uint8Array(bytes, false);
  w.uint8(0);
}

function time(w: CdrWriter, t: BuiltinInterfacesTime): void {
  w.int32(t.sec);
  w.uint32(t.nanosec);
}

function header(w: CdrWriter, h: StdMsgsHeader): void {
  time(w, h.stamp);
  str(w, h.frame_id);
}

export function encodeActionEvent(e: ActionEvent): Uint8Array {
  const w = new CdrWriter({ size: 256 + e.detail.length * 3 });
  header(w, e.header);
  str(w, e.robot_id);
  str(w, e.action_id);
  str(w, e.action);
  str(w, e.object);
  str(w, e.location);
  str(w, e.status);
  w.float32(e.progress);
  str(w, e.detail);
  return w.data;
}

export function encodeActionOutcome(o: ActionOutcome): Uint8Array {
  const w = new CdrWriter({ size: 256 + (o.reason.length + o.flag_reason.length) * 3 });
  header(w, o.header);
  str(w, o.robot_id);
  str(w, o.action_id);
  str(w, o.action);
  str(w, o.object);
  str(w, o.location);
  str(w, o.result);
  str(w, o.reason);
  time(w, o.started_at);
  time(w, o.ended_at);
  w.float64(o.duration_s);
  w.uint32(o.progress_events);
  w.uint8(o.flagged ? 1 : 0);
  str(w, o.flag_reason);
  return w.data;
}

/** The UTF-8-correct CDR string writer, for the Foxglove bridge's schema-driven encoder. */
export { str as writeCdrString };
