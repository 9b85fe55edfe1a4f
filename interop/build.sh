#!/usr/bin/env bash
# Build llama.cpp's llama-server from the llama.cpp source vendored in the llama-cpp-python sdist
# (PyPI), CPU only, server target only. Cached under $INTEROP_CACHE, keyed by the sdist version:
# a second run finds the binary and builds nothing. Prints the binary's path on its last line.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PIP=${PIP:-pip}
# The version pinned (with its hash) in requirements-server.txt.
VERSION=$(sed -n 's/^llama-cpp-python==\([^ ]*\) .*/\1/p' "$HERE/requirements-server.txt")
CACHE=${INTEROP_CACHE:-$HOME/.cache/extractor/interop}
ROOT="$CACHE/llama-cpp-python-$VERSION"
BIN="$ROOT/bin/llama-server"
JOBS=${INTEROP_JOBS:-2}

if [ -x "$BIN" ]; then
  echo "llama-server $VERSION: cached at $BIN" >&2
  echo "$BIN"
  exit 0
fi

for tool in cmake c++ make; do
  command -v "$tool" >/dev/null 2>&1 && continue
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing the build tools (cmake, g++, make) from Debian" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ make >/dev/null
    break
  fi
  echo "interop: '$tool' is needed to build llama-server (and this is not root, so it is not installed)" >&2
  exit 2
done

mkdir -p "$ROOT/dl"
SDIST=$(ls "$ROOT"/dl/llama_cpp_python-"$VERSION".tar.gz 2>/dev/null || true)
if [ -z "$SDIST" ]; then
  echo "downloading the llama-cpp-python $VERSION sdist from PyPI (a few minutes: pip prepares its metadata)" >&2
  "$PIP" download --quiet --no-binary :all: --no-deps --require-hashes -d "$ROOT/dl" \
    -r "$HERE/requirements-server.txt" >&2
  SDIST="$ROOT/dl/llama_cpp_python-$VERSION.tar.gz"
fi

rm -rf "$ROOT/src" "$ROOT/build"
mkdir -p "$ROOT/src"
tar -xzf "$SDIST" -C "$ROOT/src"
LLAMA="$ROOT/src/llama_cpp_python-$VERSION/vendor/llama.cpp"
# The llama.cpp commit the sdist vendors, as its changelog names it.
COMMIT=$(grep -o -m1 'ggml-org/llama.cpp@[0-9a-f]*' "$ROOT/src/llama_cpp_python-$VERSION/CHANGELOG.md" | cut -d@ -f2 || true)

echo "building llama-server (llama.cpp ${COMMIT:-unknown}) with -j$JOBS under nice: several minutes on 2 cores" >&2
start=$(date +%s)
# No UI (neither npm nor a prebuilt download), no TLS, no tests/examples: nothing is fetched at build time.
nice cmake -S "$LLAMA" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_LLGUIDANCE=OFF \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF \
  ${COMMIT:+-DLLAMA_BUILD_COMMIT=$COMMIT} >"$ROOT/cmake-configure.log" 2>&1 \
  || { tail -30 "$ROOT/cmake-configure.log" >&2; exit 1; }
nice cmake --build "$ROOT/build" --target llama-server -j "$JOBS" >"$ROOT/cmake-build.log" 2>&1 \
  || { tail -30 "$ROOT/cmake-build.log" >&2; exit 1; }

mkdir -p "$ROOT/bin"
cp "$ROOT/build/bin/llama-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
printf '{"llama_cpp_python": "%s", "llama_cpp_commit": "%s", "build_seconds": %s}\n' \
  "$VERSION" "${COMMIT:-unknown}" "$(( $(date +%s) - start ))" >"$ROOT/bin/build-info.json"
rm -rf "$ROOT/src" "$ROOT/build"
echo "built $BIN in $(( $(date +%s) - start )) s" >&2
echo "$BIN"
