import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRegistry } from "../src/core/persona/ModelRegistry.js";
import { ModelLock } from "../src/core/models/ModelLock.js";
import { pullModel, isMarkedVerified } from "../src/core/models/pullModel.js";
import { ChecksumMismatchError, ModelOfflineError, ModelSourceError } from "../src/core/models/errors.js";
import { sourceUrl } from "../src/core/models/modelSource.js";
import { sha256File } from "../src/core/models/sha256File.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";
import { deadPort, LoopbackMirror } from "./fixtures/mirror/LoopbackMirror.js";

let dir: string;
let fixture: string;
let fixtureSha: string;
const HF_PATH = "/test-org/tiny-GGUF/resolve/main/tiny.gguf";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "models-pull-"));
  fixture = writeTinyLlamaGguf(join(dir, "source.gguf"), { seed: 3, embeddingLength: 128, feedForwardLength: 256 }).filePath;
  fixtureSha = await sha256File(fixture);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function registry(root: string, entry: Record<string, unknown>, mirror?: string): ModelRegistry {
  mkdirSync(root, { recursive: true });
  return ModelRegistry.fromObject({ root: ".", default: "tiny", ...(mirror ? { endpoints: { huggingFace: mirror } } : {}), models: { tiny: { path: "models/tiny.gguf", uri: "hf:test-org/tiny-GGUF/tiny.gguf", ...entry } } }, root);
}

