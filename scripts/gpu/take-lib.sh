#!/usr/bin/env bash
# Takes the libggml-cuda.so that a device run built (scripts/gpu/device.sh wrote it to $OUT as
# libggml-cuda-sm90.so.xz, split into .partNN when over 16 MB) into .gpu-carry/, so that later runs
# skip the ~200 s build.   Usage: bash scripts/gpu/take-lib.sh /work/.device/<N>
# A library built before device.sh set CMAKE_PLATFORM_NO_VERSIONED_SONAME needs libggml-base.so.0 and
# has an absolute RUNPATH; it is patched in place (same-length edits of .dynstr) to need the
# prebuilt's plain libggml-base.so with RUNPATH $ORIGIN.
set -euo pipefail
SRC=${1:?directory with libggml-cuda-sm90.so.xz or its .partNN files}
cd "$(git rev-parse --show-toplevel)"
T=$(mktemp -d)
cat "$SRC"/libggml-cuda-sm90.so.xz* > "$T/lib.xz"
xz -dc "$T/lib.xz" > "$T/libggml-cuda.so"
python3 - "$T/libggml-cuda.so" <<'PY'
import sys, re
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
old = b"libggml-base.so.0\x00"
if b.count(old) == 1:
    i = b.index(old); b[i:i + len(old)] = b"libggml-base.so\x00\x00\x00"
m = re.search(rb"/tmp/ggml/build/ggml/src:?\x00", bytes(b))
if m:
    n = m.end() - m.start(); b[m.start():m.end()] = b"$ORIGIN" + b"\x00" * (n - 7)
open(p, "wb").write(b)
PY
readelf -d "$T/libggml-cuda.so" | grep -E 'NEEDED.*ggml|RUNPATH'
mkdir -p .gpu-carry
nice xz -6 -T1 -c "$T/libggml-cuda.so" > .gpu-carry/libggml-cuda-sm90.so.xz
rm -rf "$T"
ls -la .gpu-carry/libggml-cuda-sm90.so.xz
