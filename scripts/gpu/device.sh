#!/usr/bin/env bash
# Runs ON the GPU machine (device tool), from the repository root, after scripts/gpu/prepare-carry.sh ran
# here. Call it with carry [".gpu-carry"]:   bash scripts/gpu/device.sh
# Steps: probe the machine; unpack Node and the pruned node_modules; put a libggml-cuda.so for sm_90
# into node-llama-cpp's CUDA prebuilt folder (the carried one if .gpu-carry/libggml-cuda-sm90.so.xz
# exists, else built here from the bundled llama.cpp source: ggml-cuda target only, ~150 .cu files);
# then the fallback benchmark (scripts/gpu/lora-bench.mjs) and, if it exists, bench/dialogue.ts.
# Everything worth keeping goes to $OUT (at most 8 files come back).
# Env: SKIP_FALLBACK=1 skips lora-bench; SKIP_DIALOGUE=1 skips bench/dialogue.ts;
#      DIALOGUE_VARIANTS (';'-separated argument sets, default "--real-size --gpu"); FALLBACK_SHAPES (default "tinyllama base134m");
#      FALLBACK_FLASH (default "auto off"); FALLBACK_ARGS (more lora-bench options, e.g. --merged);
#      EXTRA_CMDS (run with eval after the fallback bench); BUILD_TIMEOUT (s, default 450).
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
C=.gpu-carry
LOG="$OUT/device.log"
exec > >(tee -a "$LOG") 2>&1
T0=$(date +%s)
step() { echo; echo "=== [$(( $(date +%s) - T0 ))s] $*"; }

step probe
date -u; uname -srm
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv || true
nvcc --version | tail -2; cmake --version | head -1; echo "ninja $(ninja --version)"; gcc --version | head -1
echo "cpus $(nproc)"; free -g | head -2; df -h / /tmp | tail -n +1
ldconfig -p | grep -E 'libcublas\.so|libcudart\.so|libnvidia-ml\.so|libcuda\.so' | head
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
ls "$C"

step node
mkdir -p /tmp/nodebin
xz -dc "$C/node.xz" > /tmp/nodebin/node && chmod +x /tmp/nodebin/node
export PATH=/tmp/nodebin:$PATH
node --version || { echo "node does not run here"; exit 2; }

step node_modules
if [ ! -d node_modules/node-llama-cpp ]; then tar -xJf "$C/node_modules.tar.xz" || exit 3; fi
du -sh node_modules

# CUDA runtime libraries: the toolkit's (what the build links against) first, then pip's nvidia-*.
CUDA_LIBS=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
         $(dirname "$(find / -xdev -name 'libcublas.so.13*' -not -path '/proc/*' 2>/dev/null | head -1)" 2>/dev/null) \
         $(dirname "$(ldconfig -p | grep -m1 'libnvidia-ml.so.1' | awk '{print $NF}')" 2>/dev/null) \
         /usr/local/nvidia/lib64; do
    [ -d "$d" ] && CUDA_LIBS="$CUDA_LIBS:$d"
done
export LD_LIBRARY_PATH="${CUDA_LIBS#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

step libggml-cuda
BIN=node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda
if [ -s "$C/libggml-cuda-sm90.so.xz" ]; then
    echo "using carried libggml-cuda-sm90.so.xz"
    xz -dc "$C/libggml-cuda-sm90.so.xz" > "$BIN/libggml-cuda.so"
else
    rm -rf /tmp/ggml && mkdir -p /tmp/ggml && tar -xJf "$C/ggml-src.tar.xz" -C /tmp/ggml
    # Same source as the prebuilt (node-llama-cpp's bundled llama.cpp), so the plugin ABI matches the
    # prebuilt libggml-base.so. GRAPHS=ON as in a llama.cpp-rooted build (the prebuilt's).
    # ggml as a subproject (as in llama.cpp's own tree): standalone mode wants tests/, examples/, ggml.pc.in
    # No versioned soname and RUNPATH $ORIGIN, as node-llama-cpp's own CMakeLists sets: the plugin must
    # need plain libggml-base.so (the prebuilt's, already loaded by llama-addon.node), not a libggml-base.so.0.
    printf '%s\n' 'cmake_minimum_required(VERSION 3.18)' 'project(ggmlwrap C CXX)' \
        'set(CMAKE_PLATFORM_NO_VERSIONED_SONAME ON)' 'set(CMAKE_BUILD_RPATH_USE_ORIGIN ON)' \
        'set(CMAKE_SKIP_BUILD_RPATH FALSE)' 'set(CMAKE_BUILD_RPATH "$ORIGIN")' 'add_subdirectory(ggml)' > /tmp/ggml/CMakeLists.txt
    cmake -S /tmp/ggml -B /tmp/ggml/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_NATIVE=OFF -DGGML_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES=90-real -DGGML_CUDA_GRAPHS=ON -DGGML_CUDA_NCCL=OFF \
        -DGGML_CCACHE=OFF -DGGML_OPENMP=OFF > /tmp/ggml/configure.log 2>&1 \
        || { tail -60 /tmp/ggml/configure.log | tee "$OUT/build-tail.log"; exit 4; }
    grep -E 'CUDA Toolkit|CUDA_ARCHITECTURES|CUDA compiler' /tmp/ggml/configure.log
    TB=$(date +%s)
    timeout "${BUILD_TIMEOUT:-450}" ninja -C /tmp/ggml/build -j"$(nproc)" ggml-cuda > /tmp/ggml/build.log 2>&1
    rc=$?
    echo "ninja rc=$rc in $(( $(date +%s) - TB ))s"; tail -5 /tmp/ggml/build.log
    [ $rc -eq 0 ] || { tail -60 /tmp/ggml/build.log > "$OUT/build-tail.log"; exit 5; }
    SO=$(find /tmp/ggml/build -name 'libggml-cuda.so' | head -1)
    ls -la "$SO"; readelf -d "$SO" | grep -E 'NEEDED|RUNPATH'
    cp "$SO" "$BIN/libggml-cuda.so"
    xz -T0 -6 -c "$SO" > "$OUT/libggml-cuda-sm90.so.xz"; ls -la "$OUT/libggml-cuda-sm90.so.xz"
    # files over 16 MB do not come back from $OUT: split (join with cat on this side)
    if [ "$(stat -c %s "$OUT/libggml-cuda-sm90.so.xz")" -gt 16000000 ]; then
        split -b 15000000 -d "$OUT/libggml-cuda-sm90.so.xz" "$OUT/libggml-cuda-sm90.so.xz.part" && rm "$OUT/libggml-cuda-sm90.so.xz"
    fi
