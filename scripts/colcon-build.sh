#!/usr/bin/env bash
# Builds the colcon workspace ros_ws/ (its src/embodied_assistant links to the repository root)
# with Debian's colcon and ament_cmake, installing to ros_ws/install/embodied_assistant.
# test/colcon-install.test.ts then checks the installed tree.
#   scripts/colcon-build.sh                      # symlinked node_modules (fast; the default)
#   scripts/colcon-build.sh --cmake-args -DEMBODIED_ASSISTANT_NODE_MODULES=copy
# Extra arguments go to `colcon build`. Needs scripts/install-system-deps.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's colcon and its python3 must win over a pyenv shim.
export PATH="/usr/bin:$PATH"
command -v colcon >/dev/null || { echo "colcon-build: colcon not found; run scripts/install-system-deps.sh" >&2; exit 2; }
if [ ! -L "$ROOT/ros_ws/src/embodied_assistant" ]; then
  echo "colcon-build: ros_ws/src/embodied_assistant must be a symlink to the repository root (../..)" >&2
  exit 2
fi
cd "$ROOT/ros_ws"
# Building from scratch keeps the check honest (a stale install cannot hide a broken CMakeLists.txt);
# the package has nothing to compile, so this takes seconds.
rm -rf build install log
colcon build --event-handlers console_cohesion+ summary+ --packages-select embodied_assistant "$@"
echo "colcon-build: installed to ros_ws/install/embodied_assistant"
