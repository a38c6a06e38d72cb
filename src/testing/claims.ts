/**
 * Attestation claims as MAA issues them, per attestation type, for minting realistic test tokens. The
 * claim set and every value come from the claim catalogue (`example`, taken from real tokens and
 * Microsoft's samples); this module only assembles them the way MAA nests them.
 *
 * SGX follows real default-policy tokens of the shared instances (see test/fixtures/maa/decoded): the
 * `x-ms-*` claims MAA derives from the quote, plus the legacy duplicates the default policy issues. One
 * deliberate difference for every type: real default-policy tokens often come from debug TEEs, these
 * default to production ones (debug flags false, no migration) so that a test which forgets to think
 * about debug mode exercises the safe path; set the flag to test rejection.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../util/own.js';
import { MAA_DEFAULT_POLICY_HASHES } from '../claims/attestation.js';
import { type AttestationTypeName, claimsOf, claimSpec, ISOLATION_TEE, type IsolationTeeType, MAA_CLAIMS } from '../claims/catalog.js';

function example<T>(name: string): T {
  const value = claimSpec(name)?.example;
  if (value === undefined) throw new TypeError(`the claim catalogue has no example for ${name}`);
  return value as T;
}

/** MRENCLAVE of the default test enclave (64 lowercase hex). */
export const DEFAULT_MRENCLAVE: string = example('x-ms-sgx-mrenclave');
/** MRSIGNER of the default test enclave (64 lowercase hex). */
export const DEFAULT_MRSIGNER: string = example('x-ms-sgx-mrsigner');
/** ISVPRODID of the default test enclave. */
export const DEFAULT_PRODUCT_ID: number = example('x-ms-sgx-product-id');
/** ISVSVN of the default test enclave. */
export const DEFAULT_SVN: number = example('x-ms-sgx-svn');
/** 64 zero bytes as 128 hex: the report data of a quote taken without runtime data. */
export const DEFAULT_REPORT_DATA: string = example('x-ms-sgx-report-data');
/** `x-ms-sgx-tcbidentifier` of today's default SGX policy. */
export const DEFAULT_TCB_IDENTIFIER: string = example('x-ms-sgx-tcbidentifier');
/** Launch measurement of the default SEV-SNP guest (96 lowercase hex). */
export const DEFAULT_LAUNCH_MEASUREMENT: string = example('x-ms-sevsnpvm-launchmeasurement');
/** MRTD of the default TD (96 lowercase hex). */
export const DEFAULT_MRTD: string = example('tdx_mrtd');

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
 * MAA's default SGX policy of 2020–2022, byte for byte as the shared instances returned it (decoded from
 * the real get-policy response in the fixtures); `policyHash(DEFAULT_POLICY_TEXT)` is the hash those
 * tokens carry. Today's default (with `x-ms-sgx-tcbidentifier`) is not published as text: see
 * `DEFAULT_POLICY_HASH`.
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

/**
 * The `x-ms-policy-hash` of today's default SGX policy, as real 2023–2024 shared-instance tokens carry it
 * (with `x-ms-sgx-tcbidentifier: "10"`). Minted SGX tokens carry it.
 */
export const DEFAULT_POLICY_HASH: string = MAA_DEFAULT_POLICY_HASHES['sgx']!.at(-1)!;

/**
 * The `x-ms-policy-hash` minted tokens of each type carry: the shared instances' default policies for
 * `sgx` and `azurevm`; for `sevsnpvm` the pre-production sharedweu instance's (2025), for `tdxvm` that of
 * Microsoft's published sample (2023).
 */
export const DEFAULT_POLICY_HASHES: Readonly<Record<AttestationTypeName, string>> = Object.freeze({
  sgx: DEFAULT_POLICY_HASH,
  sevsnpvm: '9NY0VnTQ-IiBriBplVUpFbczcDaEBUwsiFYAzHu_gco',
  tdxvm: 'B56nbp5slhw66peoRYkpdq1WykMkEworvdol08hnMXE',
  azurevm: MAA_DEFAULT_POLICY_HASHES['azurevm']!.at(-1)!,
});

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
 * `x-ms-sgx-ehd` / `x-ms-runtime` (only when the client sent runtime data: see `runtimeDataClaims`),
 * `nonce`, `x-ms-policy-signer`.
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
  'x-ms-sgx-tcbidentifier': string;
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
    'x-ms-sgx-tcbidentifier': DEFAULT_TCB_IDENTIFIER,
    'x-ms-ver': example('x-ms-ver'),
  };
}

/** The attestation types `mint` can shape a token as. */
export type MintType = AttestationTypeName;

/**
 * The paravisor's runtime data of an Azure confidential VM (the sharedeus2 token of December 2024): its
 * vTPM attestation key, the VM configuration and the 64 bytes of user data the guest wrote (none).
 */
const HCL_RUNTIME = {
  keys: [
    {
      e: 'AQAB',
      key_ops: ['sign'],
      kid: 'HCLAkPub',
      kty: 'RSA',
      n: 'p5uigAAAL175E0DxAta28tOOA1IKTxbwl3LWkRNfTpvf9kJPt-j1hpNFZfxTepQaNFJbtqSBqQaPpc8b8UEKN5Ikv1LIfKAAxFuFRIfo0dPqhnQt8hf-4g4Bnm4yt0TLwzRXPvm0pxfJaOjHBlpDeagsRX9kRNUjqgUitQpmT6H3Wq4s-7wwNPEQtGdnads_nk_vaz2yIu4_XKF2E-b7QLZzrMYk2l-X9Mik4GNW3VgSFsMeNhIVFjvQoF2LyZDfvUZwyz1ZEDV3EU3VI2rwDzDLrJtZN1_piALzK0JndXcUiCwYqalzJKan_tyefWrXUwsi0u7_Sn263CwOFOTUyw',
    },
  ],
  'user-data': '0'.repeat(128),
  'vm-configuration': {
    'console-enabled': true,
    'secure-boot': true,
    'tpm-enabled': true,
    vmUniqueId: example<string>('x-ms-azurevm-vmid'),
  },
};

