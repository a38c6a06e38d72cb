/**
 * A folder's index.ts (its barrel) is that folder's share of the public API: everything it exports, the
 * root barrel exports too, so importing from a barrel never reaches an internal. Internals are imported
 * from their own modules, by the library and by tests alike.
 */
import { readdirSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root, sourceProgram } from './program.js';

/** Package entry points of their own (package.json "exports"), public in full. */
const ENTRY_POINTS = new Set(['testing', 'client']);

const barrels = readdirSync(`${root}src`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !ENTRY_POINTS.has(entry.name))
  .map((entry) => `${root}src/${entry.name}/index.ts`)
  .filter((file) => ts.sys.fileExists(file));

function internalsInBarrels(): string[] {
  const rootIndex = `${root}src/index.ts`;
  const program = sourceProgram([rootIndex, ...barrels]);
  const checker = program.getTypeChecker();
  const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const exportsOf = (file: string) => checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
  const publicSymbols = new Set(exportsOf(rootIndex).map(resolve));
  return barrels.flatMap((barrel) =>
    exportsOf(barrel)
      .filter((symbol) => !publicSymbols.has(resolve(symbol)))
      .map((symbol) => `${symbol.name} (${barrel.slice(root.length)})`),
  );
}

describe('the folder barrels', () => {
  it('exist for the folders that have a public share', () => {
    expect(barrels.length).toBeGreaterThanOrEqual(4);
  });

  it('export nothing the root barrel does not', () => {
    expect(internalsInBarrels(), 'export it from src/index.ts too, or import it from its module instead of the barrel').toEqual([]);
  }, 60_000);
});
