/**
 * `attestation-gate verify`: runs the library's verifier on one token and prints the decision. It adds no
 * check of its own, so what it accepts is exactly what `createVerifier` with the same options accepts.
 */
import { parseArgs } from 'node:util';
import {
  type AttestationError,
  compilePolicy,
  type CompiledPolicy,
  createVerifier,
  isAttestationError,
  type JsonWebKeySet,
  PolicyDeniedError,
  type VerifiedAttestation,
  type Verifier,
} from '../index.js';
import { viewMembers } from '../claims/sgx.js';
import { ERROR_TABLE } from '../errors.js';
import { isJsonObject } from '../util/own.js';
import { describeFlag, explainType, unknownTeeWarning } from './explain.js';
import { displayValue, isoSeconds, printable, relativeTime, safeJson, table } from './format.js';
import { type CliIo, parsingArgs, parseDateOption, readJsonFile, readTokenArgument, tokenReadLimit, UsageError } from './input.js';

export const VERIFY_USAGE = `Usage: attestation-gate verify <token|file|-> --issuer <url> [--issuer <url> …] [options]

Verifies an MAA token as a relying party and prints the decision.
  <token|file|->              the token, a file holding it, or - to read it from stdin
  --issuer <url>              a trusted MAA instance (repeat for several; at least one)
  --jwks <file>               pinned JWKS (the instance's /certs body) instead of fetching keys;
                              needs exactly one --issuer
  --policy <file>             JSON policy (Key Vault SKR form or shorthand) the token must satisfy
  --at <date>                 check times at this instant (ISO 8601 or epoch seconds): historical tokens
  --allow-insecure-loopback   allow an http:// issuer on a loopback host (a local test instance)
  --min-rsa-bits <n>          smallest RSA key accepted (default 2048)
  --json                      print a JSON object instead of text
`;

interface VerifyValues {
  readonly issuers: readonly string[];
  readonly jwks: string | undefined;
  readonly policy: string | undefined;
  readonly at: Date | undefined;
  readonly allowInsecureLoopback: boolean;
  readonly minRsaBits: number | undefined;
}

function parseMinRsaBits(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) === 0)
    throw new UsageError(`--min-rsa-bits ${JSON.stringify(value)} is not a positive whole number of bits`);
  return Number(value);
}

async function buildVerifier(values: VerifyValues): Promise<Verifier> {
  if (values.issuers.length === 0) throw new UsageError('verify needs at least one --issuer <url> (an MAA instance you trust)');
  if (values.jwks !== undefined && values.issuers.length !== 1) {
    throw new UsageError(`--jwks pins the keys of one issuer: give exactly one --issuer with it (got ${values.issuers.length})`);
  }
  const jwks = values.jwks === undefined ? undefined : await readJsonFile(values.jwks, 'JWKS file');
  if (jwks !== undefined && !(isJsonObject(jwks) && Array.isArray(jwks.keys))) {
    throw new UsageError(
      `invalid JWKS file ${JSON.stringify(values.jwks)}: expected {"keys": [...]}, as an MAA instance's /certs serves it`,
    );
  }
  let policy: CompiledPolicy | undefined;
  if (values.policy !== undefined) {
    const document = await readJsonFile(values.policy, 'policy file');
    try {
      policy = compilePolicy(document);
    } catch (error) {
      if (!isAttestationError(error)) throw error;
      throw new UsageError(`invalid policy file ${JSON.stringify(values.policy)}: ${error.message}`);
    }
  }
  try {
    const verifier = createVerifier({
      issuers: jwks === undefined ? values.issuers : values.issuers.map((issuer) => ({ issuer, jwks: jwks as unknown as JsonWebKeySet })),
      allowInsecureLoopback: values.allowInsecureLoopback,
      ...(values.at === undefined ? {} : { now: instant(values.at) }),
      ...(values.minRsaBits === undefined ? {} : { minRsaModulusBits: values.minRsaBits }),
      ...(policy === undefined ? {} : { policy }),
    });
    return verifier;
  } catch (error) {
    // Construction fails only on options (ERR_CONFIG_INVALID): the command line's fault, not the token's.
    if (isAttestationError(error)) throw new UsageError(`invalid options: ${error.message}`);
    throw error;
  }
}

/** The typed claims as label/value pairs, nested views dotted; free-form objects stay summarised. */
function typedRows(prefix: string, view: object): string[][] {
  const rows: string[][] = [];
  for (const [name, value] of viewMembers(view)) {
    if (value === undefined) continue;
    const label = `${prefix}${name}`;
    if (isJsonObject(value) && (name === 'isolationTee' || name === 'sevsnp' || name === 'tdx')) {
      rows.push(...typedRows(`${label}.`, value));
    } else if (name === 'rtmr' && Array.isArray(value)) {
      // Each register whole, as the other measurements: they are what a policy pins.
      value.forEach((register, index) => rows.push([`${label}[${index}]`, printable(String(register))]));
    } else if (value instanceof Uint8Array) {
      rows.push([label, `${value.length} bytes: ${displayValue(Buffer.from(value).toString('base64url'), 48)}`]);
    } else if (typeof value === 'string') {
      // Verified and typed already, so no quotes; shown whole (up to 128 hex digits) to paste into a policy.
      rows.push([label, printable(value.length > 130 ? displayValue(value, 130) : value)]);
    } else {
      rows.push([label, displayValue(value, 130)]);
    }
  }
  return rows;
}

