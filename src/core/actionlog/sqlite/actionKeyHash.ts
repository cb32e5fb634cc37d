/**
 * A 53-bit hash of (robot_id, action_id), stored with each outcome and indexed
 * instead of the two strings: an integer index is a fraction of the size of a
 * text one, and the outcomes index is written once per action on the hot path.
 * Not unique: lookups compare the strings too, so a collision costs nothing but
 * one extra row read.
 */
export function actionKeyHash(robotId: string, actionId: string): number {
  // Two independent 32-bit FNV-1a lanes (different offsets), over robot_id, a separator, action_id.
  // (Written out without a helper closure: this runs once per outcome on the commit path.)
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < robotId.length; i++) {
    const code = robotId.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = Math.imul(a ^ 0x1f, 0x01000193);
  b = Math.imul(b ^ 0x1f, 0x5bd1e995);
  b ^= b >>> 15;
  for (let i = 0; i < actionId.length; i++) {
    const code = actionId.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // 21 bits of one lane above 32 of the other: a safe integer, exact in SQLite and JS alike.
  return (a >>> 11) * 4294967296 + (b >>> 0);
}
