/**
 * What the local MAA instance does with an attest request, without HTTP: read the request body as MAA's
 * REST API defines it, parse the evidence, derive the claims exactly as MAA derives them, check the runtime
 * and init-time data against the quote, and run the instance policy (or the draft policy).
 *
 * Not done, because this is a test instance: the quote's signatures are not verified and no Intel
 * collateral (PCK certificates, TCB info, QE identity, CRLs) is fetched or checked. Every quote of the
 * right shape is genuine here.
 */
import { createHash } from 'node:crypto';
import { decodeBase64UrlStrict } from '../token/base64url.js';
import { isJsonObject, own } from '../util/own.js';
import { QuoteFormatError, SGX_FLAGS, parseSgxQuote, toHex, unwrapOpenEnclaveReport, type SgxQuote } from '../sgx/quote.js';
import { DEFAULT_COLLATERAL, policyHash, withLegacyAliases } from './claims.js';
import {
  ATTESTATION_SERVICE_ISSUER,
  evaluateAttestationPolicy,
  parseAttestationPolicy,
  PolicySyntaxError,
  type AttestationPolicy,
  type PolicyClaim,
} from './maa-policy.js';
import { sortedDeep } from './minting.js';

/** The two evidence types the attest API takes for SGX enclaves: `/attest/SgxEnclave` and `/attest/OpenEnclave`. */
export type EvidenceType = 'SgxEnclave' | 'OpenEnclave';

/** The api-versions of MAA's data plane the instance answers; others are refused, as MAA refuses them. */
export const ATTEST_API_VERSIONS = ['2020-10-01', '2022-08-01'] as const;
export type AttestApiVersion = (typeof ATTEST_API_VERSIONS)[number];

/** A refusal in MAA's error shape: `{ "error": { "code", "message" } }` with this HTTP status. */
export class MaaError extends Error {
  override readonly name = 'MaaError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

const invalid = (message: string): MaaError => new MaaError(400, 'InvalidParameter', message);

/** How much of a policy function's deny reason the error message carries. */
const MAX_REASON_LENGTH = 500;
/** How deeply JSON runtime or init-time data may nest: far beyond any JWK, well within the stack. */
const MAX_JSON_DEPTH = 64;

function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) break;
    for (const member of Object.values(current)) pending.push([member, depth + 1]);
  }
  return deepest;
}

/** Runtime or init-time data as the request carries it, decoded. */
export interface AttestData {
  readonly bytes: Uint8Array;
  readonly dataType: 'Binary' | 'JSON';
}

/** An attest request body, checked and decoded. */
export interface AttestRequest {
  readonly type: EvidenceType;
  readonly apiVersion: AttestApiVersion;
  /** The evidence bytes as sent: the quote, or the whole Open Enclave report. */
  readonly evidence: Uint8Array;
  readonly runtimeData: AttestData | undefined;
  readonly initTimeData: AttestData | undefined;
  readonly draftPolicy: string | undefined;
  /** Only with api-version 2022-08-01, which added it. */
  readonly nonce: string | undefined;
}

/** The evidence, parsed, and the claims MAA derives from it (before any policy runs). */
export interface EvidenceClaims {
  readonly quote: SgxQuote;
  readonly claims: Record<string, unknown>;
}

