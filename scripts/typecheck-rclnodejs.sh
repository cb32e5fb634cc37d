#!/usr/bin/env bash
# Strict type check of the rclnodejs adapter (src/ros/rclnodejs/**) against rclnodejs's REAL
# declarations, with message typings generated from this package's msg/ and srv/.
#
# Why this is more than `tsc`: rclnodejs ships types/*.d.ts, but types/interfaces.d.ts (every
# message and service type) is generated at its postinstall from the interface files of a sourced
# ROS 2. Without it strict tsc fails, and skipLibCheck would silently turn every message into `any`.
# So this script:
#   1. installs rclnodejs (the version range in package.json's optionalDependencies) with
#      --ignore-scripts into .typecheck-ros/ (git-ignored), so nothing native is built;
#   2. lays out an ament prefix (.typecheck-ros/prefix/share/<pkg>/{msg,srv}/* plus the
#      rosidl_interfaces ament index) from msg/, srv/, third_party/ros_interfaces/<pkg>/ and
#      third_party/ros_interfaces/typecheck_only/<pkg>/ (standard interfaces rclnodejs's own
#      declarations reference);
#   3. runs rclnodejs's own generator (rosidl_gen + rostsd_gen; it parses through rosidl_adapter
#      from Debian's python3-rosidl) with AMENT_PREFIX_PATH pointing at that prefix;
#   4. runs `tsc -p tsconfig.rclnodejs.json` (strict, no skipLibCheck).
# Steps 1-3 are cached by a hash of their inputs. Extra arguments go to tsc, e.g.
#   scripts/typecheck-rclnodejs.sh -p some/other/tsconfig.json
# Needs: node, npm (registry access the first time), /usr/bin/python3 with rosidl_adapter
# (scripts/install-system-deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/.typecheck-ros"
PREFIX="$WORK/prefix"
RCL="$WORK/node_modules/rclnodejs"
cd "$ROOT"

log() { echo "typecheck-rclnodejs: $*" >&2; }

# Debian's python3 (with rosidl_adapter) must win over a pyenv shim.
export PATH="/usr/bin:$PATH"
if ! python3 -c "import rosidl_adapter" 2>/dev/null; then
  log "python3 cannot import rosidl_adapter; run scripts/install-system-deps.sh (Debian package python3-rosidl)"
  exit 2
fi

spec="$(node -e 'const p=require("./package.json");process.stdout.write((p.optionalDependencies||{}).rclnodejs||p.dependencies?.rclnodejs||"^2.2.0")')"

# ---- 1. rclnodejs with its declarations, no install scripts ----
mkdir -p "$WORK"
if [ ! -f "$WORK/package.json" ]; then
  echo '{ "name": "typecheck-ros", "private": true, "description": "rclnodejs declarations for scripts/typecheck-rclnodejs.sh; git-ignored" }' >"$WORK/package.json"
fi
installed="$(node -e 'try{process.stdout.write(require(process.argv[1]).version)}catch{}' "$RCL/package.json")"
if [ -z "$installed" ] || [ "$(cat "$WORK/.spec" 2>/dev/null)" != "$spec" ]; then
  log "installing rclnodejs@$spec with --ignore-scripts into .typecheck-ros/"
  (cd "$WORK" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "rclnodejs@$spec" >/dev/null)
  echo "$spec" >"$WORK/.spec"
  installed="$(node -e 'process.stdout.write(require(process.argv[1]).version)' "$RCL/package.json")"
  rm -f "$WORK/.inputs.sha"
fi

# ---- 2. an ament prefix with the interface files ----
inputs_sha="$( (echo "rclnodejs $installed"; find msg srv third_party/ros_interfaces -type f \( -name '*.msg' -o -name '*.srv' \) -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)"
if [ -f "$RCL/types/interfaces.d.ts" ] && [ "$(cat "$WORK/.inputs.sha" 2>/dev/null)" = "$inputs_sha" ]; then
  log "message typings up to date (rclnodejs $installed)"
else
  rm -rf "$PREFIX"
  index="$PREFIX/share/ament_index/resource_index"
  mkdir -p "$index/rosidl_interfaces" "$index/packages"
  add_package() { # add_package NAME SOURCE_DIR: copies SOURCE_DIR/{msg,srv}/* and indexes them
    local pkg="$1" src="$2" kind f
    for kind in msg srv; do
      [ -d "$src/$kind" ] || continue
      mkdir -p "$PREFIX/share/$pkg/$kind"
      for f in "$src/$kind"/*."$kind"; do
        [ -e "$f" ] || continue
        cp "$f" "$PREFIX/share/$pkg/$kind/"
        echo "$kind/$(basename "$f")" >>"$index/rosidl_interfaces/$pkg"
      done
    done
    touch "$index/packages/$pkg"
  }
  add_package embodied_assistant "$ROOT"
  for dir in third_party/ros_interfaces/*/ third_party/ros_interfaces/typecheck_only/*/; do
    pkg="$(basename "$dir")"
    [ "$pkg" = typecheck_only ] && continue
    add_package "$pkg" "$ROOT/$dir"
  done

  # ---- 3. rclnodejs's own generator: generated/*.js, then types/interfaces.d.ts ----
  log "generating message typings with rclnodejs $installed's generator"
  rm -f "$RCL/types/interfaces.d.ts"
  gen_log="$WORK/generate.log"
  if ! (AMENT_PREFIX_PATH="$PREFIX" node "$ROOT/scripts/rclnodejs-generate-typings.cjs" "$RCL") >"$gen_log" 2>&1; then
    cat "$gen_log" >&2; log "rclnodejs's generator failed"; exit 1
  fi
  # The generator catches its own errors and exits 0, so check its product.
  if [ ! -s "$RCL/types/interfaces.d.ts" ] || ! grep -q "'embodied_assistant/msg/ActionEvent'" "$RCL/types/interfaces.d.ts"; then
    cat "$gen_log" >&2; log "types/interfaces.d.ts was not generated (see the log above)"; exit 1
  fi
  echo "$inputs_sha" >"$WORK/.inputs.sha"
fi

# ---- 4. strict tsc against the real declarations ----
if [ "$#" -eq 0 ]; then set -- -p tsconfig.rclnodejs.json; fi
log "tsc $*"
node "$ROOT/node_modules/typescript/bin/tsc" --noEmit "$@"
log "OK: the rclnodejs adapter type-checks against rclnodejs $installed with generated message typings"
