import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadPersonaSpec, parsePersonaSpec, PersonaSpecError, type PersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { blendPersona, specWeights, weightToScale } from "../src/core/persona/blendPersona.js";
import { ExpertRouter } from "../src/core/persona/ExpertRouter.js";
import { ContextCache } from "../src/core/persona/ContextCache.js";
import { describePersona } from "../src/core/persona/describePersona.js";
import { ModelRegistry } from "../src/core/persona/ModelRegistry.js";
import type { PersonaWeights } from "../src/core/persona/types.js";
import { adapterMix } from "../src/core/persona/blendPersona.js";
import { flatWeights, isSlotKey, PERSONA_SLOTS, weightsFrom } from "../src/core/persona/personaSlots.js";
import { resolveAdapterFiles } from "../src/core/persona/resolveAdapterFiles.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const DEFAULT = join(import.meta.dirname, "..", "configs", "personas", "teaching_assistant.yaml");
const spec = loadPersonaSpec(DEFAULT);
const files: Record<string, string> = Object.fromEntries(
  ["persona.warmth", "persona.playful", "persona.formal", "persona.encouragement", "expertise.medical", "expertise.coding", "expertise.teaching", "expertise.quantum"].map(
    (n) => [n, `/a/${n}.gguf`],
  ),
);
function withWeights(w: Partial<PersonaWeights["dimensions"]>, e: Partial<PersonaWeights["experts"]> = {}): PersonaWeights {
  const base = specWeights(spec);
  return { dimensions: { ...base.dimensions, ...w }, experts: { ...base.experts, ...e } };
}

