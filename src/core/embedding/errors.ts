/** Errors of the text encoders; each message says how to fix it. */

export class EncoderUnavailableError extends Error {
  constructor(
    readonly encoder: string,
    detail: string,
  ) {
    super(`text encoder ${encoder} is unavailable: ${detail}`);
    this.name = "EncoderUnavailableError";
  }
}

export class GloveFormatError extends Error {
  constructor(path: string, detail: string) {
    super(`${path} is not a converted GloVe file (${detail}); recreate it with: node --import tsx src/cli/convert-glove.ts --force`);
    this.name = "GloveFormatError";
  }
}