describe("models pull from a loopback mirror", () => {
  it("maps hf: URIs the way node-llama-cpp does", () => {
    expect(sourceUrl("hf:a/b/c/d.gguf", "http://m/")).toBe("http://m/a/b/resolve/main/c/d.gguf");
    expect(sourceUrl("hf:a/b/d.gguf#dev", "http://m/")).toBe("http://m/a/b/resolve/dev/d.gguf");
    expect(sourceUrl("https://x/y.gguf", "http://m/")).toBe("https://x/y.gguf");
  });

  it("pulls, verifies against the registry's sha256 and puts the file in place; a second pull finds it present", async () => {
    const mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture } });
    try {
      const reg = registry(join(dir, "ok"), { sha256: fixtureSha, size: statSync(fixture).size }, mirror.url);
      const lock = ModelLock.read(reg.lockPath);
      const stages = new Set<string>();
      const result = await pullModel(reg.entry("tiny")!, { lock, hfEndpoint: reg.endpoints.huggingFace, onProgress: (p) => stages.add(p.stage) });
      expect(result).toMatchObject({ status: "pulled", sha256: fixtureSha, checkedAgainst: "configs/models.yaml", bytes: statSync(fixture).size });
      expect(await sha256File(reg.resolveModel("tiny"))).toBe(fixtureSha);
      expect([...stages]).toEqual(["probe", "download", "verify"]);
      expect(isMarkedVerified(reg.entry("tiny")!, ModelLock.read(reg.lockPath))).toBe(true);
      const again = await pullModel(reg.entry("tiny")!, { lock, hfEndpoint: reg.endpoints.huggingFace });
      expect(again.status).toBe("present");
    } finally {
      await mirror.close();
    }
  });

  it("without a known sha256 pins the first pull (trust on first use) and refuses a different file later", async () => {
    const other = writeTinyLlamaGguf(join(dir, "other.gguf"), { seed: 4, embeddingLength: 128, feedForwardLength: 256 }).filePath;
    const files: Record<string, string> = { [HF_PATH]: fixture };
    const mirror = await LoopbackMirror.start({ files });
    try {
      const reg = registry(join(dir, "tofu"), {}, mirror.url);
      const first = await pullModel(reg.entry("tiny")!, { lock: ModelLock.read(reg.lockPath), hfEndpoint: mirror.url });
      expect(first.checkedAgainst).toBe("pinned now");
      expect(ModelLock.read(reg.lockPath).get("tiny")).toMatchObject({ sha256: fixtureSha, size: statSync(fixture).size });
      rmSync(reg.resolveModel("tiny"));
      files[HF_PATH] = other; // the source changed under the same name
      const error = await pullModel(reg.entry("tiny")!, { lock: ModelLock.read(reg.lockPath), hfEndpoint: mirror.url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChecksumMismatchError);
      expect((error as Error).message).toMatch(/expected [0-9a-f]{64} from lock/);
      expect(existsSync(reg.resolveModel("tiny"))).toBe(false);
      const kept = readdirSync(join(dir, "tofu", "models", ".rejected"));
      expect(kept).toHaveLength(1);
      expect(await sha256File(join(dir, "tofu", "models", ".rejected", kept[0]!))).toBe(await sha256File(other));
    } finally {
      await mirror.close();
    }
  });

  it("refuses a wrong checksum: the file is kept aside, not moved into place", async () => {
    const mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture } });
    try {
      const reg = registry(join(dir, "bad"), { sha256: "0".repeat(64) }, mirror.url);
      const error = await pullModel(reg.entry("tiny")!, { lock: ModelLock.read(reg.lockPath), hfEndpoint: mirror.url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChecksumMismatchError);
      expect((error as Error).message).toMatch(/NOT put in place and is kept aside at .*\.rejected/);
      expect(existsSync(reg.resolveModel("tiny"))).toBe(false);
      expect(readdirSync(join(dir, "bad", "models", ".rejected"))).toHaveLength(1);
    } finally {
      await mirror.close();
    }
  });

  it("resumes an interrupted transfer instead of starting over", async () => {
    // Big enough that the downloader has flushed whole chunks (5 MB each) when the pull is stopped.
    const big = writeTinyLlamaGguf(join(dir, "big.gguf"), { seed: 5, embeddingLength: 256, feedForwardLength: 1024, blockCount: 4 }).filePath;
    const bigSha = await sha256File(big);
    const size = statSync(big).size;
    const slow = await LoopbackMirror.start({ files: { [HF_PATH]: big }, bytesPerSecond: 10_000_000 });
    const reg = registry(join(dir, "resume"), { sha256: bigSha }, slow.url);
    const lock = ModelLock.read(reg.lockPath);
    const stop = new AbortController();
    let got = 0;
    try {
      const error = await pullModel(reg.entry("tiny")!, {
        lock,
        hfEndpoint: slow.url,
        signal: stop.signal,
        onProgress: (p) => {
          got = p.downloadedBytes;
          if (p.stage === "download" && p.downloadedBytes >= size * 0.6) stop.abort();
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/cancelled; the next pull resumes it/);
    } finally {
      await slow.close();
    }
    expect(got).toBeGreaterThanOrEqual(size * 0.6);
    expect(existsSync(reg.resolveModel("tiny"))).toBe(false);
    expect(readdirSync(join(dir, "resume", "models", ".download")).some((f) => f.endsWith(".ipull"))).toBe(true);
    const fast = await LoopbackMirror.start({ files: { [HF_PATH]: big } });
    try {
      const result = await pullModel(reg.entry("tiny")!, { lock, hfEndpoint: fast.url });
      expect(result).toMatchObject({ status: "pulled", sha256: bigSha });
      // Only what was missing came over the wire the second time.
      expect(fast.bytesServed, JSON.stringify(fast.requests)).toBeLessThan(size * 0.75);
    } finally {
      await fast.close();
    }
  });

  it("survives a connection cut mid-transfer", async () => {
    const size = statSync(fixture).size;
    const mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture }, cutAfterBytes: Math.floor(size / 3), cutRequests: 2 });
    try {
      const reg = registry(join(dir, "cut"), { sha256: fixtureSha }, mirror.url);
      const lock = ModelLock.read(reg.lockPath);
      let result = await pullModel(reg.entry("tiny")!, { lock, hfEndpoint: mirror.url, stallTimeoutMs: 5000 }).catch((e: unknown) => e);
      if (result instanceof Error) result = await pullModel(reg.entry("tiny")!, { lock, hfEndpoint: mirror.url });
      expect(result).toMatchObject({ status: "pulled", sha256: fixtureSha });
    } finally {
      await mirror.close();
    }
  });

  it("a dead server gives the offline message within the probe timeout; a missing file names the uri", async () => {
    const port = await deadPort();
    const reg = registry(join(dir, "dead"), {}, `http://127.0.0.1:${port}/`);
    const t0 = performance.now();
    const error = await pullModel(reg.entry("tiny")!, { lock: ModelLock.read(reg.lockPath), hfEndpoint: reg.endpoints.huggingFace, probeTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(error).toBeInstanceOf(ModelOfflineError);
    expect((error as Error).message).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*looks offline.*HF_ENDPOINT/);

    const mirror = await LoopbackMirror.start({ files: {} });
    try {
      const missing = await pullModel(reg.entry("tiny")!, { lock: ModelLock.read(reg.lockPath), hfEndpoint: mirror.url }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ModelSourceError);
      expect((missing as Error).message).toMatch(/HTTP 404 \(no such file: check the uri/);
    } finally {
      await mirror.close();
    }
  });
});

describe("registry sources", () => {
  it("validates uri, sha256, default and unquantized links", () => {
    expect(() => ModelRegistry.fromObject({ models: { a: { path: "a.gguf", uri: "ftp://x" } } }, "/r")).toThrow(/uri is hf:owner/);
    expect(() => ModelRegistry.fromObject({ models: { a: { path: "a.gguf", sha256: "abc" } } }, "/r")).toThrow(/64 hex digits/);
    expect(() => ModelRegistry.fromObject({ default: "b", models: { a: { path: "a.gguf" } } }, "/r")).toThrow(/default: b is not one of models/);
    expect(() => ModelRegistry.fromObject({ models: { a: { path: "a.gguf", unquantized: "z" } } }, "/r")).toThrow(/unquantized: z/);
    writeFileSync(join(dir, "x"), "");
  });
});
