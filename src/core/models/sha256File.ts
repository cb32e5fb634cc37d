import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** The sha256 of a file, streamed (a 2 GB model never sits in memory), as lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
