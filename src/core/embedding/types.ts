/** One interface for every text encoder: text in, a fixed-size float embedding out. */

export type EncoderKind = "glove" | "onnx" | "gguf" | "ngram";

export interface TextEmbedder {
  readonly kind: EncoderKind;
  /**
   * Names the encoder and its data exactly (file hash, dimension, options). A memory stores it and
   * refuses to open with a different one, because vectors of two encoders must never be mixed.
   */
  readonly identity: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Present when the encoder can answer without awaiting (GloVe, n-gram): the fast ingest path. */
  embedSync?(text: string): Float32Array;
  close(): Promise<void>;
}
