/**
 * Embeddings from a GGUF model through node-llama-cpp's embedding context (CPU, one thread: on two
 * shared cores more threads only contend). The model's hidden state is the embedding; it is
 * L2-normalized here so every encoder hands the memory unit vectors.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { EncoderUnavailableError } from "./errors.js";
import { fileFingerprint } from "./fileFingerprint.js";
import type { TextEmbedder } from "./types.js";

export interface LlamaEmbedderOptions {
  readonly modelPath: string;
  /** CPU threads for the embedding context (default 1). */
  readonly threads?: number;
  /** Use a GPU when llama.cpp was built with one (default false). */
  readonly gpu?: boolean;
}

interface EmbeddingContextLike {
  getEmbeddingFor(text: string): Promise<{ vector: readonly number[] }>;
  dispose(): Promise<void>;
}
interface ModelLike {
  readonly embeddingVectorSize: number;
  dispose(): Promise<void>;
}

export class LlamaEmbedder implements TextEmbedder {
  readonly kind = "gguf" as const;
  readonly identity: string;
  readonly dimensions: number;

  private constructor(
    private readonly model: ModelLike,
    private readonly context: EmbeddingContextLike,
    identity: string,
  ) {
    this.dimensions = model.embeddingVectorSize;
    this.identity = identity;
  }

  static async load(options: LlamaEmbedderOptions): Promise<LlamaEmbedder> {
    const path = resolve(options.modelPath);
    if (!existsSync(path)) throw new EncoderUnavailableError("gguf", `${path} does not exist; set gguf_path to a GGUF model file`);
    try {
      const { getLlama } = await import("node-llama-cpp");
      const llama = await getLlama({ gpu: options.gpu === true ? "auto" : false, build: "never" });
      const model = await llama.loadModel({ modelPath: path });
      const context = await model.createEmbeddingContext({ threads: options.threads ?? 1 });
      return new LlamaEmbedder(model, context, `gguf:${basename(path)}:${model.embeddingVectorSize}:${fileFingerprint(path)}`);
    } catch (error) {
      throw new EncoderUnavailableError("gguf", `could not load ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    // One at a time: an embedding context evaluates one sequence per call.
    for (const text of texts) {
      const { vector } = await this.context.getEmbeddingFor(text.length > 0 ? text : " ");
      const v = Float32Array.from(vector);
      let norm = 0;
      for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let i = 0; i < v.length; i++) v[i]! *= inv;
      }
      out.push(v);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
