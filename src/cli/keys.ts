/**
 * `attestation-gate keys`: what an MAA instance's signing keys say about MAA's own enclave. Each key's
 * quote is verified offline to the Intel SGX Root CA exactly as a signer-pinned verifier does, and its
 * identity (MRSIGNER, MRENCLAVE, ISV SVN, debug flag), PCK certificate and, with Intel's collateral, TCB
 * status are printed. No signer pin is applied: this is for choosing one.
 */
import { parseArgs } from 'node:util';
import { discoverJwksUri } from '../keys/discovery.js';
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_METADATA_BYTES, fetchJson } from '../keys/fetch.js';
import { inspectMaaKeys, type KeyInspection } from '../keys/inspect.js';
import { MAA_MRSIGNERS } from '../keys/maa-quote.js';
import { collateralShapeProblem, type IntelSgxCollateral } from '../sgx/collateral.js';
import { isAttestationError } from '../errors.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { isoSeconds, printable, safeJson, shorten, table } from './format.js';
import { type CliIo, parsingArgs, parseDateOption, readJsonFile, UsageError } from './input.js';

export const KEYS_USAGE = `Usage: attestation-gate keys <certs.json|issuer-url> [options]

Verifies the SGX quote in each of an MAA instance's signing certificates offline, up to the Intel SGX
Root CA, and prints the MAA enclave behind each key (for choosing a signer pin).
  <certs.json|issuer-url>     a saved /certs body (JWKS), or the instance URL to fetch its keys from
  --at <date>                 check certificate validity at this instant (ISO 8601 or epoch seconds)
  --collateral <file>         Intel collateral (JSON: tcbInfos, tcbInfoIssuerChain, qeIdentity,
                              qeIdentityIssuerChain, pckCrls, rootCaCrl; CRLs as PEM) to check the TCB
                              level and revocation; without it they are NOT checked
  --allow-insecure-loopback   allow an http:// issuer on a loopback host (a local test instance)
  --json                      print a JSON array instead of text
Exit status: 0 when at least one key's quote verified, 1 when none did.
`;

const KNOWN_SIGNERS: Record<string, string> = {
  [MAA_MRSIGNERS.since2021]: 'MAA, since 2021',
  [MAA_MRSIGNERS.before2021]: 'MAA, before 2021',
};

async function loadJwks(target: string, allowInsecureLoopback: boolean): Promise<unknown> {
  if (!/^https?:\/\//i.test(target)) return readJsonFile(target, 'JWKS file');
  let issuer: string;
  try {
    issuer = normalizeIssuer(target, allowInsecureLoopback);
  } catch (error) {
    throw new UsageError(
      `${JSON.stringify(shorten(target, 80))} is not an issuer URL: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const options = { issuer, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS, maxBytes: DEFAULT_MAX_METADATA_BYTES };
  return fetchJson(await discoverJwksUri(issuer, options), options);
}

async function loadCollateral(path: string | undefined): Promise<IntelSgxCollateral | undefined> {
  if (path === undefined) return undefined;
  const collateral = await readJsonFile(path, 'collateral file');
  const problem = collateralShapeProblem(collateral);
  if (problem !== undefined) throw new UsageError(`invalid collateral file: it ${problem}`);
  return collateral as IntelSgxCollateral;
}

function describe(key: KeyInspection, collateralGiven: boolean): string {
  const kid = printable(shorten(key.kid ?? '(no kid)', 60));
  if (key.outcome !== 'verified' || key.enclave === undefined) {
    // Reasons start with the step that failed; it is printed once.
    const reason =
      key.step !== undefined && key.reason?.startsWith(`${key.step}: `) ? key.reason.slice(key.step.length + 2) : (key.reason ?? '');
    const why = printable(shorten(reason, 200));
    return key.outcome === 'no-quote'
      ? `key ${kid}\n  no MAA enclave quote: ${why}\n`
      : `key ${kid}\n  REFUSED at ${key.step ?? 'import'}: ${why}\n`;
  }
  const e = key.enclave;
  const tcb = collateralGiven
    ? `${e.tcbStatus} (QE ${e.qeTcbStatus}); not revoked`
    : 'NOT checked: no Intel collateral given (TCB level and revocation unknown)';
  return `key ${kid}\n${table(
    [
      ['quote', `verified to the Intel SGX Root CA, via the PCK ${e.pckIssuingCa} CA, at ${isoSeconds(e.verifiedAt)}`],
      ['MRSIGNER', `${e.mrsigner}${KNOWN_SIGNERS[e.mrsigner] ? ` (${KNOWN_SIGNERS[e.mrsigner]})` : ''}`],
      ['MRENCLAVE', e.mrenclave],
      ['ISV SVN', `${e.svn} (product ${e.productId})`],
      ['debuggable', e.isDebuggable ? 'YES: the SGX DEBUG attribute is set' : 'no'],
      ['PCK certificate', `valid ${isoSeconds(e.pckNotBefore)} to ${isoSeconds(e.pckNotAfter)}`],
      ['TCB status', tcb],
    ],
    { indent: 2 },
  )}`;
}

export async function keysCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        at: { type: 'string' },
        collateral: { type: 'string' },
        'allow-insecure-loopback': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(KEYS_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one certs.json file or issuer URL');
  const at = parseDateOption(values.at) ?? new Date();
  const collateral = await loadCollateral(values.collateral);
  let jwks: unknown;
  try {
    jwks = await loadJwks(positionals[0] as string, values['allow-insecure-loopback']);
  } catch (error) {
    if (!isAttestationError(error)) throw error;
    io.stderr(`attestation-gate keys: ${printable(error.message)} (${error.code})\n`);
    return 1;
  }
  let keys: KeyInspection[];
  try {
    keys = inspectMaaKeys(jwks, { at, collateral });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`invalid JWKS: ${error.message}`);
    throw error;
  }
  if (values.json) io.stdout(`${safeJson(keys)}\n`);
  else io.stdout(keys.map((key) => describe(key, collateral !== undefined)).join('\n'));
  return keys.some((key) => key.outcome === 'verified') ? 0 : 1;
}
