export { locateLlamaTool, hasLlamaTool, llamaToolSearchDirs, defaultLlamaToolsBuildDir, LlamaToolMissingError, LLAMA_TOOLS_DIR_ENV, LLAMA_TOOL_NAMES, type LlamaToolName } from "./locateLlamaTool.js";
export { runLlamaTool, LlamaToolFailedError, type RunLlamaToolOptions } from "./runLlamaTool.js";
