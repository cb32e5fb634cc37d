/**
 * Sentence embeddings from an ONNX sentence model in a local folder, through @huggingface/transformers'
 * feature-extraction pipeline (mean pooling, L2-normalized). Remote downloads are switched off: the
 * folder must hold config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EncoderUnavailableError } from "./errors.js";
import { fileFingerprint } from "./fileFingerprint.js";
import type { TextEmbedder } from "./types.js";

export interface TransformersEmbedderOptions {
  /** Folder of the model (e.g. models/all-MiniLM-L6-v2). */
  readonly modelDir: string;
  /** Mean pooling (default) or the [CLS] token. */
  readonly pooling?: "mean" | "cls";
}

type Extractor = (texts: string[], options: { pooling: "mean" | "cls"; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>;

export class TransformersEmbedder implements TextEmbedder {
  readonly kind = "onnx" as const;
  readonly identity: string;
  readonly dimensions: number;

  private constructor(
    private readonly extractor: Extractor & { dispose?: () => Promise<void> },
    private readonly pooling: "mean" | "cls",
    dims: number,
    identity: string,
  ) {
    this.dimensions = dims;
    this.identity = identity;
  }

  static async load(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    const dir = resolve(options.modelDir);
    const onnxFile = join(dir, "onnx", "model.onnx");
    for (const needed of ["config.json", "tokenizer.json", join("onnx", "model.onnx")]) {
      if (!existsSync(join(dir, needed))) {
        throw new EncoderUnavailableError("onnx", `${join(dir, needed)} is missing; put a sentence model (config.json, tokenizer.json, onnx/model.onnx) in ${dir}`);
      }
    }
    const transformers = await import("@huggingface/transformers");
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    transformers.env.localModelPath = dirname(dir) + "/";
    const pooling = options.pooling ?? "mean";
    let extractor: Extractor;
    try {
      extractor = (await transformers.pipeline("feature-extraction", basename(dir), {
        local_files_only: true,
        dtype: "fp32",
        device: "cpu",
      })) as unknown as Extractor;
    } catch (error) {
      throw new EncoderUnavailableError("onnx", `could not load ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const probe = await extractor(["dimension probe"], { pooling, normalize: true });
    const dims = probe.dims[probe.dims.length - 1] ?? 0;
    const identity = `onnx:${basename(dir)}:${dims}:${pooling}:${fileFingerprint(onnxFile)}`;
    return new TransformersEmbedder(extractor, pooling, dims, identity);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const out = await this.extractor([...texts], { pooling: this.pooling, normalize: true });
    const d = this.dimensions;
    return texts.map((_, i) => out.data.slice(i * d, (i + 1) * d));
  }

  async close(): Promise<void> {
    await this.extractor.dispose?.();
  }
}
