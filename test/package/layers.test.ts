/**
 * Folders import downward only: `npm run lint` refuses an import that goes up a layer or sideways
 * (LAYERS in eslint.config.js). Each case lints a one-line module, through ESLint's own API with the
 * project's configuration, as if it were the named file of src/ (an existing one: the type-aware rules
 * need the file in the TypeScript project).
 */
import { readdirSync } from 'node:fs';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { root } from './program.js';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The layering complaints about `import '<specifier>'` written in `file`. */
async function layerErrors(file: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import '${specifier}';\n`, { filePath: `${root}${file}` });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the import layering', () => {
  it.each([
    ['src/policy/evaluate.ts', '../verify/result.js', 'policy may not import verify, a layer above it'],
    ['src/sgx/quote.ts', '../keys/maa-quote.js', 'sgx may not import keys, a layer above it'],
    ['src/keys/import.ts', '../claims/catalog.js', 'keys may not import claims, beside it in the same layer'],
    ['src/binding/challenges.ts', '../possession/algorithms.js', 'binding may not import possession, beside it'],
    ['src/verify/bind.ts', '../binding/challenges.js', 'verify may not import binding, a layer above it'],
    ['src/gate/gate.ts', '../express/respond.js', 'gate may not import express, a layer above it'],
    ['src/adapters/koa.ts', '../express/middleware.js', 'adapters may not import express, beside it'],
    ['src/verify/time.ts', '../index.js', 'verify may not import index, a layer above it'],
    ['src/util/own.ts', '../token/parse.js', 'util may not import token, a layer above it'],
    ['src/errors.ts', './claims/catalog.js', 'errors may not import claims, a layer above it'],
  ])(
    'refuses %s importing %s',
    async (file, specifier, complaint) => {
      const errors = await layerErrors(file, specifier);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(complaint);
      expect(errors[0]).toContain('LAYERS in eslint.config.js');
    },
    60_000,
  );

  it.each([
    ['src/verify/time.ts', '../policy/index.js'],
    ['src/keys/maa-quote.ts', '../sgx/quote.js'],
    ['src/sgx/crl.ts', '../util/der.js'],
    ['src/util/rules.ts', '../errors.js'],
    ['src/errors.ts', './util/own.js'],
    ['src/policy/evaluate.ts', './compiled.js'],
    ['src/cli/verify.ts', '../index.js'],
    ['src/express/middleware.ts', '../gate/index.js'],
    ['src/binding/challenges.ts', '../verify/replay-store.js'],
  ])(
    'lets %s import %s',
    async (file, specifier) => {
      expect(await layerErrors(file, specifier)).toEqual([]);
    },
    60_000,
  );

  it('covers every folder and top-level module of src/', async () => {
    const entries = readdirSync(`${root}src`, { withFileTypes: true });
    const files = entries
      .map((entry) => (entry.isDirectory() ? `src/${entry.name}/probe.ts` : `src/${entry.name}`))
      .filter((file) => file.endsWith('.ts'));
    const uncovered: string[] = [];
    for (const file of files) {
      const config = (await eslint.calculateConfigForFile(`${root}${file}`)) as { rules?: Record<string, unknown> };
      if (config.rules?.['no-restricted-imports'] === undefined) uncovered.push(file);
    }
    expect(uncovered, 'add the new folder to LAYERS in eslint.config.js').toEqual([]);
  });
});
