/**
 * Every type a public signature names is itself exported from some entry point: a user can name each
 * option and result type they are handed (api-extractor's "forgotten export", checked with the compiler).
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root, sourceProgram } from './program.js';

/**
 * Named on purpose without being exported: `Attestation` is the result class, whose public shape is the
 * exported `VerifiedAttestation`; `Next` is a framework's `(error?) => void` callback, which any function
 * fits; `OneOperator` and `ShorthandMember` are steps inside the mapped types `PolicyCondition` and
 * `SkrPolicy`, which are exported.
 */
const NOT_EXPORTED = new Set(['Attestation', 'Next', 'OneOperator', 'ShorthandMember']);

const ENTRY_POINTS = [
  'index',
  'testing/index',
  'client/index',
  'express/augment',
  'adapters/fastify',
  'adapters/koa',
  'adapters/fetch',
].map((entry) => `${root}src/${entry}.ts`);

function where(node: ts.Node): string {
  const file = node.getSourceFile();
  return `${file.fileName.slice(root.length)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

function forgottenExports(): string[] {
  const program = sourceProgram(ENTRY_POINTS);
  const checker = program.getTypeChecker();
  const exported = new Set<ts.Symbol>();
  const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const publicDeclarations: ts.Declaration[] = [];
  for (const entry of ENTRY_POINTS) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!);
    for (const symbol of module === undefined ? [] : checker.getExportsOfModule(module)) {
      const target = resolve(symbol);
      exported.add(target);
      publicDeclarations.push(...(target.declarations ?? []));
    }
  }
  const missing = new Set<string>();
  const seen = new Set<ts.Node>();
  function visit(node: ts.Node): void {
    if (seen.has(node)) return;
    seen.add(node);
    // Private members and function bodies are not part of the public surface.
    if (ts.isBlock(node) || (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)))
      return;
    if (ts.isPrivateIdentifier(node)) return;
    if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node)) && ts.isPrivateIdentifier(node.name))
      return;
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const symbol = checker.getSymbolAtLocation(name);
      const target = symbol === undefined ? undefined : resolve(symbol);
      const declaration = target?.declarations?.[0];
      const file = declaration?.getSourceFile().fileName ?? '';
      // Ours (not a dependency's), a type or class (not a type parameter), and exported nowhere.
      if (
        target !== undefined &&
        declaration !== undefined &&
        file.startsWith(`${root}src/`) &&
        !ts.isTypeParameterDeclaration(declaration) &&
        !exported.has(target) &&
        !NOT_EXPORTED.has(target.name)
      ) {
        missing.add(`${target.name} (${file.slice(root.length)}, named by ${where(node)})`);
        for (const inner of target.declarations ?? []) visit(inner);
      }
    }
    ts.forEachChild(node, visit);
  }
  for (const declaration of publicDeclarations) {
    // A variable's public shape is its declared type, not its initialiser.
    if (ts.isVariableDeclaration(declaration)) {
      if (declaration.type !== undefined) visit(declaration.type);
      continue;
    }
    visit(declaration);
  }
  return [...missing].sort();
}

describe('the public types', () => {
  it('names no type that no entry point exports', () => {
    expect(forgottenExports()).toEqual([]);
  }, 60_000);
});
