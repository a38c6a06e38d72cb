import { readAttestationResult } from '../claims/attestation.js';
import type { KeySource, SigningKey } from '../keys/signing-key.js';
import { checkJku, type KnownHeader, type KnownHeaders, validateHeader } from '../token/header.js';
import {
  decodeJsonSegment,
  decodeSignature,
  signingInputForNow,
  signingInputOf,
  splitCompactJws,
  type TokenSegments,
} from '../token/parse.js';
import { own } from '../util/own.js';
import { throwRefusal } from '../util/rules.js';
import { judgeIssuer } from './issuers.js';
import type { ResolvedOptions } from './options.js';
import { Attestation, freezeJson, freezeResult, type VerifiedAttestation } from './result.js';
import { checkSignature, type SignatureThread, startSignatureCheck, usesThreadPool } from './signature.js';
import type { IssuerSources } from './tenant-issuers.js';
import { checkTimes, type TokenTimes } from './time.js';

// The full path, for a token the cache cannot answer: checks 1–3 without I/O (or one resolver call),
// then the key, then 5–8 with the RSA overlapped with the claim checks.

export interface PreparedToken {
  readonly segments: TokenSegments;
  /** The validated header; `fresh` when it was decoded for this token rather than remembered. */
  readonly header: KnownHeader;
  readonly fresh: boolean;
  readonly payload: Record<string, unknown>;
  readonly signature: Buffer;
  readonly source: KeySource;
  readonly kid: string;
}

/**
 * Checks 1–3: form, header, trusted issuer. Without I/O for listed issuers: a token naming an untrusted
 * issuer costs no request. With an `issuers` function, a new issuer costs one call to it. A header
 * already seen in an authentic token is taken from `knownHeaders` instead of being decoded and validated
 * again; the checks that remain run in the same order, so the first failure reported is the same either way.
 */
export function prepare(
  token: unknown,
  options: ResolvedOptions,
  sources: IssuerSources,
  knownHeaders: KnownHeaders,
): PreparedToken | Promise<PreparedToken> {
  const segments = splitCompactJws(token, options.maxTokenBytes);
  const known = knownHeaders.get(segments.header);
  const decodedHeader = known === undefined ? decodeJsonSegment(segments.header, 'header', segments.ascii) : undefined;
  const payload = decodeJsonSegment(segments.payload, 'payload', segments.ascii);
  const signature = decodeSignature(segments);
  const header = known ?? { header: decodedHeader!, ...validateHeader(decodedHeader!, options.algorithms) };
  const issuer = own(payload, 'iss');
  const found = typeof issuer === 'string' ? sources.get(issuer) : undefined;
  const prepared = (source: KeySource | undefined): PreparedToken => {
    // The rule `issuer-trusted` (issuers.ts), asked of the one source this issuer resolved to, or of none.
    judgeIssuer(issuer, { has: () => source !== undefined }, throwRefusal);
    checkJku(header.jku, (source as KeySource).issuer);
    return { segments, header, fresh: known === undefined, payload, signature, source: source as KeySource, kid: header.kid };
  };
  return found instanceof Promise ? found.then(prepared) : prepared(found);
}

export interface Completed {
  readonly result: VerifiedAttestation;
  readonly times: TokenTimes;
  /** Estimated heap bytes of what the result holds that no other result shares. */
  readonly heapBytes: number;
}

/**
 * Checks 5–8 once the issuer's key is known: signature, time, attestation result, typed claims. On the
 * thread pool (`usesThreadPool`), the RSA runs there while the claims are checked here, and a claim
 * error waits for the signature; on the calling thread, the signature is checked first. Either way a
 * forged token is refused as ERR_SIGNATURE_INVALID whatever its claims.
 */
export function complete(
  prepared: PreparedToken,
  key: SigningKey,
  options: ResolvedOptions,
  knownHeaders: KnownHeaders,
  thread: SignatureThread | undefined,
): Completed | Promise<Completed> {
  const { header, segments, signature } = prepared;
  if (!usesThreadPool(thread)) {
    checkSignature(header.alg, key, signingInputForNow(segments), signature);
    return authentic(prepared, readResult(prepared, options), knownHeaders);
  }
  const signed = startSignatureCheck(header.alg, key, signingInputOf(segments), signature);
  let completed: Completed | undefined;
  let claimError: unknown;
  try {
    completed = readResult(prepared, options);
  } catch (error) {
    claimError = error;
  }
  return signed.then(() => {
    if (completed === undefined) throw claimError;
    return authentic(prepared, completed, knownHeaders);
  });
}

/** Once the signature verified: only a header from an authentic token is remembered, so forged ones cannot push real ones out. */
function authentic(prepared: PreparedToken, completed: Completed, knownHeaders: KnownHeaders): Completed {
  if (prepared.fresh) knownHeaders.remember(prepared.segments.header, prepared.header);
  return completed;
}

/** Checks 6–8 (time, attestation result, typed claims) and builds the frozen result. */
function readResult({ header, fresh, payload, source, kid }: PreparedToken, options: ResolvedOptions): Completed {
  const times = checkTimes(payload, options.now() / 1000, options);
  const result = readAttestationResult(payload);
  // Frozen whole: a result may be shared by the cache and by every handler of a request. Parsed JSON
  // first (fast, and it sizes the entry), then the result and its views, which have no getters of their own.
  let heapBytes = freezeJson(payload);
  if (fresh) heapBytes += freezeJson(header.header);
  const attestation = freezeResult(
    new Attestation({
      issuer: source.issuer,
      attestationType: result.attestationType,
      header: header.header,
      claims: payload,
      keyId: kid,
      issuedAt: new Date(times.issuedAt * 1000),
      expiresAt: new Date(times.expiresAt * 1000),
      policyHash: result.policyHash,
      policySigner: result.policySigner,
      nonce: result.nonce,
      sgx: result.sgx,
      sevsnp: result.sevsnp,
      azurevm: result.azurevm,
      tdx: result.tdx,
    }),
  );
  return { result: attestation, times, heapBytes };
}
