/**
 * `attestation-gate inspect`: decodes a token and explains it WITHOUT verifying it. The point is to
 * answer "why would this token be refused?" before any key or network is involved, so every check a
 * verifier makes that can be judged from the token alone is listed, in the verifier's order.
 */
import { parseArgs } from 'node:util';
import { isLegacySgxResult, MAA_DEFAULT_POLICY_HASHES, readAttestationResult } from '../claims/attestation.js';
import { ISOLATION_TEE, ISOLATION_TEE_TYPES } from '../claims/catalog.js';
import { AttestationError, type AttestationErrorCode } from '../errors.js';
import { MAX_KID_LENGTH, RSA_ALGORITHMS } from '../token/header.js';
import { DEFAULT_MAX_TOKEN_BYTES, parseCompactJws } from '../token/parse.js';
import { isJsonObject, own } from '../util/own.js';
import { normalizeIssuer } from '../verify/issuers.js';
import { DEFAULT_CLOCK_TOLERANCE as CLOCK_TOLERANCE } from '../verify/options.js';
import { MAX_NUMERIC_DATE } from '../verify/time.js';
import { displayValue, isoSeconds, printable, relativeTime, safeJson, shorten, table, utcIso } from './format.js';
import { type CliIo, parsingArgs, parseDateOption, readTokenArgument, UsageError } from './input.js';
import { describeFlag, explainType, renderExplanation, type TypeExplanation } from './explain.js';
import { claimMeaning, LEGACY_ALIASES } from './meanings.js';

export const INSPECT_USAGE = `Usage: attestation-gate inspect <token|file|-> [--json] [--at <date>] [--full]

Decodes an MAA token and explains it WITHOUT verifying its signature.
  <token|file|->  the token, a file holding it, or - to read it from stdin
  --json          print a JSON object instead of text
  --at <date>     judge times at this instant (ISO 8601 or epoch seconds) instead of now
  --full          do not shorten long claim values
`;

/** Far above any real token, so that an oversized one can still be explained rather than rejected. */
const INSPECT_MAX_BYTES = 1024 * 1024;
const MAA_ATTESTATION_LIFETIME = 8 * 3600;

type Severity = 'refuse' | 'warn' | 'note';

interface Observation {
  readonly severity: Severity;
  readonly message: string;
  /** For a refusal: the code the verifier would reject with. */
  readonly code?: AttestationErrorCode;
}

interface TimeReport {
  readonly value: unknown;
  /** UTC ISO 8601, when `value` is a usable number of seconds. */
  readonly utc?: string;
  readonly relative?: string;
}

export interface InspectReport {
  readonly signatureVerified: false;
  /** When times were judged. */
  readonly at: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly signatureBytes: number;
  readonly tokenBytes: number;
  readonly issuer: unknown;
  readonly attestationType: unknown;
  /** Known claims present in the token (nested ones dotted) and what each means. */
  readonly meanings: Readonly<Record<string, string>>;
  readonly times: { readonly iat: TimeReport; readonly nbf: TimeReport; readonly exp: TimeReport };
  readonly observations: readonly Observation[];
  /** The distinct codes a verifier would refuse with, judging from the token alone. */
  readonly refusals: readonly AttestationErrorCode[];
  /** For a type this library knows: what to pin (values whole), its flags, a policy to start from. */
  readonly explanation?: TypeExplanation;
}

