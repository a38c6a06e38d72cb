/**
 * `attestation-gate inspect`: decodes a token and explains it WITHOUT verifying it. The point is to
 * answer "why would this token be refused?" before any key or network is involved. The refusals are the
 * verifier's own rules (`judgeToken` in verify/rules.ts), judged with a default verifier's options (or
 * the `--issuer`s given), so inspect's verdict is the verifier's refusal for any token whose key is
 * published and whose signature verifies; the warnings and notes around them are advice only.
 */
import { parseArgs } from 'node:util';
import { MAA_DEFAULT_POLICY_HASHES } from '../claims/attestation.js';
import { AttestationError, isAttestationError, type AttestationErrorCode } from '../errors.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../token/parse.js';
import { isJsonObject, own } from '../util/own.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { DEFAULT_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE } from '../verify/options.js';
import { judgeToken, type Finding, type JudgeOptions, type Stage } from '../verify/rules.js';
import { isNumericDate } from '../verify/time.js';
import { ISOLATION_TEE } from '../claims/catalog.js';
import { UNKNOWN_FLAGS_RULE } from '../policy/guard.js';
import { displayValue, isoSeconds, printable, printableName, relativeTime, safeJson, shorten, table, utcIso } from './format.js';
import { describeFlag, explainType, renderExplanation, type TypeExplanation, unknownTeeWarning } from './explain.js';
import { type CliIo, parsingArgs, parseDateOption, readTokenArgument, tokenReadLimit, UsageError } from './input.js';
import { claimMeaning, LEGACY_ALIASES } from './meanings.js';

export const INSPECT_USAGE = `Usage: attestation-gate inspect <token|file|-> [--issuer <url> …] [--json] [--at <date>] [--full]

Decodes an MAA token and explains it WITHOUT verifying its signature.
  <token|file|->  the token, a file holding it, or - to read it from stdin
  --issuer <url>  judge the issuer as a verifier trusting these MAA instances would (repeatable)
  --json          print a JSON object instead of text
  --at <date>     judge times at this instant (ISO 8601 or epoch seconds) instead of now
  --full          do not shorten long claim values
`;

const MAA_ATTESTATION_LIFETIME = 8 * 3600;

type Severity = 'refuse' | 'warn' | 'note';

interface Observation {
  readonly severity: Severity;
  readonly message: string;
  /** For a refusal: the code the verifier would reject with, the rule that says so, and its stage. */
  readonly code?: AttestationErrorCode;
  readonly rule?: string;
  readonly stage?: Stage;
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
  /** The trusted issuers judged against; null: whether any configuration could trust the token. */
  readonly issuers: readonly string[] | null;
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
  /** The distinct codes a verifier would refuse with, judging from the token alone, in the verifier's order. */
  readonly refusals: readonly AttestationErrorCode[];
  /** The code the verifier refuses with (its first refusal), or null when nothing here refuses the token. */
  readonly verdict: AttestationErrorCode | null;
  /** For a type this library knows: what to pin (values whole), its flags, a policy to start from. */
  readonly explanation?: TypeExplanation;
}

/** The options inspect judges with: a default verifier's, with the issuers given. */
function inspectJudgeOptions(issuers: readonly string[] | undefined, now: Date): JudgeOptions {
  return {
    maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
    algorithms: new Set<string>(DEFAULT_ALGORITHMS),
    issuers: issuers === undefined ? undefined : new Set(issuers),
    clockTolerance: DEFAULT_CLOCK_TOLERANCE,
    maxTokenAge: undefined,
    nowSeconds: now.getTime() / 1000,
  };
}

/**
 * Decodes and explains a token. Throws the first refusal as an AttestationError when the token cannot
 * be decoded at all (within `decodeLimit` bytes).
 */
export function inspectToken(token: string, judge: JudgeOptions, decodeLimit: number = judge.maxTokenBytes): InspectReport {
  const { parsed, findings } = judgeToken(token, judge, decodeLimit);
  if (parsed === undefined) {
    const first = findings[0] ?? { code: 'ERR_TOKEN_MALFORMED', message: 'the token cannot be decoded' };
    throw new AttestationError(first.code, first.message);
  }
  const { header, payload, signature } = parsed;
  const nowSeconds = judge.nowSeconds;
  const advice = new Map<Stage | 'signature' | 'evidence', Observation[]>();
  const sink: Sink = {
    warn: (stage, message) => void advice.set(stage, [...(advice.get(stage) ?? []), { severity: 'warn', message }]),
    note: (stage, message) => void advice.set(stage, [...(advice.get(stage) ?? []), { severity: 'note', message }]),
  };

  adviseHeader(header, payload, signature.length, sink);
  const issuer = own(payload, 'iss');
  adviseIssuer(issuer, judge.issuers !== undefined, sink);
  const times = timesOf(payload, nowSeconds);
  const attestationType = own(payload, 'x-ms-attestation-type');
  const explanation = explainType(payload);
  adviseEvidence(payload, attestationType, explanation, sink);

  const observations: Observation[] = [];
  for (const stage of ['form', 'header', 'issuer', 'signature', 'time', 'claims', 'evidence'] as const) {
    for (const finding of findings) if (finding.stage === stage) observations.push(refusalObservation(finding));
    observations.push(...(advice.get(stage) ?? []));
  }
  const refusals = [...new Set(findings.map((finding) => finding.code))];
  return {
    ...(explanation === undefined ? {} : { explanation }),
    signatureVerified: false,
    at: isoSeconds(new Date(nowSeconds * 1000)),
    issuers: judge.issuers === undefined ? null : [...(judge.issuers as ReadonlySet<string>)],
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
    verdict: findings[0]?.code ?? null,
  };
}

