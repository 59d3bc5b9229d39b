#!/usr/bin/env bash
# Packs a folder of execution-spec-tests state-test fixtures into the archive the project carries
# (crates/conformance/testdata/eest-v4.1.0-state-tests.tar.zst, bundled into `mosaic conformance`), e.g.
#   scripts/pack-state-tests.sh ../shared/conformance/eest-state-tests/state_tests
# Reproducible: sorted names, fixed owner and mtime. Needs the `zstd` command (Debian package `zstd`).
set -euo pipefail
src=${1:?usage: scripts/pack-state-tests.sh FIXTURES_FOLDER [OUT.tar.zst]}
out=${2:-"$(dirname "$0")/../crates/conformance/testdata/eest-v4.1.0-state-tests.tar.zst"}
command -v zstd >/dev/null || { echo "zstd not found (apt-get install zstd)" >&2; exit 1; }
tar -C "$src" --sort=name --owner=0 --group=0 --numeric-owner --mtime=2025-03-11 -cf - . | zstd -19 -T0 -q -f -o "$out"
echo "$out: $(find "$src" -name '*.json' | wc -l) files, $(wc -c <"$out") bytes"
