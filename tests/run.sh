#!/usr/bin/env bash
# Runs every yastack test on this machine, from nothing: sets up the host
# (packages, hugepages), builds the Release and the sanitizer (ASan +
# UBSan) trees, and runs one ctest over both, ending with ctest's summary.
#
#   tests/run.sh [ctest arguments...]     e.g. tests/run.sh -L unit
#
# Must run as root (hugepages, network namespaces). Build trees:
# build/release, build/asan and build/fuzz (clang-14, libFuzzer).
# YS_JOBS sets build parallelism.
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
# libFuzzer targets (tests/fuzz): clang, everything instrumented.
CC=clang-14 cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Release -DYS_SANITIZE=ON \
	-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build build/fuzz -j "$jobs" --target fuzz_ctl_request fuzz_stack fuzz_dispatch \
	fuzz_ctl_dispatch
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release \
	-DYS_SANITIZER_BUILD_DIR="$PWD/build/asan" \
	-DYS_FUZZ_BUILD_DIR="$PWD/build/fuzz" >/dev/null
cmake --build build/release -j "$jobs"

cd build/release
exec ctest --output-on-failure "$@"
