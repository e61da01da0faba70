#!/usr/bin/env bash
# Runs every yastack test on this machine, from nothing: sets up the host
# (packages, hugepages), builds the Release and the sanitizer (ASan +
# UBSan) trees, and runs one ctest over both, ending with ctest's summary.
#
#   tests/run.sh [ctest arguments...]     e.g. tests/run.sh -L unit
#
# Must run as root (hugepages, network namespaces). Build trees:
# build/release and build/asan. YS_JOBS sets build parallelism.
set -euo pipefail
cd "$(dirname "$(realpath "$0")")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: must run as root (hugepages, namespaces)" >&2
	exit 1
fi

deploy/setup-host.sh
jobs=${YS_JOBS:-$(nproc)}

cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DYS_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release \
	-DYS_SANITIZER_BUILD_DIR="$PWD/build/asan" >/dev/null
cmake --build build/release -j "$jobs"

cd build/release
exec ctest --output-on-failure "$@"
