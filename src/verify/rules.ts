/**
 * Every check the verifier makes that can be judged from the token and the options alone, in the
 * verifier's order, as the very rules the verifier runs: the parser, `judgeHeader`, `judgeIssuer`,
 * `judgeJku`, `judgeTimes` and the claim reader. The verifier throws the first refusal; `judgeToken`
 * collects them all, which is what `attestation-gate inspect` shows. Only the key lookup and the
 * signature, which need the issuer's keys, sit between the issuer and the time checks and are not judged.
 */
import { isLegacySgxResult, readAttestationResult } from '../claims/attestation.js';
import { asAttestationError, isAttestationError } from '../errors.js';
import { judgeHeader, judgeJku } from '../token/header.js';
import { parseCompactJws, type ParsedToken } from '../token/parse.js';
import { own } from '../util/own.js';
import type { Refusal, Report } from '../util/rules.js';
import { judgeIssuer, type TrustedIssuers } from './issuers.js';
import type { ResolvedOptions } from './options.js';
import { judgeTimes } from './time.js';

/** The options the rules read: a verifier's, or inspect's defaults. */
export interface JudgeOptions {
  readonly maxTokenBytes: number;
  readonly algorithms: ReadonlySet<string>;
  /** The configured issuers; undefined: could ANY configuration trust this `iss`? */
  readonly issuers: TrustedIssuers | undefined;
  readonly clockTolerance: number;
  readonly maxTokenAge: number | undefined;
  /** When times are judged, in seconds since the epoch. */
  readonly nowSeconds: number;
}

/**
 * The judge options of a verifier built from `resolved`, at its clock's now. Issuers resolved at run time
 * are unknown in advance: undefined, as for `inspect` without `--issuer`.
 */
export function judgeOptionsOf(resolved: ResolvedOptions): JudgeOptions {
  return {
    maxTokenBytes: resolved.maxTokenBytes,
    algorithms: resolved.algorithms,
    issuers: resolved.resolver === undefined ? new Set(resolved.issuers.map((entry) => entry.issuer)) : undefined,
    clockTolerance: resolved.clockTolerance,
    maxTokenAge: resolved.maxTokenAge,
    nowSeconds: resolved.now() / 1000,
  };
}

export type Stage = 'form' | 'header' | 'issuer' | 'time' | 'claims';

export interface Finding extends Refusal {
  readonly rule: string;
  readonly stage: Stage;
}

export interface Judgement {
  /** The decoded token; undefined when it cannot be decoded at all (the findings say why). */
  readonly parsed: ParsedToken | undefined;
  /**
   * Every refusal, in the verifier's order. For a token whose key its issuer publishes and whose
   * signature verifies, the verifier refuses with the first one's code, and accepts when there is none.
   */
  readonly findings: readonly Finding[];
}

/**
 * The rule `attestation-result` (step 7): the claims are an attestation result with well-typed claims for
 * its type, and runtime data given twice agrees. The claim reader is the rule; the verifier calls it
 * directly for the typed views it returns.
 */
export function judgeAttestationResult(payload: Readonly<Record<string, unknown>>, report: Report): void {
  try {
    readAttestationResult(payload);
  } catch (error) {
    // What the verifier would throw: a refusal as it is, anything else as ERR_INTERNAL.
    const { code, message } = asAttestationError(error);
    report('attestation-result', { code, message, ...whyNotAnAttestationResult(payload) });
  }
}

function whyNotAnAttestationResult(payload: Readonly<Record<string, unknown>>): { why: string } | Record<string, never> {
  if (isLegacySgxResult(payload)) {
    return {
      why: 'tee "sgx" and sgx-mrenclave: an SGX result in MAA\'s 2020 claim format (maa-*, aas-ehd), which this library does not accept; attest again against a current MAA instance',
    };
  }
  if (own(payload, 'x-ms-attestation-type') === undefined)
    return { why: 'a policy-management response, not attestation evidence (MAA signs both with the same key)' };
  return {};
}

/**
 * Judges a token against every rule. `decodeLimit` lets a token longer than `maxTokenBytes` still be
 * decoded and explained (its first finding is then ERR_TOKEN_TOO_LARGE, as the verifier's refusal).
 */
export function judgeToken(token: unknown, options: JudgeOptions, decodeLimit = options.maxTokenBytes): Judgement {
  const findings: Finding[] = [];
  const reporter =
    (stage: Stage): Report =>
    (rule, refusal) =>
      void findings.push({ rule, stage, ...refusal });
  const parsed = decode(token, options.maxTokenBytes, Math.max(decodeLimit, options.maxTokenBytes), reporter('form'));
  if (parsed === undefined) return { parsed, findings };

  const { header, payload } = parsed;
  judgeHeader(header, options.algorithms, reporter('header'));
  const iss = own(payload, 'iss');
  judgeIssuer(iss, options.issuers, reporter('issuer'));
  // jku is compared with the issuer once it is trusted: judged with the issuer, after it.
  judgeJku(own(header, 'jku'), iss, reporter('issuer'));
  judgeTimes(payload, options.nowSeconds, options, reporter('time'));
  judgeAttestationResult(payload, reporter('claims'));
  return { parsed, findings };
}

// The parser is the form rule: what it throws at maxTokenBytes is the verifier's refusal. An oversized
// token is decoded again within decodeLimit so that the rest can still be explained.
function decode(token: unknown, maxTokenBytes: number, decodeLimit: number, report: Report): ParsedToken | undefined {
  for (const limit of [maxTokenBytes, decodeLimit]) {
    try {
      return parseCompactJws(token, limit);
    } catch (error) {
      if (!isAttestationError(error)) throw error;
      report('compact-jws', { code: error.code, message: error.message });
      if (error.code !== 'ERR_TOKEN_TOO_LARGE' || limit === decodeLimit) return undefined;
    }
  }
  return undefined;
}
