/**
 * The CLI without a process: argv in, text out through `io`, exit status returned. Tests call it
 * in-process; main.ts only wires it to the real process.
 */
import { inspectCommand, INSPECT_USAGE } from './inspect.js';
import { type CliIo, UsageError } from './input.js';
import { verifyCommand, VERIFY_USAGE } from './verify.js';
import { keysCommand, KEYS_USAGE } from './keys.js';

export type { CliIo } from './input.js';

const EXIT_OK = 0;
/** verify refused the token, or inspect could not decode it. */
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage:
  attestation-gate inspect <token|file|-> [--json] [--at <date>] [--full]
  attestation-gate verify <token|file|-> --issuer <url> [--issuer <url> …] [--jwks <file>]
                          [--policy <file>] [--at <date>] [--allow-insecure-loopback]
                          [--min-rsa-bits <n>] [--json]
  attestation-gate keys <certs.json|issuer-url> [--at <date>] [--collateral <file>] [--json]

Commands:
  inspect   decode and explain a Microsoft Azure Attestation token WITHOUT verifying it
  verify    verify a token as a relying party and print the decision
  keys      verify the MAA enclave quote in an instance's signing keys up to Intel's SGX root

The token is given as is, as a file holding it, or as - to read it from stdin.
Exit status: 0 accepted (verify) or decoded (inspect); 1 refused or not decodable; 2 usage error.
Run \`attestation-gate <command> --help\` for the command's options.
`;

/** What a usage error prints after the problem: enough to fix the command line, no more. */
const SHORT_USAGE = `Usage: attestation-gate inspect <token|file|-> [options]
       attestation-gate verify <token|file|-> --issuer <url> [options]
Run \`attestation-gate --help\` for more.
`;

const COMMANDS: Record<string, { run: (args: readonly string[], io: CliIo) => Promise<number>; usage: string }> = {
  inspect: { run: inspectCommand, usage: INSPECT_USAGE },
  verify: { run: verifyCommand, usage: VERIFY_USAGE },
  keys: { run: keysCommand, usage: KEYS_USAGE },
};

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr(`attestation-gate: missing a command\n${SHORT_USAGE}`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`attestation-gate: unknown command ${JSON.stringify(name)}\n${SHORT_USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const synopsis = command.usage.slice(0, command.usage.indexOf('\n'));
      io.stderr(`attestation-gate ${name}: ${error.message}\n${synopsis}\nRun \`attestation-gate ${name} --help\` for the options.\n`);
      return EXIT_USAGE;
    }
    // A bug, not a verdict on the token: say so, with the stack, rather than pass it off as a refusal.
    io.stderr(`attestation-gate ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_REFUSED;
  }
}