// The catalogue's examples of the claims a type carries at `names`' level.
function examplesOf(claims: readonly [string, { readonly example?: unknown; readonly alias?: unknown }][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of claims) if (spec.example !== undefined && spec.alias === undefined) out[name] = structuredClone(spec.example);
  return out;
}

function teeClaims(tee: IsolationTeeType): Record<string, unknown> {
  const nested = claimsOf('azurevm', tee)
    .filter(([name]) => name.startsWith(`${ISOLATION_TEE}.`))
    .map(([name, spec]) => [name.slice(ISOLATION_TEE.length + 1), spec] as [string, typeof spec]);
  return { 'x-ms-attestation-type': tee, ...examplesOf(nested), 'x-ms-runtime': structuredClone(HCL_RUNTIME) };
}

/**
 * A fresh copy (safe to mutate) of the claims MAA issues for a TEE of `type` with the catalogue's
 * default values: `sgx` (`defaultSgxClaims()`), `sevsnpvm`, `tdxvm` (Microsoft's TDX profile), or
 * `azurevm` (a confidential VM guest) on `isolationTee` `sevsnpvm` (default) or `tdxvm`. Registered
 * claims (`iss`, `iat`, ...) are not included.
 */
export function defaultClaims(type: MintType = 'sgx', isolationTee: IsolationTeeType = 'sevsnpvm'): Record<string, unknown> {
  if (type === 'sgx') return defaultSgxClaims();
  const own = examplesOf(claimsOf(type).filter(([name]) => MAA_CLAIMS.get(name)?.types !== 'all'));
  const common = {
    'x-ms-attestation-type': type,
    'x-ms-policy-hash': DEFAULT_POLICY_HASHES[type],
    'x-ms-ver': example<string>('x-ms-ver'),
  };
  if (type !== 'azurevm') return { ...own, ...common };
  return {
    ...own,
    ...common,
    [ISOLATION_TEE]: teeClaims(isolationTee),
    // What Azure's guest attestation client sends when given no nonce.
    'x-ms-runtime': { 'client-payload': {} },
  };
}

/**
 * Which legacy claims duplicate which `x-ms-*` claim under the default policy: the catalogue's verbatim
 * aliases (the `tee` rule copies `x-ms-attestation-type`, per the policy text). Used by `mergeClaims` to
 * keep overrides self-consistent.
 */
export const LEGACY_CLAIM_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  [...MAA_CLAIMS].reduce<Record<string, string[]>>((aliases, [name, spec]) => {
    if (spec.alias?.verbatim === true) (aliases[spec.alias.of] ??= []).push(name);
    return aliases;
  }, {}),
);

/** Sets `target[name]` to `value`, or removes the member when `value` is `undefined`. */
export function setOrDelete(target: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete target[name];
  else target[name] = value;
}

/**
 * `base` with `overrides` laid over it, shallowly, except for `x-ms-isolation-tee`: an object given for it
 * is laid over the base's member by member, so `{ 'x-ms-isolation-tee': { 'x-ms-sevsnpvm-is-debuggable':
 * true } }` changes one nested claim. An override whose value is `undefined` removes the claim.
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
  const baseTee = base[ISOLATION_TEE];
  const teeOverride = overrides[ISOLATION_TEE];
  if (isJsonObject(baseTee) && isJsonObject(teeOverride)) {
    const tee: Record<string, unknown> = { ...baseTee };
    for (const [name, value] of Object.entries(teeOverride)) setOrDelete(tee, name, value);
    out[ISOLATION_TEE] = tee;
  }

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

/**
 * `claim` set to `value`, with the copies MAA also issues under the catalogue's verbatim legacy aliases
 * of it (`maa-ehd` and `aas-ehd` for `x-ms-sgx-ehd`, `maa-attestationcollateral` for
 * `x-ms-sgx-collateral`). Each copy is its own object.
 */
export function withLegacyAliases(claim: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { [claim]: value };
  for (const alias of LEGACY_CLAIM_ALIASES[claim] ?? []) out[alias] = structuredClone(value);
  return out;
}

/**
 * The `x-ms-runtime.user-data` of a TDX or SEV-SNP token whose guest bound `nonce` the way the binding
 * feature reads it: SHA-512 of the nonce's text, upper-case hex (128 digits), as MAA prints the 64 bytes
 * the guest wrote to its vTPM. Mint it inside `x-ms-runtime` (or the isolation TEE's) to test binding.
 */
export function userDataFor(nonce: string): string {
  return createHash('sha512').update(nonce, 'utf8').digest('hex').toUpperCase();
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
  return {
    ...withLegacyAliases('x-ms-sgx-ehd', bytes.toString('base64url')),
    'x-ms-sgx-report-data': Buffer.from(reportDataFor(bytes)).toString('hex'),
  } as RuntimeDataClaims;
}

/**
 * The 64 bytes of report data that bind `data` as MAA checks it: SHA-256 of the bytes, then 32 zero
 * bytes. A string is taken as its UTF-8 bytes.
 */
export function reportDataFor(data: Uint8Array | string): Uint8Array {
  const out = Buffer.alloc(64);
  createHash('sha256')
    .update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
    .digest()
    .copy(out);
  return out;
}