/** What the instance's own policy function sees. */
export interface InstancePolicyContext {
  /** The claims derived from the evidence and the runtime and init-time data (a copy). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly type: EvidenceType;
  readonly quote: SgxQuote;
}

/**
 * What an instance policy function answers: nothing (issue the token), `{ deny: reason }` (MAA's
 * `PolicyEvaluationError`), or `{ claims }` to add to the token, as a custom `issuancerules` block does.
 */
export type InstancePolicyResult = void | undefined | { readonly deny: string } | { readonly claims: Readonly<Record<string, unknown>> };

/** A function standing in for a custom policy, run after the instance's policy text permitted. */
export type InstancePolicy = (context: InstancePolicyContext) => InstancePolicyResult | Promise<InstancePolicyResult>;

/** The instance's policy: the text (evaluated, and hashed into `x-ms-policy-hash`) and an optional function. */
export interface CompiledInstancePolicy {
  readonly text: string;
  readonly parsed: AttestationPolicy;
  readonly hash: string;
  readonly evaluate: InstancePolicy | undefined;
}

/** The outcome of an attest request: the claims of the token to mint, and whether it is unsigned. */
export interface AttestOutcome {
  readonly claims: Record<string, unknown>;
  /** True for a draft-policy attestation: MAA returns those unsigned (`alg: none`). */
  readonly unsigned: boolean;
}

// The other collateral hashes: MAA hashes what it fetched from Intel; this instance fetches nothing.
const { quotehash: _unused, ...COLLATERAL_WITHOUT_QUOTE } = DEFAULT_COLLATERAL;

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = own(body, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

/** base64url as MAA's clients send it: unpadded (the SDKs), or padded. Anything else is refused. */
function base64url(text: string, name: string): Buffer {
  const unpadded = text.length % 4 === 0 ? text.replace(/={1,2}$/, '') : text;
  const bytes = decodeBase64UrlStrict(unpadded);
  if (bytes === undefined) throw invalid(`${name} is not base64url`);
  return bytes;
}

function readData(body: Record<string, unknown>, name: string): AttestData | undefined {
  const value = own(body, name);
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw invalid(`${name} must be an object { data, dataType }`);
  const data = own(value, 'data');
  const dataType = own(value, 'dataType');
  if (typeof data !== 'string') throw invalid(`${name}.data must be a base64url string`);
  if (dataType !== 'Binary' && dataType !== 'JSON') throw invalid(`${name}.dataType must be "Binary" or "JSON"`);
  return { bytes: base64url(data, `${name}.data`), dataType };
}

/** Checks an attest request as MAA's REST API defines it (the body already parsed from JSON). */
export function readAttestRequest(type: EvidenceType, apiVersion: string | undefined, body: unknown): AttestRequest {
  if (apiVersion === undefined) throw new MaaError(400, 'ApiVersionUnspecified', 'An API version is required, but was not specified.');
  if (!(ATTEST_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new MaaError(
      400,
      'UnsupportedApiVersion',
      `The api-version ${JSON.stringify(apiVersion.slice(0, 40))} is not supported; supported versions: ${ATTEST_API_VERSIONS.join(', ')}.`,
    );
  }
  if (!isJsonObject(body)) throw invalid('the request body must be a JSON object');
  const evidenceName = type === 'SgxEnclave' ? 'quote' : 'report';
  const evidenceText = own(body, evidenceName);
  if (typeof evidenceText !== 'string' || evidenceText === '') throw invalid(`${evidenceName} is required (base64url)`);
  return {
    type,
    apiVersion: apiVersion as AttestApiVersion,
    evidence: base64url(evidenceText, evidenceName),
    runtimeData: readData(body, 'runtimeData'),
    initTimeData: readData(body, 'initTimeData'),
    draftPolicy: optionalString(body, 'draftPolicyForAttestation'),
    nonce: apiVersion === '2022-08-01' ? optionalString(body, 'nonce') : undefined,
  };
}

/** JSON runtime or init-time data: an object, as UTF-8 text that may end with one NUL (C strings). */
function jsonData(data: AttestData, name: string): unknown {
  const { bytes } = data;
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)));
  } catch {
    throw invalid(`${name} of dataType JSON is not JSON text`);
  }
  if (!isJsonObject(value)) throw invalid(`${name} of dataType JSON must be a JSON object`);
  if (depthOf(value) > MAX_JSON_DEPTH) throw invalid(`${name} nests deeper than ${MAX_JSON_DEPTH} levels`);
  return sortedDeep(value);
}

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/**
 * The claims MAA derives from the evidence and the data sent with it. Refuses (400) a malformed quote,
 * runtime data whose SHA-256 is not the first half of the report data, and init-time data whose SHA-256
 * is not the first half of CONFIGID (where SGX keeps what the enclave was initialised with).
 */
export function deriveEvidenceClaims(request: AttestRequest): EvidenceClaims {
  let quote: SgxQuote;
  try {
    quote = parseSgxQuote(request.type === 'OpenEnclave' ? unwrapOpenEnclaveReport(request.evidence) : request.evidence);
  } catch (error) {
    if (error instanceof QuoteFormatError)
      throw invalid(`The specified ${request.type === 'OpenEnclave' ? 'report' : 'quote'} is invalid: ${error.message}`);
    throw error;
  }
  const { body } = quote;
  const collateral = sortedDeep({ ...COLLATERAL_WITHOUT_QUOTE, quotehash: sha256(request.evidence).toString('hex') }) as Record<
    string,
    string
  >;
  const claims: Record<string, unknown> = {
    ...withLegacyAliases('x-ms-sgx-collateral', collateral),
    'x-ms-attestation-type': 'sgx',
    'x-ms-sgx-is-debuggable': body.isDebuggable,
    'x-ms-sgx-mrenclave': toHex(body.mrenclave),
    'x-ms-sgx-mrsigner': toHex(body.mrsigner),
    'x-ms-sgx-product-id': body.isvProdId,
    'x-ms-sgx-report-data': toHex(body.reportData),
    'x-ms-sgx-svn': body.isvSvn,
    'x-ms-sgx-tcbidentifier': 'azuredefault',
    'x-ms-ver': '1.0',
  };
  // Key Separation and Sharing: only an enclave with the KSS attribute has these fields, and only then
  // does MAA issue them.
  if ((body.flags & SGX_FLAGS.kss) !== 0n) {
    Object.assign(claims, {
      'x-ms-sgx-config-id': toHex(body.configId),
      'x-ms-sgx-config-svn': body.configSvn,
      'x-ms-sgx-isv-extended-product-id': toHex(body.isvExtProdId),
      'x-ms-sgx-isv-family-id': toHex(body.isvFamilyId),
    });
  }
  const { runtimeData, initTimeData } = request;
  if (runtimeData !== undefined) {
    if (!sha256(runtimeData.bytes).equals(body.reportData.subarray(0, 32))) {
      throw invalid('The SHA-256 hash of the runtime data does not match the first 32 bytes of the report data of the quote.');
    }
    if (runtimeData.dataType === 'JSON') claims['x-ms-runtime'] = jsonData(runtimeData, 'runtimeData');
    else {
      const ehd = Buffer.from(runtimeData.bytes).toString('base64url');
      Object.assign(claims, withLegacyAliases('x-ms-sgx-ehd', ehd));
    }
  }
  if (initTimeData !== undefined) {
    if (!sha256(initTimeData.bytes).equals(body.configId.subarray(0, 32))) {
      throw invalid('The SHA-256 hash of the init-time data does not match the first 32 bytes of the CONFIGID of the quote.');
    }
    if (initTimeData.dataType === 'JSON') claims['x-ms-inittime'] = jsonData(initTimeData, 'initTimeData');
  }
  if (request.nonce !== undefined) claims['nonce'] = request.nonce;
  return { quote, claims };
}