describe("persona spec", () => {
  it("loads the shipped default persona", () => {
    expect(spec.name).toBe("teaching_assistant");
    expect(spec.dimensions.warmth.weight).toBeGreaterThan(0.5);
    expect(spec.generation.maxTokens).toBe(55);
  });

  it("rejects a weight out of range and an unknown field, naming both", () => {
    const raw = structuredClone(spec) as unknown as Record<string, any>;
    raw.dimensions.warmth.weight = 1.5;
    raw.colour = "blue";
    try {
      parsePersonaSpec(raw, "bad.yaml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PersonaSpecError);
      expect((error as Error).message).toMatch(/dimensions\.warmth\.weight/);
      expect((error as Error).message).toMatch(/colour/);
    }
  });

  it("fails clearly for a missing file", () => {
    expect(() => loadPersonaSpec("/nonexistent/p.yaml")).toThrow(/cannot read the file/);
  });

  it("resolves registry names and plain paths", () => {
    const reg = ModelRegistry.fromObject({ models: { m: { path: "models/m.gguf" } }, adapters: { a: { path: "/abs/a.gguf" } } }, "/pkg/configs");
    expect(reg.resolveModel("m")).toBe("/pkg/models/m.gguf");
    expect(reg.resolveAdapter("a")).toBe("/abs/a.gguf");
    expect(reg.resolveModel("other.gguf")).toBe("/pkg/other.gguf");
    expect(reg.resolveModel("")).toBe("");
  });
});

describe("blending weights into adapter scales", () => {
  it("maps linearly or centred", () => {
    expect(weightToScale(0.75, "linear", 2)).toBeCloseTo(1.5);
    expect(weightToScale(0, "centred", 1)).toBeCloseTo(-1);
    expect(weightToScale(0.5, "centred", 1)).toBeCloseTo(0);
  });

  it("drops adapters below the threshold and keeps at most maxActiveAdapters, largest first", () => {
    const s: PersonaSpec = { ...spec, mapping: "linear", maxActiveAdapters: 2, activationThreshold: 0.3 };
    const blend = blendPersona(s, withWeights({ warmth: 0.9, playful: 0.2, formal: 0.5, encouragement: 0.7 }, { medical: 0, coding: 0, teaching: 0, quantum: 0 }), undefined, {
      adapterFiles: files,
    });
    expect(blend.adapters.map((a) => a.name)).toEqual(["persona.encouragement", "persona.warmth"]);
    expect(blend.adapters.find((a) => a.name === "persona.warmth")?.scale).toBeCloseTo(0.9);
  });

  it("gives the same key for the same vector and another key after a change", () => {
    const a = blendPersona(spec, withWeights({ warmth: 0.9 }), undefined, { adapterFiles: files });
    const b = blendPersona(spec, withWeights({ warmth: 0.9 }), undefined, { adapterFiles: files });
    const c = blendPersona(spec, withWeights({ warmth: 0.1 }), undefined, { adapterFiles: files });
    expect(a.key).toBe(b.key);
    expect(c.key).not.toBe(a.key);
  });

  it("skips dimensions without an adapter file", () => {
    const blend = blendPersona(spec, withWeights({ warmth: 1 }), undefined, { adapterFiles: { "persona.warmth": undefined } });
    expect(blend.adapters).toEqual([]);
    expect(blend.key).toBe("");
  });
});

describe("expert routing", () => {
  const router = new ExpertRouter(spec);

  it("gates experts by keywords", () => {
    const d = router.route("My python code has a bug in this loop");
    expect(d.routed[0]).toBe("coding");
    expect(d.gates.coding).toBe(1);
    expect(d.gates.quantum).toBeLessThan(0.5);
  });

  it("gates by similarity to prototypes without any keyword", () => {
    const d = router.route("what is a qubits superposition state");
    expect(d.routed).toContain("quantum");
    const plain = router.route("the weather is lovely this morning");
    expect(plain.routed).toEqual([]);
  });

  it("raises a routed expert's weight and lowers an unrelated one in the blend", () => {
    const weights = withWeights({}, { medical: 0, teaching: 0.7 });
    const d = router.route("I hurt my hand, is there a fever medicine?");
    const blend = blendPersona(spec, weights, d, { adapterFiles: files });
    expect(blend.effective.experts.medical).toBeGreaterThan(0.5);
    expect(blend.effective.experts.teaching).toBeLessThan(0.7);
  });
});

describe("persona in the system prompt", () => {
  it("changes with the weights", () => {
    const warm = describePersona(spec, withWeights({ warmth: 0.95, formal: 0.5 }));
    const cold = describePersona(spec, withWeights({ warmth: 0.05, formal: 0.5 }));
    expect(warm).toContain("very warm and kind");
    expect(cold).toContain("very cool and matter-of-fact");
  });
});

describe("context cache", () => {
  function makeCache(capacity: number) {
    const created: string[] = [];
    const disposed: string[] = [];
    const cache = new ContextCache<string>({
      capacity,
      create: async (key) => {
        created.push(key);
        return `ctx:${key}`;
      },
      dispose: (value) => {
        disposed.push(value);
      },
    });
    return { cache, created, disposed };
  }

  it("builds once per key and evicts the least recently used", async () => {
    const { cache, created, disposed } = makeCache(2);
    (await cache.acquire("a")).release();
    (await cache.acquire("b")).release();
    (await cache.acquire("a")).release();
    (await cache.acquire("c")).release();
    await new Promise((r) => setTimeout(r, 0));
    expect(created).toEqual(["a", "b", "c"]);
    expect(disposed).toEqual(["ctx:b"]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, evictions: 1, size: 2 });
  });

  it("never disposes a context that a turn holds", async () => {
    const { cache, disposed } = makeCache(1);
    const held = await cache.acquire("a");
    (await cache.acquire("b")).release();
    await new Promise((r) => setTimeout(r, 0));
    // Over capacity with "a" pinned: the unpinned one goes, even though it is newer.
    expect(disposed).toEqual(["ctx:b"]);
    (await cache.acquire("c")).release();
    await new Promise((r) => setTimeout(r, 0));
    expect(disposed).not.toContain("ctx:a");
    expect(held.value).toBe("ctx:a");
    held.release();
    (await cache.acquire("d")).release();
    await new Promise((r) => setTimeout(r, 0));
    expect(disposed).toContain("ctx:a");
  });

  it("prewarms in the background and the next acquire finds it cached", async () => {
    const { cache, created } = makeCache(3);
    cache.prewarm("x");
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.isReady("x")).toBe(true);
    const lease = await cache.acquire("x");
    expect(lease.cached).toBe(true);
    expect(created).toEqual(["x"]);
  });

  it("retries a key whose build failed", async () => {
    let fail = true;
    const cache = new ContextCache<string>({
      capacity: 2,
      create: async () => {
        if (fail) throw new Error("boom");
        return "ok";
      },
      dispose: () => {},
    });
    await expect(cache.acquire("k")).rejects.toThrow("boom");
    fail = false;
    await new Promise((r) => setTimeout(r, 0));
    expect((await cache.acquire("k")).value).toBe("ok");
  });
});

