/**
 * Which adapter file each slot uses: <adapterDir>/<key>.gguf when an adapter folder is given,
 * else the persona spec's reference resolved through the model registry. Only existing files are
 * kept: a missing adapter leaves its slot to act through the prompt alone. The dialogue node and
 * `persona bake` both resolve through here, so a bake mixes the files the node applies.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelRegistry } from "./ModelRegistry.js";
import { PERSONA_SLOTS, slotSpec } from "./personaSlots.js";
import type { PersonaSpec } from "./PersonaSpec.js";

export type AdapterFiles = Readonly<Record<string, string | undefined>>;

export function resolveAdapterFiles(spec: PersonaSpec, registry: ModelRegistry, adapterDir = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const slot of PERSONA_SLOTS) {
    const reference = slotSpec(spec, slot).adapter;
    const path = adapterDir ? join(adapterDir, `${slot.key}.gguf`) : reference ? registry.resolveAdapter(reference) : "";
    if (path && existsSync(path)) files[slot.key] = path;
  }
  return files;
}
