/**
 * Where a registry entry's bytes come from, and whether that place answers now. node-llama-cpp's
 * downloader neither fails nor returns against a port where nothing listens (checked: > 200 s),
 * so "offline" is decided here first, by one short request with a timeout.
 */
import { ModelOfflineError, ModelSourceError } from "./errors.js";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co/";

/** The Hugging Face endpoint in force: the registry's, else $HF_ENDPOINT / $MODEL_ENDPOINT, else huggingface.co. */
export function huggingFaceEndpoint(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = configured ?? env.HF_ENDPOINT ?? env.MODEL_ENDPOINT ?? DEFAULT_HF_ENDPOINT;
  return endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
}

/**
 * The http(s) URL of a source URI. `hf:owner/repo/path/file.gguf#branch` maps to
 * `<endpoint>owner/repo/resolve/<branch or main>/path/file.gguf`, as node-llama-cpp resolves it.
 */
export function sourceUrl(uri: string, hfEndpoint: string): string {
  if (!uri.startsWith("hf:")) return uri;
  const [spec, branch = "main"] = uri.slice(3).split("#") as [string, string?];
  const [owner, repo, ...file] = spec.split("/");
  if (!owner || !repo || file.length === 0) throw new ModelSourceError(uri, "an hf: URI needs owner/repo/file.gguf");
  return `${hfEndpoint}${owner}/${repo}/resolve/${branch}/${file.join("/")}`;
}

export interface ProbeResult {
  readonly url: string;
  /** Content-Length of the remote file, when the server says. */
  readonly size?: number;
}

/**
 * One HEAD request (redirects followed) with a timeout: resolves when the server answers 2xx,
 * throws ModelOfflineError when nothing answers in time and ModelSourceError for an HTTP error.
 */
export async function probeSource(url: string, timeoutMs: number): Promise<ProbeResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD", redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = (error as Error).name === "TimeoutError" ? `no answer within ${(timeoutMs / 1000).toFixed(1)} s` : describeFetchError(error);
    throw new ModelOfflineError(url, reason);
  }
  if (!response.ok) throw new ModelSourceError(url, `the server answered HTTP ${response.status}${response.status === 404 ? " (no such file: check the uri in configs/models.yaml)" : response.status === 401 || response.status === 403 ? " (access denied: the repository may be gated; set HF_TOKEN)" : ""}`);
  const length = Number(response.headers.get("content-length"));
  return { url, ...(Number.isFinite(length) && length > 0 ? { size: length } : {}) };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
