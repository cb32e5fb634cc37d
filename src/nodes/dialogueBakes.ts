/**
 * The dialogue node's bakes, wired: the registered bakes (read when there is something to match or
 * to bake), the matcher that lets a turn run a bake that equals its blend, and the background baker
 * of bake_on_idle behind the power gate. The node calls refresh() and consider() at each change of
 * weights and shows status() in ~/persona_state.
 */
import { existsSync, readdirSync } from "node:fs";
import type { PreparedBlend } from "../core/dialogue/Dialogue.js";
import type { DialogueEngine } from "../core/dialogue/DialogueEngine.js";
import type { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { flatWeights } from "../core/persona/personaSlots.js";
import type { AdapterFiles } from "../core/persona/resolveAdapterFiles.js";
import type { PersonaWeights } from "../core/persona/types.js";
import { BakeCatalog, type BakedModelMatcher } from "../core/persona/bake/BakeCatalog.js";
import { BackgroundBaker } from "../core/persona/bake/BackgroundBaker.js";
import { bakeBaseFor, bakeBaseSha256s, bakeOutPath } from "../core/persona/bake/planBake.js";
import type { GraphNode } from "../ros/GraphPort.js";

export interface DialogueBakesOptions {
  readonly node: GraphNode;
  readonly engine: DialogueEngine | undefined;
  readonly registry: ModelRegistry;
  readonly personaName: string;
  readonly modelPath: string;
  /** The base's registry name ('' when model_path gave a file). */
  readonly baseReference: string;
  readonly adapterFiles: AdapterFiles;
  readonly threads?: number;
  /** bake_idle_ms */
  readonly idleMs: number;
  /** bake_on_idle, read at each use. */
  readonly bakeOnIdle: () => boolean;
  /** The power gate of heavy background work; undefined allows it always. */
  readonly mayRunBackgroundWork?: () => boolean;
  /** What ~/persona_state shows changed: a bake finished, the baker's status. */
  readonly onStateChange: () => void;
  /** The registered bakes were read: the node re-evaluates its weights. */
  readonly onCatalogReady: () => void;
}

export interface DialogueBakes {
  /** For Dialogue's bakedModel option: the registered bake that equals a blend. */
  readonly matcher: BakedModelMatcher;
  readonly baker: BackgroundBaker;
  catalog(): BakeCatalog | undefined;
  /** Before publishing a change of weights: reread the folder (or read it the first time it is needed). */
  refresh(): void;
  /** After publishing: with bake_on_idle, bake the next turn's blend when no bake matches it. */
  consider(blend: PreparedBlend, weights: PersonaWeights): void;
  /** ~/persona_state's bake_status. */
  status(): string;
  diagnosticValues(): Record<string, string | number>;
  close(): Promise<void>;
}

export function startDialogueBakes(o: DialogueBakesOptions): DialogueBakes {
  let catalog: BakeCatalog | undefined;
  let opening = false;
  let closed = false;
  const baker = new BackgroundBaker({
    base: () => bakeBaseFor(o.registry, o.modelPath, { reference: o.baseReference }),
    outPath: (mix, base) => bakeOutPath(o.registry.bakesDir, o.personaName, base, mix),
    idleMs: o.idleMs,
    ...(o.mayRunBackgroundWork ? { mayRunBackgroundWork: o.mayRunBackgroundWork } : {}),
    ...(o.threads ? { threads: o.threads } : {}),
    onBaked: (path) => {
      if (catalog?.add(path) === false) o.node.logger.error(`background bake ${path} cannot stand in for the blend: ${catalog.skipped.get(path)}`);
      else o.node.logger.info(`background bake ready: ${path}; it serves from the next turn`);
      o.onStateChange();
    },
    onStatus: (status) => {
      if (status.startsWith("failed")) o.node.logger.error(`background bake ${status}`);
      o.onStateChange();
    },
  });

  /**
   * Reads the registered bakes once there is something to match or to bake: hashing the adapters
   * (and a base whose sha256 the registry lacks) takes a moment, so it runs off the start, and not
   * at all on a node with no bakes and bake_on_idle false.
   */
  const open = () => {
    if (!o.engine || opening || Object.keys(o.adapterFiles).length === 0) return;
    const folderHasBakes = existsSync(o.registry.bakesDir) && readdirSync(o.registry.bakesDir).some((f) => f.endsWith(".gguf"));
    if (!o.bakeOnIdle() && !folderHasBakes) return;
    opening = true;
    BakeCatalog.open(o.registry.bakesDir, bakeBaseSha256s(o.registry, o.modelPath, o.baseReference), o.adapterFiles).then(
      (read) => {
        if (closed) return;
        catalog = read;
        o.node.logger.info(`${read.size} registered bake(s) for this base and these adapters in ${o.registry.bakesDir}`);
        o.onCatalogReady();
      },
      (error: unknown) => o.node.logger.error({ err: error }, "reading the registered bakes failed; turns run on the runtime blend"),
    );
  };
  open();

  return {
    matcher: (adapters) => catalog?.match(adapters),
    baker,
    catalog: () => catalog,
    refresh() {
      // A bake made meanwhile (persona bake, another robot's copy) serves as soon as it matches.
      if (catalog) catalog.scan();
      else open();
    },
    consider(blend, weights) {
      if (o.engine && catalog && o.bakeOnIdle() && blend.adapters.length > 0 && !blend.bakedModel) {
        baker.request({ adapters: blend.adapters, key: blend.key, weights: flatWeights(weights) });
      } else baker.cancelPending();
    },
    status: () => (o.bakeOnIdle() ? baker.status : "off"),
    diagnosticValues: () => ({
      bakes_registered: catalog?.size ?? 0,
      bake_status: o.bakeOnIdle() ? baker.status : "off",
      bakes_made: baker.counters.finished,
      bakes_failed: baker.counters.failed,
    }),
    async close() {
      closed = true;
      await baker.close();
    },
  };
}
