// Builds the package: the ES module build in dist/ (what Node loads for both import and require, through
// the "module-sync" condition) and the CommonJS build in dist/cjs/ (for Jest and other loaders that
// cannot require an ES module). Starts from an empty dist/ so no stale file is ever packed.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
// Marks dist/cjs/*.js (and its .d.ts) as CommonJS for Node, TypeScript and bundlers alike.
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