/** The policy text compiled, or a RangeError naming what is wrong with it. */
export function compileInstancePolicy(text: string, evaluate: InstancePolicy | undefined): CompiledInstancePolicy {
  if (evaluate !== undefined && typeof evaluate !== 'function') throw new TypeError('policy must be a function');
  try {
    return { text, parsed: parseAttestationPolicy(text), hash: policyHash(text), evaluate };
  } catch (error) {
    if (error instanceof PolicySyntaxError)
      throw new RangeError(`policyText is not a policy the local instance can evaluate: ${error.message}`);
    throw error;
  }
}

const policyDenied = (reason: string): MaaError =>
  new MaaError(400, 'PolicyEvaluationError', `Policy Evaluation Error has occurred: ${reason}`);

function asPolicyClaims(claims: Readonly<Record<string, unknown>>): PolicyClaim[] {
  return Object.entries(claims).map(([type, value]) => ({ type, value, issuer: ATTESTATION_SERVICE_ISSUER }));
}

/**
 * Issued claims as token members: one claim type issued several times becomes an array. The policy names
 * the types, so each is defined as a plain own member: assigning `out["__proto__"]` would set the
 * object's prototype and lose the claim.
 */
function issuedMembers(issued: readonly PolicyClaim[]): Record<string, unknown> {
  const byType = new Map<string, unknown[]>();
  for (const { type, value } of issued) {
    const values = byType.get(type);
    if (values === undefined) byType.set(type, [value]);
    else values.push(value);
  }
  const out: Record<string, unknown> = {};
  for (const [type, values] of byType) {
    Object.defineProperty(out, type, {
      value: values.length === 1 ? values[0] : values,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Runs the policy — the draft policy when the request has one, else the instance's text and function —
 * and returns the claims of the token: the evidence claims, the issued claims (top-level and in
 * `x-ms-policy`, as MAA puts them) and `x-ms-policy-hash`.
 */
export async function appraise(request: AttestRequest, evidence: EvidenceClaims, policy: CompiledInstancePolicy): Promise<AttestOutcome> {
  let parsed = policy.parsed;
  let hash = policy.hash;
  if (request.draftPolicy !== undefined) {
    try {
      parsed = parseAttestationPolicy(request.draftPolicy);
    } catch (error) {
      if (error instanceof PolicySyntaxError)
        throw new MaaError(400, 'InvalidParameter', `The draft policy cannot be parsed: ${error.message}`);
      throw error;
    }
    hash = policyHash(request.draftPolicy);
  }
  const outcome = evaluateAttestationPolicy(parsed, asPolicyClaims(evidence.claims));
  if (!outcome.permitted) throw policyDenied(outcome.reason);
  let issued = issuedMembers(outcome.issued);
  if (request.draftPolicy === undefined && policy.evaluate !== undefined) {
    const result = await policy.evaluate({ claims: structuredClone(evidence.claims), type: request.type, quote: evidence.quote });
    if (result !== undefined && result !== null) {
      if (!isJsonObject(result)) throw new TypeError('the instance policy function must return undefined, { deny } or { claims }');
      if ('deny' in result) throw policyDenied(String(result.deny).slice(0, MAX_REASON_LENGTH));
      if (!('claims' in result) || !isJsonObject(result.claims))
        throw new TypeError('the instance policy function returned claims that are not an object');
      issued = { ...issued, ...structuredClone(result.claims) };
    }
  }
  // What the evidence says cannot be overwritten by an issued claim of the same name: a relying party
  // reads the x-ms-* claims as the enclave's identity.
  const claims: Record<string, unknown> = { ...issued, ...evidence.claims, 'x-ms-policy-hash': hash };
  if (Object.keys(issued).length > 0) claims['x-ms-policy'] = sortedDeep(issued);
  return { claims, unsigned: request.draftPolicy !== undefined };
}
