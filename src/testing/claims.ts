/**
 * SGX attestation claims as MAA's default policy issues them, for minting realistic test tokens.
 *
 * The shape follows real tokens from the shared West US instance (see test/fixtures/maa/decoded): the
 * `x-ms-*` claims MAA derives from the quote, plus the legacy duplicates the default policy issues. One
 * deliberate difference: real default-policy tokens come from debug enclaves, these default to a
 * production enclave (`x-ms-sgx-is-debuggable: false`) so that a test which forgets to think about debug
 * mode exercises the safe path; set it to `true` to test rejection.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../util/own.js';
import { MAA_DEFAULT_POLICY_HASH } from '../claims/attestation.js';

/** MRENCLAVE of the default test enclave (64 lowercase hex). */
export const DEFAULT_MRENCLAVE = 'a2d29bfd01ade8cae250dfa0e0d84ffb1b206f1f6d44cc79fe346585407a634e';
/** MRSIGNER of the default test enclave (64 lowercase hex). */
export const DEFAULT_MRSIGNER = '7c4755f5325364a14e4c1a8a4ad7311e7b672d1e409b6f987884ee7d77b90a83';
/** ISVPRODID of the default test enclave. */
export const DEFAULT_PRODUCT_ID = 1;
/** ISVSVN of the default test enclave. */
export const DEFAULT_SVN = 1;
/** 64 zero bytes as 128 hex: the report data of a quote taken without runtime data. */
export const DEFAULT_REPORT_DATA = '0'.repeat(128);

/** SHA-256 hex of the (pretend) collateral MAA used; real tokens repeat the certs and CRL hashes likewise. */
export const DEFAULT_COLLATERAL: Readonly<SgxCollateral> = Object.freeze({
  qeidcertshash: '5efe5e45572358c91f1050440f2ff052dc8946bce93bf9b72bab3f10e2508200',
  qeidcrlhash: '939aa4c547c0c8bfce9a5c864f321deb016899079971e114a63d8b5b1401d909',
  qeidhash: '7d028d35b205456655e17986ee6d15b6da4d8919c597fd58bac874d44de2ab92',
  quotehash: 'b80c78557581d9a21927a95831daea8c6bf13c5fd3552db23c5dbed61a692e3f',
  tcbinfocertshash: '5efe5e45572358c91f1050440f2ff052dc8946bce93bf9b72bab3f10e2508200',
  tcbinfocrlhash: '939aa4c547c0c8bfce9a5c864f321deb016899079971e114a63d8b5b1401d909',
  tcbinfohash: '0c2b1201d7fce5e0e2f75dfc369826d956c8837475fe52628903d6aa37093e98',
});

/**
 * MAA's default SGX policy, byte for byte as the shared instances return it (decoded from the real
 * get-policy response in the fixtures). Every instance starts with it, so its hash is the one relying
 * parties see most.
 */
export const DEFAULT_POLICY_TEXT =
  'version= 1.0;authorizationrules{=> permit();};issuancerules{' +
  'c:[type=="x-ms-sgx-is-debuggable"] => issue(type="is-debuggable", value=c.value);' +
  'c:[type=="x-ms-sgx-mrsigner"] => issue(type="sgx-mrsigner", value=c.value);' +
  'c:[type=="x-ms-sgx-mrenclave"] => issue(type="sgx-mrenclave", value=c.value);' +
  'c:[type=="x-ms-sgx-product-id"] => issue(type="product-id", value=c.value);' +
  'c:[type=="x-ms-sgx-svn"] => issue(type="svn", value=c.value);' +
  'c:[type=="x-ms-attestation-type"] => issue(type="tee", value=c.value);};';

/**
 * `x-ms-policy-hash` as MAA computes it: base64url(SHA-256(base64url(policy text))), unpadded, 43 chars.
 */
export function policyHash(policyText: string): string {
  const encoded = Buffer.from(policyText, 'utf8').toString('base64url');
  return createHash('sha256').update(encoded, 'ascii').digest('base64url');
}

/** `policyHash(DEFAULT_POLICY_TEXT)`: the value real default-policy tokens carry. */
export const DEFAULT_POLICY_HASH = MAA_DEFAULT_POLICY_HASH;

/** The seven collateral hashes MAA reports in `x-ms-sgx-collateral`. */
export interface SgxCollateral {
  qeidcertshash: string;
  qeidcrlhash: string;
  qeidhash: string;
  quotehash: string;
  tcbinfocertshash: string;
  tcbinfocrlhash: string;
  tcbinfohash: string;
}

/** The legacy claims the default policy issues, which it also echoes in `x-ms-policy`. */
export type LegacyPolicyClaims = {
  'is-debuggable': boolean;
  'product-id': number;
  'sgx-mrenclave': string;
  'sgx-mrsigner': string;
  svn: number;
  tee: string;
};

/**
 * What `defaultSgxClaims()` returns. A type alias, not an interface, so it is assignable to
 * `Record<string, unknown>`.
 *
 * Not included, because MAA's default policy on a non-KSS platform does not issue them:
 * `x-ms-sgx-tcbidentifier` (custom-policy tokens carry e.g. `"10"`), `x-ms-sgx-ehd` / `x-ms-runtime`
 * (only when the client sent runtime data: see `runtimeDataClaims`), `nonce`, `x-ms-policy-signer`.
 */
