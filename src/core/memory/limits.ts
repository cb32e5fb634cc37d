/**
 * Longest accepted text field of an episode or a recall request (characters). Its own module so
 * the memory, the outcome describer and the service translation share one value without an import cycle.
 */
export const MAX_FIELD_CHARS = 4096;