/** Decodes and explains a token. Throws the parser's AttestationError when it cannot be decoded at all. */
function inspectToken(token: string, now: Date): InspectReport {
  const { header, payload, signature } = parseCompactJws(token, INSPECT_MAX_BYTES);
  const nowSeconds = now.getTime() / 1000;
  const observations: Observation[] = [];
  const sink: Sink = {
    refuse: (code, message) => void observations.push({ severity: 'refuse', code, message }),
    warn: (message) => void observations.push({ severity: 'warn', message }),
    note: (message) => void observations.push({ severity: 'note', message }),
  };

  if (token.length > DEFAULT_MAX_TOKEN_BYTES) {
    sink.refuse('ERR_TOKEN_TOO_LARGE', `${token.length} bytes: longer than the default maxTokenBytes (${DEFAULT_MAX_TOKEN_BYTES}); real MAA tokens are 2–6 KB`);
  }
  checkHeader(header, payload, signature.length, sink);
  const issuer = own(payload, 'iss');
  checkIssuer(issuer, sink);
  const times = checkTimes(payload, nowSeconds, sink);
  const attestationType = own(payload, 'x-ms-attestation-type');
  const explanation = explainType(payload);
  checkAttestation(payload, attestationType, explanation, sink);

  const refusals = [...new Set(observations.flatMap((o) => (o.code === undefined ? [] : [o.code])))];
  return {
    ...(explanation === undefined ? {} : { explanation }),
    signatureVerified: false,
    at: isoSeconds(now),
    header,
    claims: payload,
    signatureBytes: signature.length,
    tokenBytes: token.length,
    issuer,
    attestationType,
    meanings: meaningsOf(payload),
    times,
    observations,
    refusals,
  };
}

interface Sink {
  refuse(code: AttestationErrorCode, message: string): void;
  warn(message: string): void;
  note(message: string): void;
}

const show = (value: unknown): string => displayValue(value, 64);

function checkHeader(header: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>, signatureBytes: number, sink: Sink): void {
  const alg = own(header, 'alg');
  if (typeof alg !== 'string') {
    sink.refuse('ERR_ALG_NOT_ALLOWED', 'no alg: any verifier must refuse');
  } else if (alg.toLowerCase() === 'none') {
    sink.refuse(
      'ERR_ALG_NOT_ALLOWED',
      `alg none: any verifier must refuse (unsigned${signatureBytes === 0 ? ', empty signature' : ''}; MAA issues these when attesting against a draft policy)`,
    );
  } else if (/^HS/i.test(alg)) {
    sink.refuse('ERR_ALG_NOT_ALLOWED', `alg ${show(alg)}: HMAC, any verifier must refuse (keyed with a public key it is the classic forgery)`);
  } else if (!(RSA_ALGORITHMS as readonly string[]).includes(alg)) {
    sink.refuse('ERR_ALG_NOT_ALLOWED', `alg ${show(alg)}: not an RSA signature algorithm, refused`);
  } else if (alg !== 'RS256') {
    sink.warn(`alg ${alg}: MAA signs with RS256 only; refused unless the verifier's algorithms list it`);
  }
  if (signatureBytes > 0) sink.note(`signature: ${signatureBytes} bytes, NOT verified here (attestation-gate verify checks it with the issuer's keys)`);

  const kid = own(header, 'kid');
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    sink.refuse('ERR_HEADER_INVALID', `kid ${kid === undefined ? 'missing' : show(kid)}: a verifier needs a non-empty key id naming one of the issuer's keys`);
  }
  const typ = own(header, 'typ');
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    sink.refuse('ERR_HEADER_INVALID', `typ ${show(typ)}: only JWT (or no typ) is accepted`);
  }
  if (Object.hasOwn(header, 'crit')) sink.refuse('ERR_HEADER_INVALID', 'crit: critical extensions are not supported, refused');
  for (const name of ['jwk', 'x5c', 'x5u']) {
    if (Object.hasOwn(header, name)) {
      sink.refuse('ERR_HEADER_INVALID', `${name} in the header: a key from the token is never used, refused (Microsoft's SDKs used it, so a self-signed forgery passed)`);
    }
  }
  const jku = own(header, 'jku');
  if (jku === undefined) return;
  if (typeof jku !== 'string') {
    sink.refuse('ERR_HEADER_INVALID', 'jku is not a string, refused');
    return;
  }
  const iss = own(payload, 'iss');
  const expected = typeof iss === 'string' ? `${iss}/certs` : undefined;
  if (jku === expected) {
    sink.note(`jku ${show(jku)}: only compared, never fetched (it is <iss>/certs, as required)`);
  } else {
    sink.refuse('ERR_HEADER_INVALID', `jku ${show(jku)}: only compared, never fetched, and it is not <iss>/certs: refused`);
  }
}