function refusalObservation({ code, message, why, rule, stage }: Finding): Observation {
  return { severity: 'refuse', code, rule, stage, message: printable(why === undefined ? message : `${message} — ${why}`) };
}

interface Sink {
  warn(stage: Stage | 'signature' | 'evidence', message: string): void;
  note(stage: Stage | 'signature' | 'evidence', message: string): void;
}

const show = (value: unknown): string => displayValue(value, 64);

function adviseHeader(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  signatureBytes: number,
  sink: Sink,
): void {
  const alg = own(header, 'alg');
  if (typeof alg === 'string' && alg.toLowerCase() === 'none' && signatureBytes === 0)
    sink.note('header', 'alg none with an empty signature: an unsigned token');
  if (signatureBytes > 0)
    sink.note(
      'signature',
      `signature: ${signatureBytes} bytes, NOT verified here (attestation-gate verify checks it with the issuer's keys)`,
    );
  else sink.note('signature', 'signature: empty');
  const jku = own(header, 'jku');
  const iss = own(payload, 'iss');
  if (typeof jku === 'string' && typeof iss === 'string' && jku === `${iss}/certs`) {
    sink.note('header', `jku ${show(jku)}: only compared, never fetched (it is <iss>/certs, as required)`);
  }
}

function adviseIssuer(issuer: unknown, configured: boolean, sink: Sink): void {
  if (typeof issuer !== 'string') return;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return;
  }
  sink.note(
    'issuer',
    `iss ${show(issuer)}: ${configured ? 'checked against the --issuer given' : "accepted only if it is exactly one of the verifier's issuers (inspect --issuer, verify --issuer)"}`,
  );
  if (url.protocol === 'http:')
    sink.warn('issuer', 'iss uses plain http on loopback: a local test instance, trusted only with --allow-insecure-loopback');
  const host = url.hostname;
  if (host.endsWith('.test.attest.azure.net')) sink.warn('issuer', 'a pre-production MAA instance (*.test.attest.azure.net)');
  if (/^shared[a-z0-9]*\.[a-z0-9]+\.attest\.azure\.(net|us)$/.test(host)) {
    sink.note(
      'issuer',
      'a shared MAA instance: any Azure customer can attest to it, so a policy must pin what it trusts (the enclave or VM measurements)',
    );
  }
}

function timeReport(payload: Readonly<Record<string, unknown>>, name: string, nowSeconds: number): TimeReport {
  const value = own(payload, name);
  if (!isNumericDate(value)) return { value };
  return { value, utc: utcIso(value), relative: relativeTime(value * 1000, nowSeconds * 1000) };
}

function timesOf(payload: Readonly<Record<string, unknown>>, nowSeconds: number): InspectReport['times'] {
  return {
    iat: timeReport(payload, 'iat', nowSeconds),
    nbf: timeReport(payload, 'nbf', nowSeconds),
    exp: timeReport(payload, 'exp', nowSeconds),
  };
}

function adviseEvidence(
  payload: Readonly<Record<string, unknown>>,
  attestationType: unknown,
  explanation: TypeExplanation | undefined,
  sink: Sink,
): void {
  if (attestationType === undefined) return;
  lifetime(payload, sink);
  if (explanation === undefined && typeof attestationType === 'string' && attestationType !== '') {
    sink.warn(
      'evidence',
      `attestation type ${show(attestationType)}: no typed view, only the common claims are checked; ${UNKNOWN_FLAGS_RULE}`,
    );
  }
  const unknownTee = unknownTeeWarning(explanation);
  if (unknownTee !== undefined) sink.warn('evidence', unknownTee);
  for (const flag of explanation?.flags ?? []) if (flag.dangerous) sink.warn('evidence', describeFlag(flag));

  const legacy = Object.keys(LEGACY_ALIASES).filter((name) => Object.hasOwn(payload, name));
  if (legacy.length > 0) {
    sink.note(
      'evidence',
      `legacy aliases present (${legacy.join(', ')}): gate on the x-ms-* claims; a verifier refuses the token if an alias contradicts its x-ms-* claim`,
    );
  }
  if (Object.hasOwn(payload, 'nonce'))
    sink.note(
      'evidence',
      'nonce: NOT inside the quote, it proves nothing about the enclave (bind a challenge through runtime data instead)',
    );
  const runtime = ['x-ms-runtime', 'x-ms-sgx-ehd', 'x-ms-inittime'].filter((name) => Object.hasOwn(payload, name));
  if (runtime.length > 0) {
    sink.note(
      'evidence',
      `runtime data present (${runtime.join(', ')}): a key or challenge the enclave bound into its evidence; use it to tie the token to a session`,
    );
  } else {
    sink.note('evidence', 'no runtime data: a bearer token, bound to no key or session; whoever holds it can present it');
  }
  const policyHash = own(payload, 'x-ms-policy-hash');
  const defaults = typeof attestationType === 'string' ? (MAA_DEFAULT_POLICY_HASHES[attestationType] ?? []) : [];
  if (typeof policyHash === 'string' && defaults.includes(policyHash)) {
    sink.warn(
      'evidence',
      `x-ms-policy-hash is MAA's default ${show(attestationType)} policy, which issues tokens for any TEE of the type, debug ones included: pin the TEE itself`,
    );
  } else if (typeof policyHash === 'string') {
    sink.note('evidence', `x-ms-policy-hash ${show(policyHash)}: pin it to accept only evidence appraised by your instance policy`);
  }
  if (Object.hasOwn(payload, 'x-ms-policy-signer'))
    sink.note('evidence', 'x-ms-policy-signer present: the instance policy was uploaded signed (isolated trust model)');
}

