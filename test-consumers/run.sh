#!/usr/bin/env bash
# Packs the package and installs the tarball into small consumer projects, the way users get it, then runs
# them: ESM, CommonJS, CommonJS Jest 30, and TypeScript under module node16/nodenext (CommonJS and ESM),
# bundler and node10. Also lints the tarball with publint and @arethetypeswrong/cli, and checks that every
# shipped source map resolves to a shipped file.
#   test-consumers/run.sh [node-bin-dir …]   runs the consumers once per Node given (default: the one on PATH)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== packing (prepack builds)"
tarball="$work/$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
(cd "$root" && npx --no-install publint run "$tarball" --strict)
(cd "$root" && npx --no-install attw "$tarball" --format table-flipped --no-color)

echo "== source maps in the tarball resolve"
mkdir "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
node "$here/check-source-maps.mjs" "$work/unpacked/package"

echo "== installing the tarball into the consumer projects"
cp -R "$here/esm" "$here/cjs" "$here/jest" "$work/"
typescript="$(node -p "require('$root/node_modules/typescript/package.json').version")"
cat > "$work/package.json" <<JSON
{
  "private": true,
  "dependencies": {
    "attestation-gate": "file:./$(basename "$tarball")",
    "@types/node": "^20.19.0",
    "fastify": "^5.0.0",
    "jest": "^30.0.0",
    "typescript": "$typescript"
  }
}
JSON
(cd "$work" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)

# TypeScript: one project per module setting, each with the package.json type its output runs under.
tsc="$work/node_modules/typescript/bin/tsc"
variants="node16-cjs:commonjs nodenext-cjs:commonjs node16-esm:module nodenext-esm:module bundler:module node10:commonjs"
for variant in $variants; do
  name="${variant%%:*}"
  dir="$work/ts-$name"
  mkdir "$dir"
  cp "$here/ts/consumer.ts" "$here/ts/base.json" "$dir/"
  cp "$here/ts/$name.json" "$dir/tsconfig.json"
  echo "{ \"type\": \"${variant##*:}\" }" > "$dir/package.json"
  echo "== tsc ($name)"
  node "$tsc" -p "$dir/tsconfig.json"
done

run_all() {
  echo "== consumers on node $(node --version)"
  node "$work/esm/consumer.mjs"
  node "$work/cjs/consumer.cjs"
  for variant in $variants; do
    name="${variant%%:*}"
    node "$work/ts-$name/out/$name/consumer.js" "$name"
  done
  (cd "$work/jest" && node "$work/node_modules/jest/bin/jest.js" --ci --colors=false 2>&1)
}

if [ "$#" -eq 0 ]; then
  run_all
else
  for bin in "$@"; do PATH="$bin:$PATH" run_all; done
fi
echo "== consumers: all passed"
