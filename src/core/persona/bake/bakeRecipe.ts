/**
 * A bake's recipe lives in its GGUF metadata under one key (JSON), so the file alone says what it
 * is: `models list` prints it and the dialogue node matches live weights against it.
 */
import { ggufValue, readGgufHeader, stringKeyValue, type GgufKeyValue } from "../../models/GgufHeader.js";
import type { BakeAdapter, BakeRecipe } from "./types.js";

export const BAKE_RECIPE_KEY = "embodied_assistant.bake.recipe";
/** How close a live scale must be to the recipe's for the bake to stand in for the runtime blend. */
export const BAKE_MATCH_TOLERANCE = 1e-3;

export function recipeKeyValue(recipe: BakeRecipe): GgufKeyValue {
  return stringKeyValue(BAKE_RECIPE_KEY, JSON.stringify(recipe));
}

/** The recipe in a GGUF file, or undefined when the file is not a bake (or not GGUF). */
export function readBakeRecipe(file: string): BakeRecipe | undefined {
  let text: unknown;
  try {
    text = ggufValue(readGgufHeader(file), BAKE_RECIPE_KEY);
  } catch {
    return undefined;
  }
  if (typeof text !== "string") return undefined;
  try {
    const recipe = JSON.parse(text) as BakeRecipe;
    return recipe && recipe.version === 1 && Array.isArray(recipe.adapters) ? recipe : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a bake computes what the runtime blend of these adapters computes: linear only, the same
 * adapter names, each scale within the tolerance (an adapter at scale 0 counts as absent).
 */
export function recipeMatchesBlend(recipe: BakeRecipe, adapters: readonly Pick<BakeAdapter, "name" | "scale">[], tolerance = BAKE_MATCH_TOLERANCE): boolean {
  if (recipe.method !== "linear") return false;
  const live = new Map(adapters.filter((a) => a.scale !== 0).map((a) => [a.name, a.scale]));
  const baked = new Map(recipe.adapters.filter((a) => a.scale !== 0).map((a) => [a.name, a.scale]));
  const names = new Set([...live.keys(), ...baked.keys()]);
  for (const name of names) if (Math.abs((live.get(name) ?? 0) - (baked.get(name) ?? 0)) > tolerance) return false;
  return true;
}

/** One line for listings: "linear warmth@0.8 coding@0.5 (base tinyllama-chat-f16, Q4_K_M)". */
export function describeRecipe(recipe: BakeRecipe): string {
  const parts = recipe.adapters.map((a) => `${a.name}@${Number(a.scale.toFixed(4))}`).join(" ");
  const extra = recipe.method === "linear" ? "" : ` density ${recipe.density}${recipe.method === "dare" ? ` seed ${recipe.seed}` : ""}`;
  return `${recipe.method}${extra} ${parts || "(no adapters)"} (base ${recipe.base.name} sha256 ${recipe.base.sha256.slice(0, 12)}, ${recipe.type})`;
}