describe("routing and the context cache", () => {
  it("rounds gates before blending so that nearby gates share one scale vector (and context)", () => {
    const decision = (quantum: number) => ({
      gates: { medical: 0.06, coding: 0, teaching: 0, quantum },
      routed: ["quantum" as const],
      evidence: { medical: { keywords: [], similarity: 0 }, coding: { keywords: [], similarity: 0 }, teaching: { keywords: [], similarity: 0 }, quantum: { keywords: [], similarity: 0 } },
    });
    const key = (s: PersonaSpec, g: number) => blendPersona(s, specWeights(s), decision(g), { adapterFiles: files }).key;
    expect(key(spec, 0.8)).toBe(key(spec, 0.7));
    const exact: PersonaSpec = { ...spec, routing: { ...spec.routing, gateStep: 0 } };
    expect(key(exact, 0.8)).not.toBe(key(exact, 0.7));
  });
});

describe("the persona/engine seam", () => {
  it("one table of slots names parameters, adapters and weights alike", () => {
    expect(PERSONA_SLOTS.map((s) => s.key)).toEqual(Object.keys(files));
    const w = withWeights({ warmth: 0.25 }, { quantum: 0.75 });
    const flat = flatWeights(w);
    expect(flat["persona.warmth"]).toBe(0.25);
    expect(flat["expertise.quantum"]).toBe(0.75);
    expect(weightsFrom((key) => flat[key]!)).toEqual(w);
    expect(isSlotKey("persona.warmth")).toBe(true);
    expect(isSlotKey("persona.grumpy")).toBe(false);
    // The blend's adapters carry the same keys.
    expect(blendPersona(spec, w, undefined, { adapterFiles: files }).adapters.every((a) => isSlotKey(a.name))).toBe(true);
  });

  it("a mix is canonical: name order, zero scales dropped, and a key that follows the files and scales", () => {
    const m = adapterMix([{ name: "b", filePath: "/b", scale: 0.5 }, { name: "a", filePath: "/a", scale: 0.25 }, { name: "c", filePath: "/c", scale: 0 }]);
    expect(m.adapters.map((a) => a.name)).toEqual(["a", "b"]);
    expect(m.key).toBe(adapterMix([{ name: "a", filePath: "/a", scale: 0.25 }, { name: "b", filePath: "/b", scale: 0.5 }]).key);
    expect(m.key).not.toBe(adapterMix([{ name: "a", filePath: "/a", scale: 0.3 }, { name: "b", filePath: "/b", scale: 0.5 }]).key);
  });

  it("resolves adapter files from an adapter folder or the registry, skipping missing ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "adapter-files-"));
    try {
      writeFileSync(join(dir, "persona.warmth.gguf"), "x");
      writeFileSync(join(dir, "warm.gguf"), "x");
      expect(resolveAdapterFiles(spec, ModelRegistry.empty(dir), dir)).toEqual({ "persona.warmth": join(dir, "persona.warmth.gguf") });
      const registry = ModelRegistry.fromObject({ root: ".", adapters: { warm: { path: "warm.gguf" } } }, dir);
      const withRef = { ...spec, dimensions: { ...spec.dimensions, warmth: { ...spec.dimensions.warmth, adapter: "warm" } } };
      expect(resolveAdapterFiles(withRef, registry)["persona.warmth"]).toBe(join(dir, "warm.gguf"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the context cache builds a key with the builder its request brings (no side map)", async () => {
    const cache = new ContextCache<string>({ capacity: 2, dispose: () => {} });
    const lease = await cache.acquire("k", async () => "built-for-k");
    expect(lease.value).toBe("built-for-k");
    lease.release();
    cache.prewarm("j", async () => "built-for-j");
    await new Promise((r) => setTimeout(r, 0));
    expect((await cache.acquire("j")).value).toBe("built-for-j");
    await expect(cache.acquire("none")).rejects.toThrow(/no builder/);
  });
});