function checkIssuer(issuer: unknown, sink: Sink): void {
  if (typeof issuer !== 'string') {
    sink.refuse('ERR_ISSUER_UNTRUSTED', `iss ${issuer === undefined ? 'missing' : show(issuer)}: no verifier can trust a token without an issuer URL`);
    return;
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    sink.refuse('ERR_ISSUER_UNTRUSTED', `iss ${show(issuer)} is not a URL: it can never equal a configured issuer`);
    return;
  }
  // Configured issuers are normalised and the token's iss is compared as it is: a token whose iss is
  // not already in that form (or not a URL any verifier accepts) can never match one.
  let inNormalForm: boolean;
  try {
    inNormalForm = normalizeIssuer(issuer, true) === issuer;
  } catch {
    inNormalForm = false;
  }
  const plainHttp = url.protocol === 'http:';
  if (!inNormalForm) {
    sink.refuse('ERR_ISSUER_UNTRUSTED', `iss ${show(issuer)}: not an https URL in normal form, so it can never equal a configured issuer`);
    return;
  }
  sink.note(`iss ${show(issuer)}: accepted only if it is exactly one of the verifier's issuers (verify --issuer)`);
  if (plainHttp) sink.warn('iss uses plain http on loopback: a local test instance, trusted only with --allow-insecure-loopback');
  const host = url.hostname;
  if (host.endsWith('.test.attest.azure.net')) sink.warn('a pre-production MAA instance (*.test.attest.azure.net)');
  if (/^shared[a-z0-9]*\.[a-z0-9]+\.attest\.azure\.(net|us)$/.test(host)) {
    sink.note('a shared MAA instance: any Azure customer can attest to it, so a policy must pin what it trusts (the enclave or VM measurements)');
  }
}

function timeReport(payload: Readonly<Record<string, unknown>>, name: string, nowSeconds: number): TimeReport {
  const value = own(payload, name);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE) return { value };
  return { value, utc: utcIso(value), relative: relativeTime(value * 1000, nowSeconds * 1000) };
}

function checkTimes(payload: Readonly<Record<string, unknown>>, nowSeconds: number, sink: Sink): InspectReport['times'] {
  const times = { iat: timeReport(payload, 'iat', nowSeconds), nbf: timeReport(payload, 'nbf', nowSeconds), exp: timeReport(payload, 'exp', nowSeconds) };
  for (const [name, report] of Object.entries(times)) {
    if (report.utc === undefined) {
      sink.refuse('ERR_CLAIM_INVALID', `${name} ${report.value === undefined ? 'missing' : show(report.value)}: exp, nbf and iat must be numbers of seconds`);
    }
  }
  const { iat, nbf, exp } = times;
  if (typeof exp.value === 'number' && exp.utc !== undefined && exp.value <= nowSeconds - CLOCK_TOLERANCE) {
    sink.refuse('ERR_TOKEN_EXPIRED', `expired ${exp.relative} (${exp.utc}): refused unless verified at a time inside its window (verify --at)`);
  }
  if (typeof nbf.value === 'number' && nbf.utc !== undefined && nbf.value > nowSeconds + CLOCK_TOLERANCE) {
    sink.refuse('ERR_TOKEN_NOT_YET_VALID', `not valid yet: nbf is ${nbf.relative} (${nbf.utc})`);
  }
  if (typeof iat.value === 'number' && iat.utc !== undefined && iat.value > nowSeconds + CLOCK_TOLERANCE) {
    sink.refuse('ERR_TOKEN_NOT_YET_VALID', `issued in the future: iat is ${iat.relative} (${iat.utc})`);
  }
  return times;
}

