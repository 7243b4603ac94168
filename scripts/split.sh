#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml): for a release build, moves the pages
# of src/lazy.rs into wasm modules the browser fetches when they first open
# (ADR 17). Trunk 0.21 has no step for this, so the hook redoes what Trunk
# did after linking, on the staged files, under the names Trunk chose:
#   wasm-split   the linked module -> the main module, one module per page
#                and __wasm_split.js, their loader;
#   wasm-bindgen the main module (keeping the table the pages import);
#   wasm-opt     every module.
# Each file gets a content hash in its name, as Trunk's own do, so the
# service worker's cache-first rule never serves a stale one; index.html
# lists the page modules for the service worker to keep for offline use.
# Last, the scripts are minified (esbuild), and every file gets a gzip twin
# (zopfli: about 5% smaller than gzip -9) and a brotli one, which the server
# sends to browsers that accept them (ADR 19).
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = release ] || exit 0

staging="$TRUNK_STAGING_DIR"
target="${CARGO_TARGET_DIR:-$TRUNK_SOURCE_DIR/target}"
linked="$target/wasm32-unknown-unknown/wasm-release/portal-ledger.wasm"
main_js=$(cd "$staging" && ls portal-ledger-*.js)
name="${main_js%.js}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

hashed() { # file stem ext -> stem-<hash>.ext
  echo "$2-$(sha256sum "$1" | cut -c1-16).$3"
}

wasm-split-cli "$linked" "$work/split" --out-name "$name"
wasm-bindgen --target web --keep-lld-exports --no-typescript \
  --out-dir "$work/bindgen" --out-name "$name" "$work/split/$name.wasm"
wasm-opt -Oz "$work/bindgen/${name}_bg.wasm" -o "$staging/${name}_bg.wasm"

loader="$work/split/__wasm_split.js"
lazy=()
for chunk in "$work"/split/*.wasm; do
  base=$(basename "$chunk" .wasm)
  [ "$base" = "$name" ] && continue
  wasm-opt -Oz "$chunk" -o "$work/$base.wasm"
  file=$(hashed "$work/$base.wasm" "$base" wasm)
  mv "$work/$base.wasm" "$staging/$file"
  sed -i "s|\"./$base.wasm\"|\"./$file\"|" "$loader"
  lazy+=("/$file")
done
loader_file=$(hashed "$loader" __wasm_split js)
cp "$loader" "$staging/$loader_file"
sed "s|from \"./__wasm_split.js\"|from \"./$loader_file\"|" "$work/bindgen/$name.js" > "$staging/$name.js"

# The service worker keeps these too (sw.js reads this line), in a cache
# named for the release: a hash of the main module and the loader (which
# names every page's module by its hash), so any change to the code moves it.
release=$(cat "$staging/${name}_bg.wasm" "$loader" | sha256sum | cut -c1-16)
sed -i "s|</head>|<meta name=\"release\" content=\"$release\"><meta name=\"lazy-modules\" content=\"/$loader_file ${lazy[*]}\"></head>|" \
  "$staging/index.html"

# The scripts are generated and read by no one: minified, they are a quarter
# smaller compressed.
for script in "$staging/$name.js" "$staging/$loader_file" "$staging/sw.js"; do
  esbuild --minify --log-level=error --allow-overwrite "$script" --outfile="$script"
done

for file in "$staging"/*.wasm "$staging"/*.js "$staging"/*.css "$staging"/*.html; do
  zopfli -c "$file" > "$file.gz"
  brotli -q 11 -f -o "$file.br" "$file"
done