function lifetime(payload: Readonly<Record<string, unknown>>, sink: Sink): void {
  const iat = own(payload, 'iat');
  const exp = own(payload, 'exp');
  if (typeof iat === 'number' && typeof exp === 'number' && exp - iat !== MAA_ATTESTATION_LIFETIME) {
    sink.note('time', `lifetime ${exp - iat} s: MAA's attestation tokens live 8 h (28800 s)`);
  }
}

// The only nested object whose members are claims in their own right (a policy addresses them dotted).

function claimRows(payload: Readonly<Record<string, unknown>>): [string, unknown][] {
  const rows: [string, unknown][] = [];
  for (const [name, value] of Object.entries(payload)) {
    rows.push([name, value]);
    if (name === ISOLATION_TEE && isJsonObject(value)) {
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
  out.push("Use `attestation-gate verify` to check it against the issuer's keys.\n");

  out.push('Header');
  const headerRows: string[][] = [];
  for (const name of ['alg', 'kid', 'jku', 'typ']) {
    headerRows.push([name, Object.hasOwn(report.header, name) ? displayValue(report.header[name], valueWidth + 24) : '(absent)']);
  }
  const others = Object.keys(report.header).filter((name) => !['alg', 'kid', 'jku', 'typ'].includes(name));
  for (const name of others) headerRows.push([printableName(shorten(name, 32)), displayValue(report.header[name], valueWidth + 24)]);
  headerRows.push(['signature', `${report.signatureBytes} bytes (not verified)`]);
  out.push(table(headerRows));

  out.push('Claims');
  const rows = claimRows(report.claims).map(([name, value]) => {
    const shown = options.full && typeof value === 'string' ? printable(JSON.stringify(value)) : displayValue(value, valueWidth);
    return [printableName(shorten(name, 64)), shown, report.meanings[name] ?? ''];
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
  const issuers = report.issuers === null ? 'any configured issuer' : report.issuers.map((issuer) => printable(issuer)).join(', ');
  out.push(`  (as a verifier with default options trusting ${issuers}; in its order)`);
  for (const observation of report.observations) {
    const code = observation.code === undefined ? '' : ` [${observation.code}]`;
    out.push(`  ${LABELS[observation.severity].padEnd(6)}  ${observation.message}${code}`);
  }
  out.push('');
  if (report.verdict !== null) {
    const others = report.refusals.filter((code) => code !== report.verdict);
    out.push(
      `Verdict: a verifier refuses this token with ${report.verdict}${others.length > 0 ? ` (also failing: ${others.join(', ')})` : ''}.`,
    );
  } else {
    const decides = report.issuers === null ? 'its issuer, its signature' : 'its signature';
    out.push(`Verdict: nothing above makes a verifier refuse it; ${decides} and your policy decide (attestation-gate verify).`);
  }
  return `${out.join('\n')}\n`;
}

function normalizedIssuerOption(url: string): string {
  try {
    // Loopback http allowed: inspect trusts nothing, it only says what a verifier so configured would do.
    return normalizeIssuer(url, true);
  } catch (error) {
    if (isAttestationError(error)) throw new UsageError(`--issuer: ${error.message}`);
    throw error;
  }
}

export async function inspectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parsingArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        issuer: { type: 'string', multiple: true },
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
  const judge = inspectJudgeOptions(values.issuer?.map(normalizedIssuerOption), at);
  // Read a little past maxTokenBytes: an oversized token is still explained, an endless input is not read.
  const limit = tokenReadLimit(judge.maxTokenBytes);
  let report: InspectReport;
  try {
    report = inspectToken(await readTokenArgument(positionals[0], io, limit), judge, limit);
  } catch (error) {
    if (!isAttestationError(error)) throw error;
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