function checkAttestation(
  payload: Readonly<Record<string, unknown>>,
  attestationType: unknown,
  explanation: TypeExplanation | undefined,
  sink: Sink,
): void {
  if (attestationType === undefined && isLegacySgxResult(payload)) {
    sink.refuse(
      'ERR_CLAIM_INVALID',
      "no x-ms-attestation-type, but tee \"sgx\" and sgx-mrenclave: an SGX result in MAA's 2020 claim format (maa-*, aas-ehd), which this library does not accept; attest again against a current MAA instance",
    );
    return;
  }
  if (attestationType === undefined) {
    sink.refuse(
      'ERR_CLAIM_INVALID',
      'no x-ms-attestation-type: a policy-management response, not attestation evidence (MAA signs both with the same key)',
    );
    return;
  }
  lifetime(payload, sink);
  try {
    readAttestationResult(payload);
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error;
    sink.refuse(error.code, printable(error.message));
  }
  if (explanation === undefined && typeof attestationType === 'string' && attestationType !== '') {
    sink.warn(`attestation type ${show(attestationType)}: no typed view, only the common claims are checked; a policy refuses it unless allowDebug (its debug flag is unknown)`);
  }
  if (explanation?.attestationType === 'azurevm' && explanation.isolationTee === undefined) {
    sink.warn(`${ISOLATION_TEE}.x-ms-attestation-type is not ${ISOLATION_TEE_TYPES.join(' or ')}: its debug flags are unknown, so a policy refuses it unless allowDebug`);
  }
  for (const flag of explanation?.flags ?? []) if (flag.dangerous) sink.warn(describeFlag(flag));

  const legacy = Object.keys(LEGACY_ALIASES).filter((name) => Object.hasOwn(payload, name));
  if (legacy.length > 0) {
    sink.note(`legacy aliases present (${legacy.join(', ')}): gate on the x-ms-* claims; a verifier refuses the token if an alias contradicts its x-ms-* claim`);
  }
  if (Object.hasOwn(payload, 'nonce')) sink.note('nonce: NOT inside the quote, it proves nothing about the enclave (bind a challenge through runtime data instead)');
  const runtime = ['x-ms-runtime', 'x-ms-sgx-ehd', 'x-ms-inittime'].filter((name) => Object.hasOwn(payload, name));
  if (runtime.length > 0) {
    sink.note(`runtime data present (${runtime.join(', ')}): a key or challenge the enclave bound into its evidence; use it to tie the token to a session`);
  } else {
    sink.note('no runtime data: a bearer token, bound to no key or session; whoever holds it can present it');
  }
  const policyHash = own(payload, 'x-ms-policy-hash');
  const defaults = typeof attestationType === 'string' ? (MAA_DEFAULT_POLICY_HASHES[attestationType] ?? []) : [];
  if (typeof policyHash === 'string' && defaults.includes(policyHash)) {
    sink.warn(`x-ms-policy-hash is MAA's default ${show(attestationType)} policy, which issues tokens for any TEE of the type, debug ones included: pin the TEE itself`);
  } else if (typeof policyHash === 'string') {
    sink.note(`x-ms-policy-hash ${show(policyHash)}: pin it to accept only evidence appraised by your instance policy`);
  }
  if (Object.hasOwn(payload, 'x-ms-policy-signer')) sink.note('x-ms-policy-signer present: the instance policy was uploaded signed (isolated trust model)');
}

function lifetime(payload: Readonly<Record<string, unknown>>, sink: Sink): void {
  const iat = own(payload, 'iat');
  const exp = own(payload, 'exp');
  if (typeof iat === 'number' && typeof exp === 'number' && exp - iat !== MAA_ATTESTATION_LIFETIME) {
    sink.note(`lifetime ${exp - iat} s: MAA's attestation tokens live 8 h (28800 s)`);
  }
}

// The only nested object whose members are claims in their own right (a policy addresses them dotted).
const NESTED_EVIDENCE = 'x-ms-isolation-tee';

function claimRows(payload: Readonly<Record<string, unknown>>): [string, unknown][] {
  const rows: [string, unknown][] = [];
  for (const [name, value] of Object.entries(payload)) {
    rows.push([name, value]);
    if (name === NESTED_EVIDENCE && isJsonObject(value)) {
      for (const [member, nested] of Object.entries(value)) rows.push([`${name}.${member}`, nested]);
    }
  }
  return rows;
}

