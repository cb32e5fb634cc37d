/** Builds the configured text encoder; the one place that maps a kind name to an implementation. */
import { GloveEmbedder } from "./GloveEmbedder.js";
import { LlamaEmbedder } from "./LlamaEmbedder.js";
import { NgramEmbedder } from "./NgramEmbedder.js";
import { TransformersEmbedder } from "./TransformersEmbedder.js";
import { EncoderUnavailableError } from "./errors.js";
import type { EncoderKind, TextEmbedder } from "./types.js";

export const ENCODER_KINDS: readonly EncoderKind[] = ["glove", "onnx", "gguf", "ngram"];

export interface EmbedderOptions {
  readonly kind: EncoderKind;
  /** glove: converted file ('' = default under models/glove). */
  readonly glovePath?: string;
  /** onnx: model folder. */
  readonly onnxModelDir?: string;
  /** gguf: model file. */
  readonly ggufPath?: string;
  /** ngram: output dimension (default 1024). */
  readonly ngramDims?: number;
}

export async function createEmbedder(options: EmbedderOptions): Promise<TextEmbedder> {
  switch (options.kind) {
    case "glove":
      return GloveEmbedder.load(options.glovePath ? { path: options.glovePath } : {});
    case "onnx":
      if (!options.onnxModelDir) throw new EncoderUnavailableError("onnx", "no model folder given; set onnx_model_dir");
      return TransformersEmbedder.load({ modelDir: options.onnxModelDir });
    case "gguf":
      if (!options.ggufPath) throw new EncoderUnavailableError("gguf", "no model file given; set gguf_path");
      return LlamaEmbedder.load({ modelPath: options.ggufPath });
    case "ngram":
      return new NgramEmbedder(options.ngramDims !== undefined ? { dims: options.ngramDims } : {});
    default:
      throw new EncoderUnavailableError(String(options.kind), `unknown encoder; choose one of ${ENCODER_KINDS.join(", ")}`);
  }
}