export type DefaultSgxClaims = LegacyPolicyClaims & {
  'maa-attestationcollateral': SgxCollateral;
  'x-ms-attestation-type': 'sgx';
  'x-ms-policy': LegacyPolicyClaims;
  'x-ms-policy-hash': string;
  'x-ms-sgx-collateral': SgxCollateral;
  'x-ms-sgx-is-debuggable': boolean;
  'x-ms-sgx-mrenclave': string;
  'x-ms-sgx-mrsigner': string;
  'x-ms-sgx-product-id': number;
  'x-ms-sgx-report-data': string;
  'x-ms-sgx-svn': number;
  'x-ms-ver': string;
};

/**
 * A fresh copy (safe to mutate) of the claims MAA's default policy issues for an SGX enclave, with the
 * default measurements above. Registered claims (`iss`, `iat`, ...) are not included.
 */
export function defaultSgxClaims(): DefaultSgxClaims {
  const legacy = (): LegacyPolicyClaims => ({
    'is-debuggable': false,
    'product-id': DEFAULT_PRODUCT_ID,
    'sgx-mrenclave': DEFAULT_MRENCLAVE,
    'sgx-mrsigner': DEFAULT_MRSIGNER,
    svn: DEFAULT_SVN,
    tee: 'sgx',
  });
  return {
    ...legacy(),
    'maa-attestationcollateral': { ...DEFAULT_COLLATERAL },
    'x-ms-attestation-type': 'sgx',
    'x-ms-policy': legacy(),
    'x-ms-policy-hash': DEFAULT_POLICY_HASH,
    'x-ms-sgx-collateral': { ...DEFAULT_COLLATERAL },
    'x-ms-sgx-is-debuggable': false,
    'x-ms-sgx-mrenclave': DEFAULT_MRENCLAVE,
    'x-ms-sgx-mrsigner': DEFAULT_MRSIGNER,
    'x-ms-sgx-product-id': DEFAULT_PRODUCT_ID,
    'x-ms-sgx-report-data': DEFAULT_REPORT_DATA,
    'x-ms-sgx-svn': DEFAULT_SVN,
    'x-ms-ver': '1.0',
  };
}

/**
 * Which legacy claims duplicate which `x-ms-*` claim under the default policy (the `tee` rule copies
 * `x-ms-attestation-type`, per the policy text). Used by `mergeClaims` to keep overrides self-consistent.
 */
export const LEGACY_CLAIM_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'x-ms-sgx-is-debuggable': ['is-debuggable'],
  'x-ms-sgx-mrenclave': ['sgx-mrenclave'],
  'x-ms-sgx-mrsigner': ['sgx-mrsigner'],
  'x-ms-sgx-product-id': ['product-id'],
  'x-ms-sgx-svn': ['svn'],
  'x-ms-attestation-type': ['tee'],
  'x-ms-sgx-collateral': ['maa-attestationcollateral'],
  'x-ms-sgx-ehd': ['maa-ehd', 'aas-ehd'],
});

/** Sets `target[name]` to `value`, or removes the member when `value` is `undefined`. */
export function setOrDelete(target: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete target[name];
  else target[name] = value;
}

/**
 * `base` with `overrides` laid over it, shallowly. An override whose value is `undefined` removes the claim.
 *
 * So that a test which changes one measurement still gets a self-consistent token, overriding an `x-ms-*`
 * claim also changes (or removes) its legacy duplicates that `base` carries — top-level and inside a
 * `x-ms-policy` object — unless `overrides` names that duplicate (or `x-ms-policy`) itself. Duplicates
 * absent from `base` are not added: a test that wants them sets them.
 */
export function mergeClaims(
  base: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) setOrDelete(out, name, value);

  const basePolicy = base['x-ms-policy'];
  const policy = !Object.hasOwn(overrides, 'x-ms-policy') && isJsonObject(basePolicy) ? { ...basePolicy } : undefined;
  for (const [source, aliases] of Object.entries(LEGACY_CLAIM_ALIASES)) {
    if (!Object.hasOwn(overrides, source)) continue;
    const value = overrides[source];
    for (const alias of aliases) {
      if (Object.hasOwn(overrides, alias)) continue;
      if (Object.hasOwn(base, alias)) setOrDelete(out, alias, value);
      if (policy && Object.hasOwn(policy, alias)) setOrDelete(policy, alias, value);
    }
  }
  if (policy) out['x-ms-policy'] = policy;
  return out;
}

/** Claims MAA adds when the client sent binary runtime data with the quote. */
export type RuntimeDataClaims = {
  'x-ms-sgx-ehd': string;
  'maa-ehd': string;
  'aas-ehd': string;
  'x-ms-sgx-report-data': string;
};

/**
 * The claims a default-policy token carries when the enclave bound `runtimeData` to its quote (report data
 * = SHA-256(runtime data) then 32 zero bytes; `x-ms-sgx-ehd` = unpadded base64url of the data, repeated in
 * the legacy `maa-ehd` and `aas-ehd`). Spread into `mint()` claims to test binding checks.
 */
export function runtimeDataClaims(runtimeData: Uint8Array | string): RuntimeDataClaims {
  const bytes = typeof runtimeData === 'string' ? Buffer.from(runtimeData, 'utf8') : Buffer.from(runtimeData);
  const ehd = bytes.toString('base64url');
  return {
    'x-ms-sgx-ehd': ehd,
    'maa-ehd': ehd,
    'aas-ehd': ehd,
    'x-ms-sgx-report-data': createHash('sha256').update(bytes).digest('hex') + '0'.repeat(64),
  };
}
