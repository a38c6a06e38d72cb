import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/, bottom-up. A module imports from its own folder and from the layers below its
 * own, never from a layer above and never sideways from another folder of its layer: a helper two
 * folders use lives below both. The bottom layer (errors.ts, diagnostics.ts, util/) is one layer in
 * three places, so its parts import each other. `index` is the root barrel, the public API.
 */
export const LAYERS = [
  ['errors', 'diagnostics', 'util'],
  // sgx/ is pure byte parsing and verification of Intel's quotes and collateral, on util/der.ts.
  ['token', 'sgx'],
  ['keys', 'claims'],
  ['policy'],
  ['verify'],
  // What the request gate composes: challenge and replay stores, RFC 9421 proof of possession.
  ['binding', 'possession'],
  ['gate'],
  ['express', 'adapters', 'cli', 'testing', 'client'],
  ['index'],
];
const SHARED_WITHIN = new Set(['errors', 'diagnostics', 'util']);
/** The CLI's `verify` runs the public API on purpose: it accepts exactly what `createVerifier` accepts. */
const ALLOWED_ABOVE = { cli: ['index'] };
/** The names under src/ that are single modules rather than folders. */
const ROOT_MODULES = new Set(['errors', 'diagnostics', 'index']);

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One flat-config block per folder of src/, with a `no-restricted-imports` pattern per folder it may not import. */
export function layerRules() {
  return LAYERS.flatMap((layer, rank) =>
    layer.map((name) => {
      const forbidden = LAYERS.flatMap((other, otherRank) =>
        other
          .filter((target) => target !== name && !(ALLOWED_ABOVE[name] ?? []).includes(target))
          .filter(() => otherRank > rank || (otherRank === rank && !SHARED_WITHIN.has(name)))
          .map((target) => ({ target, why: otherRank > rank ? 'a layer above it' : 'beside it in the same layer' })),
      );
      // From src/x.ts a sibling is `./y`, from src/folder/x.ts it is `../y`.
      const up = ROOT_MODULES.has(name) ? '\\./' : '\\.\\./';
      return {
        files: ROOT_MODULES.has(name) ? [`src/${name}.ts`] : [`src/${name}/**/*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: forbidden.map(({ target, why }) => ({
                regex: `^${up}${escape(target)}(?:/|\\.js$)`,
                message: `${name} may not import ${target}, ${why}: folders import downward only (LAYERS in eslint.config.js). Move what both need below both.`,
              })),
            },
          ],
        },
      };
    }),
  );
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name="only"]', message: 'Focused tests hide the rest of the suite.' },
      ],
    },
  },
  {
    // Type-aware rules on the library. Tests are left to the syntactic rules above: they read response
    // bodies and parsed JSON as `any` on purpose, and typing each would buy little for the lint time.
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `async` without `await` is how a method promising a Promise turns a synchronous throw (bad input,
      // a closed store) into a rejection, as callers of ReplayStore, KeySource and plugins expect.
      '@typescript-eslint/require-await': 'off',
      // Passing on a reason we were handed (an AbortSignal's, a caught error) is not inventing one;
      // the same allowance @typescript-eslint/only-throw-error makes for `throw` by default.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  ...layerRules(),
  {
    // The CommonJS consumer projects are written as CommonJS users write them.
    files: ['test-consumers/**/*.cjs', 'test-consumers/jest/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.jest } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
