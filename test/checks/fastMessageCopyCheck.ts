/**
 * node --import tsx test/checks/fastMessageCopyCheck.ts
 *
 * Compares the in-process graph's compiled check-and-copy (src/ros/inprocess/fastMessageCopy.ts)
 * with zod's parse over every message type: random valid messages and mutations of them (wrong
 * types, NaN, out-of-range integers, missing, extra and non-enumerable keys, __proto__). Both
 * must give the same verdict, the same error, and the same copy (as JSON, key order included),
 * and a copy must never be the input object. Exits 1 on any difference.
 */
import { messageSchemas, type MessageTypeName } from "../../src/core/interfaces/messages.generated.js";
import { fastMessageCopy } from "../../src/ros/inprocess/fastMessageCopy.js";
import { validatedMessageCopy } from "../../src/ros/validateMessage.js";
// Generate random valid messages from the schema, then mutate them; compare fast vs zod.
let seed = 12345; const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
function gen(def: any): any {
  switch (def.type) {
    case "object": { const o: any = {}; for (const [k, v] of Object.entries(def.shape)) o[k] = gen((v as any)._zod.def); return o; }
    case "array": return Array.from({ length: Math.floor(rnd() * 3) }, () => gen(def.element._zod.def));
    case "string": return pick(["", "a", "hello", "ü✋"]);
    case "boolean": return rnd() < 0.5;
    case "number": { const ints = (def.checks ?? []).length > 0; if (!ints) return pick([0, -0, 1.5, -3.25, 1e300, 0.1]);
      const lo = def.checks.find((c: any) => c._zod.def.check === "greater_than")?._zod.def.value ?? -1e9; const hi = def.checks.find((c: any) => c._zod.def.check === "less_than")?._zod.def.value ?? 1e9;
      return pick([lo, hi, 0, Math.floor((lo + hi) / 2)]); }
  }
  throw new Error(def.type);
}
const badValues = [undefined, null, NaN, Infinity, -Infinity, "1", 1, 1.5, -1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, 2 ** 53, true, {}, [], [1], { a: 1 }, Object.create(null), new Date(0), "x"];
function paths(v: any, prefix: string[] = []): string[][] { const out: string[][] = [prefix]; if (v && typeof v === "object") for (const k of Object.keys(v)) out.push(...paths(v[k], [...prefix, k])); return out; }
function mutate(msg: any): any {
  const c = structuredClone(msg); const ps = paths(c).filter((p) => p.length > 0); if (!ps.length) return c;
  const p = pick(ps); let o = c; for (const k of p.slice(0, -1)) o = o[k]; const last = p[p.length - 1]!;
  const r = rnd();
  if (r < 0.6) o[last] = pick(badValues); else if (r < 0.75) delete o[last]; else if (r < 0.85) o["extra_" + last] = 1; else if (r < 0.9) Object.defineProperty(o, last, { value: o[last], enumerable: false }); else { (o as any)["__proto__"] = 5; }
  return c;
}
const run = (f: () => unknown) => { try { return { ok: true, v: JSON.stringify(f()) }; } catch (e: any) { return { ok: false, v: `${e.name}:${e.message}` }; } };
let n = 0, valid = 0, diffs = 0;
for (const type of Object.keys(messageSchemas) as MessageTypeName[]) {
  const def = (messageSchemas[type] as any)._zod.def;
  for (let i = 0; i < 400; i++) {
    const good = gen(def);
    const cases = [good, mutate(good), mutate(mutate(good)), JSON.parse(JSON.stringify(good).replace(/^\{/, '{"__proto__":1,'))];
    for (const m of cases) {
      n++;
      const a = run(() => fastMessageCopy(type, m)); const b = run(() => validatedMessageCopy(type, m));
      if (a.ok) valid++;
      if (a.ok !== b.ok || a.v !== b.v) { diffs++; if (diffs < 10) console.log("DIFF", type, JSON.stringify(m), a, b); }
      if (a.ok) { const copy = fastMessageCopy(type, m) as any; if (copy === m) { diffs++; console.log("SAME OBJECT", type); } }
    }
  }
}
console.log({ n, valid, diffs, types: Object.keys(messageSchemas).length });
if (diffs) process.exitCode = 1;
