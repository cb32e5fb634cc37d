#!/usr/bin/env bash
# Builds llama.cpp's own tools (llama-quantize, llama-export-lora, llama-finetune, llama-perplexity)
# offline, from the llama.cpp source node-llama-cpp ships as a git bundle
# (node_modules/node-llama-cpp/llama/gitRelease.bundle). The build is cached under
# .cache/llama-tools/ (git-ignored); a second run with the same source is a no-op (a few seconds).
#
#   bash scripts/build-llama-tools.sh            # CPU build (what CI and this repository's tests use)
#   LLAMA_TOOLS_CMAKE_FLAGS="-DGGML_CUDA=ON" bash scripts/build-llama-tools.sh
#                                                # Jetson / NVIDIA: CUDA build (needs the CUDA toolkit)
#   LLAMA_TOOLS_JOBS=4 bash scripts/build-llama-tools.sh
#
# The code finds the binaries in .cache/llama-tools/build/bin, or wherever $EMBODIED_LLAMA_TOOLS_DIR
# points (src/core/llamaTools/locateLlamaTool.ts). Prints one progress line per build step on a
# terminal, and a line every 10 steps otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

BUNDLE="node_modules/node-llama-cpp/llama/gitRelease.bundle"
CACHE=".cache/llama-tools"
SRC="$CACHE/src"
BUILD="$CACHE/build"
TARGETS=(llama-quantize llama-export-lora llama-finetune llama-perplexity)
JOBS="${LLAMA_TOOLS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
EXTRA_FLAGS="${LLAMA_TOOLS_CMAKE_FLAGS:-}"

if [[ ! -f "$BUNDLE" ]]; then
  echo "build-llama-tools: $BUNDLE is missing; run npm install first (node-llama-cpp ships llama.cpp's source there)" >&2
  exit 1
fi
for tool in git cmake; do
  command -v "$tool" >/dev/null || { echo "build-llama-tools: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

mkdir -p "$CACHE"
# The bundle's head commit names the source; a different node-llama-cpp version means a fresh clone.
want="$(git bundle list-heads "$BUNDLE" | head -n1 | cut -d' ' -f1)"
have="$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo none)"
if [[ "$want" != "$have" ]]; then
  echo "build-llama-tools: cloning llama.cpp ${want:0:12} from the bundle into $SRC"
  rm -rf "$SRC" "$BUILD"
  git clone --quiet "$BUNDLE" "$SRC"
  git -C "$SRC" checkout --quiet "$want"
fi

started=$(date +%s)
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  # shellcheck disable=SC2086
  cmake -S "$SRC" -B "$BUILD" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=ON $EXTRA_FLAGS >"$CACHE/configure.log" 2>&1 \
    || { echo "build-llama-tools: cmake configure failed; see $CACHE/configure.log" >&2; tail -20 "$CACHE/configure.log" >&2; exit 1; }
fi

# Progress: ninja prints "[n/total] ..." per step; keep one line (terminal) or every 10th step (logs).
progress() {
  local tty=0 line n=0
  [[ -t 1 ]] && tty=1
  while IFS= read -r line; do
    echo "$line" >>"$CACHE/build.log"
    if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      n=$((n + 1))
      if ((tty)); then printf '\rbuild-llama-tools: step %s/%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}";
      elif ((n % 10 == 0)) || [[ "${BASH_REMATCH[1]}" == "${BASH_REMATCH[2]}" ]]; then echo "build-llama-tools: step ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"; fi
    fi
  done
  ((tty)) && echo
  return 0
}
: >"$CACHE/build.log"
set +e
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" 2>&1 | progress
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)); then
  echo "build-llama-tools: build failed (exit $rc); see $CACHE/build.log" >&2
  grep -m5 -i "error" "$CACHE/build.log" >&2 || tail -20 "$CACHE/build.log" >&2
  exit "$rc"
fi
for t in "${TARGETS[@]}"; do
  [[ -x "$BUILD/bin/$t" ]] || { echo "build-llama-tools: $BUILD/bin/$t was not produced" >&2; exit 1; }
done
echo "build-llama-tools: ${TARGETS[*]} ready in $BUILD/bin ($(( $(date +%s) - started )) s)"
