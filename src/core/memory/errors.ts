/** Errors of the episodic memory; each says what to do. */

export class MemoryMismatchError extends Error {
  constructor(
    readonly dbPath: string,
    readonly field: string,
    readonly stored: string,
    readonly configured: string,
  ) {
    super(
      `episodic memory ${dbPath} was built with ${field}=${stored}, but this memory is configured with ${field}=${configured}. ` +
        `Vectors built with another ${field} cannot be mixed: configure ${field}=${stored} again, or point db_path at a new file.`,
    );
    this.name = "MemoryMismatchError";
  }
}

export class InvalidQueryError extends Error {
  constructor(detail: string) {
    super(`invalid recall query: ${detail}`);
    this.name = "InvalidQueryError";
  }
}

export class InvalidEpisodeError extends Error {
  constructor(detail: string) {
    super(`invalid episode: ${detail}`);
    this.name = "InvalidEpisodeError";
  }
}
