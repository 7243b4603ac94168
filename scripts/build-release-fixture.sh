#!/usr/bin/env bash
# Builds the app as it was at COMMIT, the way a release is built, into DIR:
# a release kept as a test fixture, which tests/upgrade.rs runs beside this
# build (a device that has not updated yet). The compressed twins are left
# out; the server then sends each file as it is.
# Usage: scripts/build-release-fixture.sh COMMIT DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 COMMIT DIR" >&2; exit 2; }
commit=$1
out=$(realpath -m "$2")
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"
tree=$(mktemp -d)
git -C "$root" worktree add --detach "$tree" "$commit" >&2
trap 'git -C "$root" worktree remove --force "$tree"' EXIT
# A target directory of its own, so this build never waits on the
# workspace's or leaves it half rebuilt.
(cd "$tree" && CARGO_TARGET_DIR="$root/target/release-fixture" trunk build --release --skip-version-check)
rm -rf "$out"
mkdir -p "$out"
find "$tree/dist" -maxdepth 1 -type f ! -name '*.br' ! -name '*.gz' -exec cp {} "$out" \;
echo "built $(git -C "$root" rev-parse "$commit") into $out" >&2
