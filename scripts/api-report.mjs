// The API report: every name each package entry point (package.json "exports") offers, with its
// declaration as the built .d.ts states it, comments dropped and printed by the compiler so that source
// formatting never shows. Checked in as api-report.md, so a change to the public surface is a visible
// diff in review; test/package/api-report.test.ts fails when the two differ.
//
//   node scripts/api-report.mjs           prints the report
//   node scripts/api-report.mjs --update  rewrites api-report.md (npm run api:update)
//   node scripts/api-report.mjs --check   exits 1 with a diff hint when api-report.md is out of date
//
// The declarations are emitted in memory with tsconfig.build.json's options (what `npm run build` writes
// to dist/), so the report never reads a stale build. api-extractor would need one configuration and one
// run per entry point; this covers all seven in one program.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
export const REPORT_FILE = `${root}api-report.md`;
export const UPDATE_COMMAND = 'npm run api:update';

/** The declarations tsconfig.build.json would write, by file name, without touching dist/. */
function emitDeclarations() {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${root}tsconfig.build.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const options = {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    noEmit: false,
  };
  const program = ts.createProgram(config.fileNames, options);
  const emitted = new Map();
  const result = program.emit(undefined, (fileName, text) => emitted.set(fileName, text));
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0)
    throw new Error(
      ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
    );
  return { emitted, options };
}

/** A program over the emitted .d.ts files, reading everything else (lib, @types) from disk. */
function declarationProgram(emitted, entryFiles, options) {
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => emitted.get(fileName) ?? readFile(fileName);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => emitted.has(fileName) || fileExists(fileName);
  // dist/ may not exist on disk: module resolution must see the emitted directories too.
  const emittedDirectories = new Set(
    [...emitted.keys()].flatMap((fileName) =>
      fileName
        .split('/')
        .slice(1, -1)
        .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`),
    ),
  );
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (directory) => emittedDirectories.has(directory.replace(/\/$/, '')) || (directoryExists?.(directory) ?? true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    emitted.has(fileName)
      ? ts.createSourceFile(fileName, emitted.get(fileName), languageVersion, true)
      : getSourceFile(fileName, languageVersion, ...rest);
  return ts.createProgram(entryFiles, { ...options, noEmit: true }, host);
}

/** Package entry points in package.json order: the subpath and the .d.ts its `import` condition names. */
function entryPoints() {
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === 'object' && target.import?.types !== undefined)
    .map(([subpath, target]) => ({
      name: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      file: `${root}${target.import.types.slice(2)}`,
    }));
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function printNode(node) {
  // Reprinting from a fresh parse drops the comments attached to the original text.
  const file = node.getSourceFile();
  return printer.printNode(ts.EmitHint.Unspecified, node, file).trim();
}

/** The statement that declares `declaration`: a variable's whole `declare const` statement, for one. */
function statementOf(declaration) {
  if (ts.isVariableDeclaration(declaration)) return declaration.parent.parent;
  return declaration;
}

function describeEntry(program, checker, entry) {
  const source = program.getSourceFile(entry.file);
  if (source === undefined) throw new Error(`${entry.file} was not emitted: is it under src/?`);
  const module = checker.getSymbolAtLocation(source);
  const lines = [];
  for (const symbol of (module === undefined ? [] : checker.getExportsOfModule(module)).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declarations = [...new Set((target.declarations ?? []).map(statementOf))];
    const texts = declarations.map(printNode);
    const renamed = target.name !== symbol.name && target.name !== 'default' ? ` (declared as ${target.name})` : '';
    lines.push(`// ${symbol.name}${renamed}`, ...texts, '');
  }
  // Module and global augmentations are public surface too (`attestation-gate/augment-express` is one).
  for (const statement of source.statements) {
    if (ts.isModuleDeclaration(statement) && (ts.isStringLiteral(statement.name) || statement.name.text === 'global')) {
      lines.push(
        `// augments ${ts.isStringLiteral(statement.name) ? `'${statement.name.text}'` : 'the global scope'}`,
        printNode(statement),
        '',
      );
    }
  }
  return lines.join('\n').trimEnd();
}

export function apiReport() {
  const { emitted, options } = emitDeclarations();
  const entries = entryPoints();
  const program = declarationProgram(
    emitted,
    entries.map((entry) => entry.file),
    options,
  );
  const checker = program.getTypeChecker();
  const sections = entries.map((entry) => `## ${entry.name}\n\n\`\`\`ts\n${describeEntry(program, checker, entry)}\n\`\`\``);
  return `# API report\n\nThe public surface of every package entry point, generated from the built declarations by\n\`scripts/api-report.mjs\`. Do not edit: run \`${UPDATE_COMMAND}\` and review the diff.\n\n${sections.join('\n\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = apiReport();
  if (process.argv.includes('--update')) {
    writeFileSync(REPORT_FILE, report);
  } else if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REPORT_FILE, 'utf8');
    } catch {
      // A missing report differs like any other.
    }
    if (current !== report) {
      console.error(`api-report.md does not match the public API: run \`${UPDATE_COMMAND}\` and commit the diff.`);
      process.exit(1);
    }
  } else {
    process.stdout.write(report);
  }
}