fi
readelf -d "$BIN/libggml-cuda.so" | grep -E 'NEEDED.*ggml|RUNPATH'
if readelf -d "$BIN/libggml-cuda.so" | grep -q 'libggml-base.so\.0'; then echo "libggml-cuda.so needs libggml-base.so.0: rebuild or patch (see prepare-carry.sh)"; exit 6; fi
export LD_LIBRARY_PATH="$PWD/$BIN:$LD_LIBRARY_PATH"
ldd "$BIN/libggml-cuda.so" | grep -E 'not found|cublas|cudart|ggml' || true

step "node-llama-cpp CUDA check"
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
if ! timeout 120 node scripts/gpu/cuda-check.mjs cuda; then
    echo "CUDA check failed; again with debug logs"
    NODE_LLAMA_CPP_DEBUG=true NODE_LLAMA_CPP_BINDING_TEST_LOG_LEVEL=debug timeout 120 node scripts/gpu/cuda-check.mjs cuda 2>&1 | tail -60
fi

if [ "${SKIP_FALLBACK:-0}" != 1 ]; then
    for shape in ${FALLBACK_SHAPES:-tinyllama base134m}; do
        for fa in ${FALLBACK_FLASH:-auto off}; do
            step "lora-bench $shape flash=$fa"
            timeout 240 node scripts/gpu/lora-bench.mjs --shape "$shape" --vocab "$C/ggml-vocab-llama-spm.gguf" \
                --gpu cuda --dir /tmp/gpu-bench --prompt 128 --gen 128 --reps 5 --counts 0,1,3,8 --flash "$fa" ${FALLBACK_ARGS:-} \
                > "/tmp/lora-bench-$shape-$fa.out" 2> "/tmp/lora-bench-$shape-$fa.err"
            echo "rc=$?"; tail -3 "/tmp/lora-bench-$shape-$fa.err"; tail -8 "/tmp/lora-bench-$shape-$fa.out"
            cat "/tmp/lora-bench-$shape-$fa.out" >> "$OUT/lora-bench.jsonl.txt"
        done
    done
fi
# Extra commands in this environment (node, LD_LIBRARY_PATH set), e.g. more lora-bench variants.
if [ -n "${EXTRA_CMDS:-}" ]; then step "extra: $EXTRA_CMDS"; eval "$EXTRA_CMDS"; fi
rm -f /tmp/gpu-bench/*.gguf  # free the disk before the dialogue bench writes its own model

if [ "${SKIP_DIALOGUE:-0}" != 1 ] && [ -f bench/dialogue.ts ]; then
    # The fixture writers graft the real 32k vocabulary from a git-ignored cache that they fill from
    # node-llama-cpp's source bundle (not carried); the same file is in the carry.
    mkdir -p test/fixtures/gguf/.cache && cp -n "$C/ggml-vocab-llama-spm.gguf" test/fixtures/gguf/.cache/ 2>/dev/null
    # DIALOGUE_VARIANTS: argument sets separated by ';' (default: DIALOGUE_ARGS or "--real-size --gpu")
    IFS=';' read -r -a VARIANTS <<< "${DIALOGUE_VARIANTS:-${DIALOGUE_ARGS:---real-size --gpu}}"
    i=0
    for v in "${VARIANTS[@]}"; do
        i=$((i + 1))
        step "bench/dialogue.ts $v"
        # shellcheck disable=SC2086
        timeout "${DIALOGUE_TIMEOUT:-400}" node --import tsx bench/dialogue.ts $v \
            > "$OUT/dialogue-bench-$i.out.txt" 2> "$OUT/dialogue-bench-$i.err.txt"
        echo "rc=$?"; tail -25 "$OUT/dialogue-bench-$i.err.txt"; tail -3 "$OUT/dialogue-bench-$i.out.txt"
    done
elif [ "${SKIP_DIALOGUE:-0}" != 1 ]; then
    echo "bench/dialogue.ts not present in this tree"
fi
nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu,memory.used --format=csv || true
step done
