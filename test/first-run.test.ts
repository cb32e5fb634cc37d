import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";
import { deadPort, LoopbackMirror } from "./fixtures/mirror/LoopbackMirror.js";

const root = join(import.meta.dirname, "..");
let dir: string;
let fixture: string;
const HF_PATH = "/test-org/tiny-GGUF/resolve/main/tiny.gguf";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "first-run-"));
  // Real 32k vocabulary, small and fast: replies are generated tokens, not model-free text.
  fixture = writeTinyLlamaGguf(join(dir, "served.gguf"), { seed: 12, embeddingLength: 64, feedForwardLength: 128 }).filePath;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A registry whose default model comes from `endpoint` and lands under `home`. */
function registryFile(home: string, endpoint: string): string {
  const file = join(home, "models.yaml");
  writeFileSync(file, stringify({ root: ".", default: "tinyllama-chat", endpoints: { huggingFace: endpoint }, models: { "tinyllama-chat": { path: "models/tiny.gguf", uri: "hf:test-org/tiny-GGUF/tiny.gguf" } } }));
  return file;
}

/** npm start (async spawn, so the loopback mirror in this process keeps serving). */
function start(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/start.ts"), ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm start: first run", () => {
  it("pulls the default model from the mirror and the demo replies with generated tokens", async () => {
    const mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture } });
    const home = mkdtempSync(join(dir, "home-"));
    try {
      // One thread on CPU: the 2-core test machines are shared, and the default thread count stalls tiny models there.
      const r = await start(["--demo", "--data-dir", join(home, "data"), "--models-file", registryFile(home, mirror.url), "--ros-args", "-p", "dialogue:threads:=1", "-p", "dialogue:gpu:=cpu", "-p", "dialogue:context_size:=512"]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stderr).toMatch(/first run: fetching the default model tinyllama-chat/);
      expect(r.stderr).toMatch(/model tinyllama-chat ready: .*tiny\.gguf \(sha256 pinned on this first pull\)/);
      expect(existsSync(join(home, "models", "tiny.gguf"))).toBe(true);
      expect(mirror.requests.some((q) => q.method === "GET" && q.path === HF_PATH)).toBe(true);
      const replies = r.stdout.split("\n").filter((l) => l.startsWith("assistant:"));
      expect(replies.length).toBeGreaterThan(0);
      expect(r.stdout).not.toMatch(/model-free/);
      expect(r.stdout).toMatch(/\b[1-9]\d* tokens in /);
    } finally {
      await mirror.close();
    }
  }, 180_000);

  it("a dead mirror: one line says how to get the model, and the assistant runs model-free", async () => {
    const home = mkdtempSync(join(dir, "dead-"));
    const t0 = performance.now();
    const r = await start(["--demo", "--data-dir", join(home, "data"), "--models-file", registryFile(home, `http://127.0.0.1:${await deadPort()}/`)]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("could not fetch model"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/looks offline.*Running model-free; get it with `npm run models -- pull tinyllama-chat`/);
    expect(r.stdout).toMatch(/assistant: \(model-free\)/);
    expect(performance.now() - t0).toBeLessThan(150_000);
  }, 180_000);

  it("--offline does not try the network", async () => {
    const mirror = await LoopbackMirror.start({ files: { [HF_PATH]: fixture } });
    const home = mkdtempSync(join(dir, "offline-"));
    try {
      const r = await start(["--demo", "--offline", "--data-dir", join(home, "data"), "--models-file", registryFile(home, mirror.url)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/--offline was given: running model-free/);
      expect(mirror.requests).toHaveLength(0);
    } finally {
      await mirror.close();
    }
  }, 180_000);
});
