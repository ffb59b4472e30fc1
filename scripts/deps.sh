#!/usr/bin/env bash
# Installs the Debian 12 packages vkcalib builds and tests with (plus any
# named as arguments: scripts/test.sh adds chromium for the report test; Open
# MPI is for the optional -DVKC_MPI=ON build, which the tests use; python3-onnx,
# node/npm, ImageMagick and its fonts are for the ONNX tests; python3-torch,
# pip, setuptools and wheel for the Python package's tests). Skips
# apt-get entirely when all are present; uses sudo when not root.
set -euo pipefail
pkgs=(cmake make gcc clang libclang-rt-14-dev pkg-config
      libvulkan-dev libvulkan-volk-dev glslang-tools spirv-tools
      mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
      zlib1g-dev python3-numpy libopenmpi-dev openmpi-bin
      python3-onnx imagemagick fonts-dejavu-core
      python3-torch python3-pip python3-setuptools python3-wheel "$@")
# node and npm by command: a Node.js from elsewhere (nodesource's bundles
# npm) must not be replaced by Debian's, which would conflict with it.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