// The catalogue's debug and migration flags, as inspect reads them: every type's, the guest's own and
// its isolation TEE's, so this list cannot fall behind the guard's.
function debugWarnings(result: VerifiedAttestation): string[] {
  const explanation = explainType(result.claims);
  const warnings = (explanation?.flags ?? []).filter((flag) => flag.dangerous && flag.role !== 'integrity').map(describeFlag);
  const unknownTee = unknownTeeWarning(explanation);
  if (unknownTee !== undefined) warnings.push(unknownTee);
  if (result.nonce !== undefined) warnings.push('nonce: NOT inside the quote, it proves nothing about the enclave');
  return warnings;
}

function renderAccepted(result: VerifiedAttestation, now: Date, values: VerifyValues): string {
  const nowMs = now.getTime();
  const out: string[] = ['ACCEPTED: an authentic MAA attestation result from a trusted issuer (signature verified)'];
  const rows: string[][] = [
    ['issuer', printable(result.issuer)],
    ['attestation type', printable(result.attestationType)],
    ['key id', printable(result.keyId)],
    ['issued at', `${isoSeconds(result.issuedAt)} (${relativeTime(result.issuedAt.getTime(), nowMs)})`],
    ['expires at', `${isoSeconds(result.expiresAt)} (${relativeTime(result.expiresAt.getTime(), nowMs)})`],
    ['checked at', `${isoSeconds(now)}${values.at === undefined ? '' : ' (--at)'}`],
    [
      'policy',
      values.policy === undefined
        ? "none: authenticity only; which enclaves to trust is a policy's job (--policy)"
        : `satisfied (${printable(values.policy)})`,
    ],
  ];
  if (result.policyHash !== undefined) rows.push(['x-ms-policy-hash', printable(result.policyHash)]);
  if (result.nonce !== undefined) rows.push(['nonce', displayValue(result.nonce)]);
  out.push(table(rows));
  const views: [string, object | undefined][] = [
    ['SGX claims', result.sgx],
    ['SEV-SNP claims', result.sevsnp],
    ['TDX claims', result.tdx],
    ['Confidential VM claims', result.azurevm],
  ];
  for (const [title, view] of views) {
    if (view === undefined) continue;
    out.push(title);
    out.push(table(typedRows('', view)));
  }
  for (const warning of debugWarnings(result)) out.push(`warn  ${warning}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function accepted(result: VerifiedAttestation, now: Date, values: VerifyValues): Record<string, unknown> {
  return {
    accepted: true,
    issuer: result.issuer,
    attestationType: result.attestationType,
    keyId: result.keyId,
    issuedAt: result.issuedAt,
    expiresAt: result.expiresAt,
    checkedAt: now,
    policy: values.policy ?? null,
    policyHash: result.policyHash ?? null,
    policySigner: result.policySigner ?? null,
    nonce: result.nonce ?? null,
    sgx: result.sgx === undefined ? null : Object.fromEntries(viewMembers(result.sgx)),
    sevsnp: result.sevsnp ?? null,
    azurevm: result.azurevm ?? null,
    tdx: result.tdx ?? null,
    header: result.header,
    claims: result.claims,
  };
}

function renderRefused(error: AttestationError): string {
  const out = [`REFUSED: ${error.code} (status ${error.status})`, `  ${printable(error.message)}`];
  if (error instanceof PolicyDeniedError) {
    out.push('', 'Policy reasons (for you, never for the client: they disclose what the policy expects)');
    const rows = error.decision.reasons.map((reason) => [
      printable(reason.path),
      printable(reason.claim),
      `${printable(reason.operator)} ${displayValue(reason.expected, 66)}`,
      reason.actual === undefined ? '(missing)' : displayValue(reason.actual, 66),
    ]);
    out.push(table(rows, { header: ['path', 'claim', 'condition', 'got'] }).trimEnd());
  }
  const { hint } = ERROR_TABLE[error.code];
  if (hint !== undefined) out.push('', `hint: ${hint}`);
  return `${out.join('\n')}\n`;
}

function refused(error: AttestationError): Record<string, unknown> {
  return {
    accepted: false,
    code: error.code,
    status: error.status,
    message: error.message,
    ...(error instanceof PolicyDeniedError ? { reasons: error.decision.reasons } : {}),
  };
}

export async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values: raw, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        issuer: { type: 'string', multiple: true },
        jwks: { type: 'string' },
        policy: { type: 'string' },
        at: { type: 'string' },
        'allow-insecure-loopback': { type: 'boolean' },
        'min-rsa-bits': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (raw.help === true) {
    io.stdout(VERIFY_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`verify takes one token, got ${positionals.length} arguments`);
  const values: VerifyValues = {
    issuers: raw.issuer ?? [],
    jwks: raw.jwks,
    policy: raw.policy,
    at: parseDateOption(raw.at),
    allowInsecureLoopback: raw['allow-insecure-loopback'] === true,
    minRsaBits: parseMinRsaBits(raw['min-rsa-bits']),
  };
  // Options first: a mistake in them should not wait for a token on stdin.
  const verifier = await buildVerifier(values);
  const json = raw.json === true;
  const now = values.at ?? new Date();
  try {
    // Bounded: an input past maxTokenBytes (and some whitespace) is refused as the verifier would, unread.
    const result = await verifier.verify(await readTokenArgument(positionals[0], io, tokenReadLimit()));
    io.stdout(json ? `${safeJson(accepted(result, now, values))}\n` : renderAccepted(result, now, values));
    return 0;
  } catch (error) {
    if (!isAttestationError(error)) throw error;
    io.stdout(json ? `${safeJson(refused(error))}\n` : renderRefused(error));
    return 1;
  }
}

/** A clock stopped at `at` (`--at`): the verifier's `now` reads milliseconds since the epoch. */
function instant(at: Date): () => number {
  const ms = at.getTime();
  return () => ms;
}
