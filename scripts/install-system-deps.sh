#!/usr/bin/env bash
# Installs the Debian packages that the ROS 2 checks need on a fresh Debian bookworm machine:
#   - colcon + ament_cmake: `scripts/colcon-build.sh` builds ros_ws and checks the install tree;
#   - python3-rosidl (rosidl_adapter): rclnodejs's generator parses .msg/.srv through it for
#     `scripts/typecheck-rclnodejs.sh`;
#   - cmake and make (the package is `project(... NONE)`: no compiler is needed without rosidl).
# No ROS 2 runtime (rcl, rmw, launch_ros) is packaged by Debian; see docs/ros2.md.
# Idempotent and quiet: it skips apt entirely when everything is already installed.
set -euo pipefail

packages=(
  colcon
  python3-colcon-cmake
  python3-colcon-ros
  python3-colcon-bash
  python3-colcon-package-selection
  python3-colcon-parallel-executor
  python3-colcon-output
  python3-colcon-recursive-crawl
  python3-colcon-defaults
  python3-colcon-library-path
  python3-colcon-metadata
  python3-colcon-pkg-config
  ament-cmake
  ament-cmake-core
  python3-ament-package
  python3-ament-index
  python3-catkin-pkg
  python3-rosidl
  python3-empy
  python3-lark
  cmake
  make
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-system-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-system-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system-deps: done"
