// Loads node-llama-cpp with the given GPU type (default cuda) and prints what it found.
// (A file, not `node -e`: node-llama-cpp's binary test forks a child with the parent's execArgv.)
import { getLlama } from "node-llama-cpp";
const gpu = process.argv[2] === "false" ? false : (process.argv[2] ?? "cuda");
const llama = await getLlama({ gpu, build: "never" });
console.log("gpu:", llama.gpu, "build:", llama.buildType, "devices:", gpu ? await llama.getGpuDeviceNames() : [],
    "vram:", JSON.stringify(gpu ? await llama.getVramState() : null));
await llama.dispose();