function meaningsOf(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const meanings: Record<string, string> = {};
  for (const [name, value] of claimRows(payload)) {
    const meaning = claimMeaning(name, value);
    if (meaning !== undefined) meanings[name] = meaning;
  }
  return meanings;
}

const LABELS: Record<Severity, string> = { refuse: 'REFUSE', warn: 'warn', note: 'note' };

function renderInspect(report: InspectReport, options: { full: boolean }): string {
  const valueWidth = options.full ? Number.MAX_SAFE_INTEGER : 40;
  const out: string[] = [];
  out.push('SIGNATURE NOT VERIFIED: this decodes the token and shows what it claims, not that the claims are true.');
  out.push('Use `attestation-gate verify` to check it against the issuer\'s keys.\n');

  out.push('Header');
  const headerRows: string[][] = [];
  for (const name of ['alg', 'kid', 'jku', 'typ']) {
    headerRows.push([name, Object.hasOwn(report.header, name) ? displayValue(report.header[name], valueWidth + 24) : '(absent)']);
  }
  const others = Object.keys(report.header).filter((name) => !['alg', 'kid', 'jku', 'typ'].includes(name));
  for (const name of others) headerRows.push([printable(shorten(name, 32)), displayValue(report.header[name], valueWidth + 24)]);
  headerRows.push(['signature', `${report.signatureBytes} bytes (not verified)`]);
  out.push(table(headerRows));

  out.push('Claims');
  const rows = claimRows(report.claims).map(([name, value]) => {
    const shown = options.full && typeof value === 'string' ? printable(JSON.stringify(value)) : displayValue(value, valueWidth);
    return [printable(shorten(name, 64)), shown, report.meanings[name] ?? ''];
  });
  out.push(rows.length > 0 ? table(rows, { header: ['claim', 'value', 'meaning'] }) : '  (no claims)\n');

  if (report.explanation !== undefined) out.push(renderExplanation(report.explanation));

  out.push(`Times (judged at ${report.at})`);
  const timeRows = (['iat', 'nbf', 'exp'] as const).map((name) => {
    const time = report.times[name];
    if (time.utc === undefined) return [name, time.value === undefined ? '(absent)' : `${displayValue(time.value)} (not a time)`];
    const expired = name === 'exp' && time.relative !== undefined && time.relative.endsWith(' ago');
    return [name, time.utc, expired ? `expired ${time.relative}` : (time.relative ?? '')];
  });
  out.push(table(timeRows));

  out.push('What a verifier would check');
  for (const observation of report.observations) {
    const code = observation.code === undefined ? '' : ` [${observation.code}]`;
    out.push(`  ${LABELS[observation.severity].padEnd(6)}  ${observation.message}${code}`);
  }
  out.push('');
  if (report.refusals.length > 0) {
    out.push(`Verdict: any verifier must refuse this token (${report.refusals.join(', ')}).`);
  } else {
    out.push('Verdict: nothing above makes a verifier refuse it; its signature, its issuer and your policy decide (attestation-gate verify).');
  }
  return `${out.join('\n')}\n`;
}

export async function inspectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        at: { type: 'string' },
        full: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(INSPECT_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`inspect takes one token, got ${positionals.length} arguments`);
  const at = parseDateOption(values.at) ?? new Date();
  const token = await readTokenArgument(positionals[0], io);
  let report: InspectReport;
  try {
    report = inspectToken(token, at);
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error;
    if (values.json === true) {
      io.stdout(`${safeJson({ decoded: false, signatureVerified: false, code: error.code, message: error.message })}\n`);
    } else {
      io.stderr(`not decodable: ${error.code}: ${printable(error.message)}\n`);
    }
    return 1;
  }
  io.stdout(values.json === true ? `${safeJson({ decoded: true, ...report })}\n` : renderInspect(report, { full: values.full === true }));
  return 0;
}
