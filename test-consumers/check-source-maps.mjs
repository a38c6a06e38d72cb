// Fails when a shipped source map (.js.map or .d.ts.map) names a source file the package does not ship,
// or a map that a .js/.d.ts points to is missing: maps that point nowhere only mislead debuggers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const problems = [];
let maps = 0;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

for (const file of files(root)) {
  if (file.endsWith('.map')) {
    maps += 1;
    const map = JSON.parse(readFileSync(file, 'utf8'));
    for (const source of map.sources ?? []) {
      const target = resolve(dirname(file), map.sourceRoot ?? '', source);
      if (!existsSync(target)) problems.push(`${relative(root, file)} names ${source}, which is not in the package`);
    }
  } else if (/\.(c|m)?js$|\.d\.(c|m)?ts$/.test(file)) {
    const reference = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, 'utf8'));
    if (reference !== null && !reference[1].startsWith('data:') && !existsSync(resolve(dirname(file), reference[1]))) {
      problems.push(`${relative(root, file)} points to ${reference[1]}, which is not in the package`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.slice(0, 20).join('\n'));
  console.error(`${problems.length} unresolved source-map references`);
  process.exit(1);
}
console.log(`${maps} source maps, every source shipped`);
