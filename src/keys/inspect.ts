/**
 * What a JWKS says about the MAA enclave behind each of its keys, for people rather than the verifier:
 * every key is reported (an instance key whose quote verified, one whose quote failed at a named step, a
 * key with no quote at all), where the verifier would only keep the usable ones. Used by the CLI's
 * `keys` command; the checks are the verifier's own (`verifyMaaSigningCertificate`).
 */
import type { IntelSgxCollateral } from '../sgx/collateral.js';
import { publicKeyOf } from '../sgx/pck-chain.js';
import { isJsonObject, own } from '../util/own.js';
import { parseCertificate } from '../util/pem.js';
import { STANDARD_BASE64_TEXT } from './maa-kid.js';
import { verifyMaaSigningCertificate, type MaaKeyCheckStep } from './maa-quote.js';
import { reportKey, type EnclaveReport } from './signing-key.js';

/** More keys than any MAA instance publishes; bounds the work one document can cause. */
const MAX_KEYS = 64;

export interface KeyInspection {
  readonly kid: string | undefined;
  /** The certificate subject (`x5c[0]`), when the key has one. */
  readonly subject: string | undefined;
  /** `verified`: the quote verified to Intel's root and binds this key; `failed`: see `step`; `no-quote`: not an MAA instance key. */
  readonly outcome: 'verified' | 'failed' | 'no-quote';
  readonly step: MaaKeyCheckStep | undefined;
  readonly reason: string | undefined;
  readonly enclave: EnclaveReport | undefined;
}

export interface InspectOptions {
  /** The time certificates must be valid at. */
  readonly at: Date;
  readonly collateral?: IntelSgxCollateral | undefined;
}

/** Reports every key of a JWKS. Throws TypeError when the document is not a JWKS. */
export function inspectMaaKeys(jwks: unknown, options: InspectOptions): KeyInspection[] {
  const list = isJsonObject(jwks) ? own(jwks, 'keys') : undefined;
  if (!Array.isArray(list)) throw new TypeError('not a JWKS ({"keys": [...]})');
  if (list.length > MAX_KEYS) throw new TypeError(`the JWKS lists more than ${MAX_KEYS} keys`);
  return list.map((jwk) => inspectKey(jwk, options));
}

function inspectKey(jwk: unknown, options: InspectOptions): KeyInspection {
  const kidValue = isJsonObject(jwk) ? own(jwk, 'kid') : undefined;
  const kid = typeof kidValue === 'string' ? kidValue : undefined;
  const none = { kid, subject: undefined, step: undefined, reason: undefined, enclave: undefined };
  const x5c = isJsonObject(jwk) ? own(jwk, 'x5c') : undefined;
  const first: unknown = Array.isArray(x5c) ? x5c[0] : undefined;
  if (typeof first !== 'string' || !STANDARD_BASE64_TEXT.test(first))
    return { ...none, outcome: 'no-quote', reason: 'the key has no certificate' };
  const certificate = parseCertificate(first);
  if (certificate === undefined) return { ...none, outcome: 'no-quote', reason: 'x5c[0] is not an X.509 certificate' };
  const subject = certificate.subject;
  const publicKey = publicKeyOf(certificate);
  if (publicKey === undefined) return { ...none, subject, outcome: 'no-quote', reason: 'the certificate public key cannot be decoded' };
  if (kid === undefined) return { ...none, subject, outcome: 'failed', step: undefined, reason: 'the key has no kid' };
  const verified = verifyMaaSigningCertificate(first, publicKey, kid, undefined, options);
  if ('reason' in verified) {
    return {
      ...none,
      subject,
      outcome: verified.step === 'quote-extension' ? 'no-quote' : 'failed',
      step: verified.step,
      reason: verified.reason,
    };
  }
  const report = reportKey({ kid, key: publicKey, modulusBits: 0, alg: undefined, certificate, enclave: verified });
  return { ...none, subject, outcome: 'verified', enclave: report.enclave };
}
