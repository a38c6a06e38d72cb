/**
 * The one catalogue of the claims MAA issues. Every claim is declared here once, with its JSON type and
 * format, the attestation types it appears in, its role, the legacy alias it mirrors, a realistic value
 * and its meaning in one line. Everything else reads it:
 * - the typed views (`read.ts` takes each claim's hex length and integer range from here);
 * - policy validation (a misspelt claim, or `x-ms-sgx-svn` compared with `"3"`, is refused at load);
 * - the identity rule and the debug/migration guard (`role`, `danger`);
 * - the testing kit's minting defaults (`example`);
 * - the CLI (`meaning`, `danger`, `alias`).
 * Adding a claim is adding one entry.
 *
 * Sources: the real tokens in test/fixtures/maa (2020–2024), MAA's documented claim sets, Microsoft's
 * TDX EAT profile and its `tdxvm` sample, and Microsoft's guest-attestation tools (which claims sit in an
 * `azurevm` token's `x-ms-isolation-tee`).
 */

/** The attestation types this library has a typed view for. */
export const ATTESTATION_TYPES = ['sgx', 'sevsnpvm', 'tdxvm', 'azurevm'] as const;
export type AttestationTypeName = (typeof ATTESTATION_TYPES)[number];

/** The hardware TEEs MAA nests inside an `azurevm` token's `x-ms-isolation-tee`. */
export const ISOLATION_TEE_TYPES = ['sevsnpvm', 'tdxvm'] as const;
export type IsolationTeeType = (typeof ISOLATION_TEE_TYPES)[number];

/** The member of an `azurevm` token holding the hardware evidence. */
export const ISOLATION_TEE = 'x-ms-isolation-tee';

export type ClaimType =
  /** `values`: the only strings MAA (or the standard it follows) defines; anything else is malformed. */
  | { readonly kind: 'string'; readonly values?: readonly string[] }
  /** Canonical unpadded base64url: compared exactly, case matters. */
  | { readonly kind: 'base64url' }
  /** A non-negative integer no greater than `max`. */
  | { readonly kind: 'integer'; readonly max: number }
  | { readonly kind: 'boolean' }
  /** An array of non-negative integers (PCR indices). */
  | { readonly kind: 'array' }
  /** Measurements and digests: exactly `digits` hex digits, compared without regard to case. */
  | { readonly kind: 'hex'; readonly digits: number }
  /** `members` undefined: free-form JSON chosen by the attester (runtime data, a JWK, a custom policy's object). */
  | { readonly kind: 'object'; readonly members: ClaimCatalog | undefined };

/**
 * What a claim is for.
 * - `identity`: an `equals` on it pins the workload (see policy/identity.ts for the rule per type).
 * - `measurement`: part of the workload's or platform's configuration; pin it beside an identity claim,
 *   never instead of one (host-chosen data, RTMRs, owner IDs).
 * - `debug`, `migration`: a value that lets the host read or move the TEE's memory; the default guard
 *   refuses it (`danger`).
 * - `integrity`: guest integrity settings (signing, debuggers) that `inspect` warns about.
 * - `tcb`: security versions and TCB verdicts, compared as minimums or allowlists.
 * - `binding`: runtime data, report data and nonces that tie the token to a challenge or a key.
 * - `envelope`: JWT and MAA bookkeeping (issuer, times, version, policy hash).
 * - `informational`: everything else.
 */
export type ClaimRole = 'identity' | 'measurement' | 'debug' | 'migration' | 'integrity' | 'tcb' | 'binding' | 'envelope' | 'informational';

/** A value that makes the TEE unsafe to trust. */
export interface ClaimDanger {
  /** True when `value` (as found in the token, possibly malformed) is not the safe one. */
  readonly when: (value: unknown) => boolean;
  /** Whether an absent claim counts as dangerous: absence must not read as "not debuggable". */
  readonly whenAbsent: boolean;
  /** What the dangerous value means, for refusals and `inspect`. */
  readonly says: string;
}

/** Whether `value` (undefined when the claim is absent) is the dangerous one: the guard and `inspect` both ask. */
export function isDangerous(danger: ClaimDanger, value: unknown): boolean {
  return value === undefined ? danger.whenAbsent : danger.when(value);
}

export interface ClaimSpec {
  readonly type: ClaimType;
  /** The attestation types whose tokens carry it at the top level; `all` for the common claims. */
  readonly types: readonly AttestationTypeName[] | 'all';
  readonly role: ClaimRole;
  /** Its meaning in a few words (it has to fit a terminal). */
  readonly meaning: string;
  /**
   * For a legacy claim of MAA's 2020 format (still issued by the default SGX policy): the `x-ms-*` claim
   * it mirrors, and whether it holds the very same value (`verbatim`) or another spelling of it.
   */
  readonly alias?: { readonly of: string; readonly verbatim: boolean };
  readonly danger?: ClaimDanger;
  /** A realistic value (from a real token or Microsoft's sample): the testing kit's default. */
  readonly example?: unknown;
}

/** Claim name → spec. A Map, so that looking up `constructor` or `__proto__` finds nothing. */
export type ClaimCatalog = ReadonlyMap<string, ClaimSpec>;

const STRING: ClaimType = { kind: 'string' };
const BASE64URL: ClaimType = { kind: 'base64url' };
const BOOLEAN: ClaimType = { kind: 'boolean' };
const ARRAY: ClaimType = { kind: 'array' };
const FREE_FORM: ClaimType = { kind: 'object', members: undefined };
const UINT8: ClaimType = { kind: 'integer', max: 0xff };
const UINT16: ClaimType = { kind: 'integer', max: 0xffff };
const UINT32: ClaimType = { kind: 'integer', max: 0xffffffff };
const UINT: ClaimType = { kind: 'integer', max: Number.MAX_SAFE_INTEGER };
const hex = (digits: number): ClaimType => ({ kind: 'hex', digits });
const oneOf = (...values: string[]): ClaimType => ({ kind: 'string', values });

const SGX: readonly AttestationTypeName[] = ['sgx'];
const SNP: readonly AttestationTypeName[] = ['sevsnpvm'];
const TDX: readonly AttestationTypeName[] = ['tdxvm'];
const AZUREVM: readonly AttestationTypeName[] = ['azurevm'];
const CVM_TEES: readonly AttestationTypeName[] = ['sevsnpvm', 'tdxvm'];

const notFalse = (value: unknown): boolean => value !== false;
const notTrue = (value: unknown): boolean => value !== true;

/** The host can read the TEE's memory when this boolean is true; absent is refused. */
const debugTrue = (says: string): ClaimDanger => ({ when: notFalse, whenAbsent: true, says });

// EAT `dbgstat` (RFC 9711): only `enabled` allows debugging; a value outside the enumeration is malformed.
const DBGSTAT_VALUES = ['enabled', 'disabled', 'disabled-since-boot', 'disabled-permanently', 'disabled-fully-and-permanently'];

// Intel TCB Info `tcbStatus`, as MAA's TDX profile points to it.
const TDX_TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
];

/** Bit `bit` of TDATTRIBUTES, a little-endian u64 in hex: byte `bit >> 3`, bit `bit & 7` of it. */
export function tdAttributesBit(value: string, bit: number): boolean {
  const byte = bit >> 3;
  return ((Number.parseInt(value.slice(byte * 2, byte * 2 + 2), 16) >> (bit & 7)) & 1) === 1;
}

/** Bit 0 (DEBUG) of TDATTRIBUTES: the low bit of the first byte. */
export function tdAttributesDebugBit(value: string): boolean {
  return tdAttributesBit(value, 0);
}

/**
 * The TDATTRIBUTES bit each `tdx_td_attributes_*` boolean is decoded from (as QEMU's TDX code defines
 * them). `tdx_td_attributes_key_locker` is left out: its bit (31) comes from a table not re-read, and a
 * wrong bit would refuse genuine tokens.
 */
export const TD_ATTRIBUTE_BITS: ReadonlyMap<string, number> = new Map([
  ['tdx_td_attributes_debug', 0],
  ['tdx_td_attributes_septve_disable', 28],
  ['tdx_td_attributes_protection_keys', 30],
  ['tdx_td_attributes_perfmon', 63],
]);

const TD_ATTRIBUTES_HEX = /^[0-9a-fA-F]{16}$/;

const entries = (specs: Record<string, ClaimSpec>): [string, ClaimSpec][] => Object.entries(specs);
const catalog = (specs: Iterable<readonly [string, ClaimSpec]>): ClaimCatalog => new Map(specs);

const ZERO_96 = '0'.repeat(96);

const COLLATERAL_MEMBERS = catalog(
  entries({
    qeidcertshash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the QE identity certificates' },
    qeidcrlhash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the QE identity CRL' },
    qeidhash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the QE identity' },
    quotehash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the quote' },
    tcbinfocertshash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the TCB info certificates' },
    tcbinfocrlhash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the TCB info CRL' },
    tcbinfohash: { type: hex(64), types: SGX, role: 'tcb', meaning: 'hash of the TCB info' },
  }),
);
const COLLATERAL: ClaimType = { kind: 'object', members: COLLATERAL_MEMBERS };

const COMMON = entries({
  iss: { type: STRING, types: 'all', role: 'envelope', meaning: 'issuer: the MAA instance (must equal a trusted issuer exactly)' },
  exp: { type: UINT, types: 'all', role: 'envelope', meaning: 'expires at' },
  nbf: { type: UINT, types: 'all', role: 'envelope', meaning: 'not valid before' },
  iat: { type: UINT, types: 'all', role: 'envelope', meaning: 'issued at' },
  jti: { type: STRING, types: 'all', role: 'envelope', meaning: 'token id (single-use checks key on it)' },
  nonce: { type: STRING, types: 'all', role: 'informational', meaning: 'NOT inside the quote: proves nothing about the TEE' },
  'x-ms-ver': { type: oneOf('1.0'), types: 'all', role: 'envelope', meaning: 'claim set version (must be "1.0")', example: '1.0' },
  'x-ms-attestation-type': { type: STRING, types: 'all', role: 'envelope', meaning: 'kind of evidence: sgx, sevsnpvm, tdxvm, azurevm' },
  'x-ms-policy-hash': {
    type: BASE64URL,
    types: 'all',
    role: 'envelope',
    meaning: 'hash of the instance policy that appraised the evidence (pin it)',
  },
  'x-ms-policy-signer': { type: FREE_FORM, types: 'all', role: 'envelope', meaning: 'key that signed the instance policy (isolated mode)' },
  'x-ms-policy': { type: FREE_FORM, types: 'all', role: 'informational', meaning: 'claims issued by the instance policy' },
  'x-ms-compliance-status': {
    type: STRING,
    types: ['sevsnpvm', 'tdxvm'],
    role: 'tcb',
    meaning: "Azure's verdict on the confidential VM (azure-compliant-cvm: Microsoft's measurement, debug off, current firmware)",
    example: 'azure-compliant-cvm',
  },
  'x-ms-runtime': { type: FREE_FORM, types: 'all', role: 'binding', meaning: 'runtime data sent as JSON (keys, a nonce, user data)' },
  'x-ms-inittime': { type: FREE_FORM, types: SGX, role: 'binding', meaning: 'init-time data sent as JSON' },
});

const SGX_CLAIMS = entries({
  'x-ms-sgx-mrenclave': {
    type: hex(64),
    types: SGX,
    role: 'identity',
    meaning: 'enclave measurement (MRENCLAVE)',
    example: 'a2d29bfd01ade8cae250dfa0e0d84ffb1b206f1f6d44cc79fe346585407a634e',
  },
  'x-ms-sgx-mrsigner': {
    type: hex(64),
    types: SGX,
    role: 'identity',
    meaning: "hash of the enclave author's signing key (MRSIGNER)",
    example: '7c4755f5325364a14e4c1a8a4ad7311e7b672d1e409b6f987884ee7d77b90a83',
  },
  'x-ms-sgx-product-id': { type: UINT16, types: SGX, role: 'measurement', meaning: 'product id (ISVPRODID)', example: 1 },
  'x-ms-sgx-svn': { type: UINT16, types: SGX, role: 'tcb', meaning: 'security version (compare as minimum)', example: 1 },
  'x-ms-sgx-is-debuggable': {
    type: BOOLEAN,
    types: SGX,
    role: 'debug',
    meaning: 'true = debug enclave: the host can read its memory',
    danger: debugTrue('debug enclave: the host can read its memory'),
    example: false,
  },
  'x-ms-sgx-report-data': {
    type: hex(128),
    types: SGX,
    role: 'binding',
    meaning: 'quote report data: SHA-256(runtime data), then zeros',
    example: '0'.repeat(128),
  },
  'x-ms-sgx-ehd': { type: BASE64URL, types: SGX, role: 'binding', meaning: 'enclave held data: binary runtime data (base64url)' },
  'x-ms-sgx-collateral': { type: COLLATERAL, types: SGX, role: 'tcb', meaning: 'hashes of the collateral MAA checked the quote with' },
  'x-ms-sgx-tcbidentifier': { type: STRING, types: SGX, role: 'tcb', meaning: 'TCB baseline the instance policy selected', example: '10' },
  'x-ms-sgx-config-id': { type: hex(128), types: SGX, role: 'measurement', meaning: 'CONFIGID (KSS platforms)' },
  'x-ms-sgx-config-svn': { type: UINT16, types: SGX, role: 'tcb', meaning: 'CONFIGSVN (KSS platforms)' },
  'x-ms-sgx-isv-extended-product-id': { type: hex(32), types: SGX, role: 'measurement', meaning: 'ISVEXTPRODID (KSS platforms)' },
  'x-ms-sgx-isv-family-id': { type: hex(32), types: SGX, role: 'measurement', meaning: 'ISVFAMILYID (KSS platforms)' },
});

// MAA's 2020 claim names. The default SGX policy still issues the first ones beside the x-ms-* claims,
// and a custom policy may reuse any of these names for another value: none of them names an identity,
// so a policy has to pin the x-ms-* claims.
const legacy = (type: ClaimType, of: string, verbatim = true): ClaimSpec => ({
  type,
  types: SGX,
  role: 'informational',
  meaning: `legacy alias of ${of}${verbatim ? '' : ' (another spelling)'}`,
  alias: { of, verbatim },
});
const LEGACY_SGX = entries({
  'is-debuggable': legacy(BOOLEAN, 'x-ms-sgx-is-debuggable'),
  'sgx-mrenclave': legacy(hex(64), 'x-ms-sgx-mrenclave'),
  'sgx-mrsigner': legacy(hex(64), 'x-ms-sgx-mrsigner'),
  'product-id': legacy(UINT16, 'x-ms-sgx-product-id'),
  svn: legacy(UINT16, 'x-ms-sgx-svn'),
  tee: legacy(STRING, 'x-ms-attestation-type'),
  'maa-ehd': legacy(BASE64URL, 'x-ms-sgx-ehd'),
  'aas-ehd': legacy(BASE64URL, 'x-ms-sgx-ehd'),
  // 2020 tokens name its members maa-qeidhash, …; later ones copy x-ms-sgx-collateral.
  'maa-attestationcollateral': legacy(FREE_FORM, 'x-ms-sgx-collateral'),
  'maa-policyHash': legacy(hex(64), 'x-ms-policy-hash', false),
  ver: legacy(STRING, 'x-ms-ver'),
  policy_hash: legacy(STRING, 'x-ms-policy-hash'),
  policy_signer: legacy(FREE_FORM, 'x-ms-policy-signer'),
  rp_data: legacy(STRING, 'x-ms-sgx-ehd', false),
});

// Same names at the top of a sevsnpvm token and inside an azurevm token's x-ms-isolation-tee. Examples
// from the sharedeus2 token of December 2024 and (the 2025–2026 guest-policy claims) protocol 3.0 tokens.
const snpBoolean = (meaning: string, example: boolean, role: ClaimRole = 'informational'): ClaimSpec => ({
  type: BOOLEAN,
  types: SNP,
  role,
  meaning,
  example,
});
const SEVSNP_CLAIMS = entries({
  'x-ms-sevsnpvm-launchmeasurement': {
    type: hex(96),
    types: SNP,
    role: 'identity',
    meaning: 'MEASUREMENT: launch digest of the guest (on Azure CVMs: the paravisor and firmware)',
    example: '036fc22b517981a791f7f8b89d634a00e964f6b0dfabc568090eb4393d6026f96aa6b7cca2759f29e521469f1189c00c',
  },
  'x-ms-sevsnpvm-hostdata': {
    type: hex(64),
    types: SNP,
    role: 'measurement',
    meaning: 'HOST_DATA: chosen by the host at launch (never an identity alone)',
    example: '0'.repeat(64),
  },
  'x-ms-sevsnpvm-idkeydigest': {
    type: hex(96),
    types: SNP,
    role: 'measurement',
    meaning: 'digest of the ID key that signed the launch',
    example: '0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3',
  },
  'x-ms-sevsnpvm-authorkeydigest': {
    type: hex(96),
    types: SNP,
    role: 'measurement',
    meaning: 'digest of the author key',
    example: ZERO_96,
  },
  'x-ms-sevsnpvm-familyId': {
    type: hex(32),
    types: SNP,
    role: 'measurement',
    meaning: 'family id',
    example: '01000000000000000000000000000000',
  },
  'x-ms-sevsnpvm-imageId': {
    type: hex(32),
    types: SNP,
    role: 'measurement',
    meaning: 'image id',
    example: '02000000000000000000000000000000',
  },
  'x-ms-sevsnpvm-reportdata': {
    type: hex(128),
    types: SNP,
    role: 'binding',
    meaning: 'REPORT_DATA: hash of the runtime data, then zeros',
    example: 'bce8ee65d40931a9b33e1a29869bb23df4dd8097f038898f6b2acbb445d386a5' + '0'.repeat(64),
  },
  'x-ms-sevsnpvm-reportid': {
    type: hex(64),
    types: SNP,
    role: 'informational',
    meaning: 'report id',
    example: '6b3247d1e0e2e07360c11bfcbbeaf1d4b8d42c5310601e90c32ebc68a5a16e84',
  },
  'x-ms-sevsnpvm-guestsvn': { type: UINT32, types: SNP, role: 'tcb', meaning: 'guest security version (compare as minimum)', example: 7 },
  'x-ms-sevsnpvm-bootloader-svn': {
    type: UINT8,
    types: SNP,
    role: 'tcb',
    meaning: 'bootloader security version (compare as minimum)',
    example: 4,
  },
  'x-ms-sevsnpvm-tee-svn': { type: UINT8, types: SNP, role: 'tcb', meaning: 'TEE security version (compare as minimum)', example: 0 },
  'x-ms-sevsnpvm-snpfw-svn': {
    type: UINT8,
    types: SNP,
    role: 'tcb',
    meaning: 'SNP firmware security version (compare as minimum)',
    example: 21,
  },
  'x-ms-sevsnpvm-microcode-svn': {
    type: UINT8,
    types: SNP,
    role: 'tcb',
    meaning: 'microcode security version (compare as minimum)',
    example: 211,
  },
  'x-ms-sevsnpvm-vmpl': {
    type: UINT32,
    types: SNP,
    role: 'informational',
    meaning: 'VM privilege level of the report (0 = most privileged)',
    example: 0,
  },
  'x-ms-sevsnpvm-is-debuggable': {
    type: BOOLEAN,
    types: SNP,
    role: 'debug',
    meaning: 'true = debug guest: the host can read its memory',
    danger: debugTrue('debug guest: the host can read and change its memory'),
    example: false,
  },
  'x-ms-sevsnpvm-migration-allowed': {
    type: BOOLEAN,
    types: SNP,
    role: 'migration',
    meaning: "true = a migration agent may move the guest's memory off the machine",
    danger: { when: notFalse, whenAbsent: true, says: 'migratable guest: a migration agent can take its memory off the machine' },
    example: false,
  },
  'x-ms-sevsnpvm-smt-allowed': snpBoolean('simultaneous multithreading allowed (side-channel exposure)', true),
  'x-ms-sevsnpvm-ciphertext-hiding-dram-enabled': snpBoolean('guest policy: DRAM ciphertext hiding required', false),
  'x-ms-sevsnpvm-cxl-allowed': snpBoolean('guest policy: CXL memory allowed', false),
  'x-ms-sevsnpvm-mem-aes256-xts-required': snpBoolean('guest policy: AES-256-XTS memory encryption required', false),
  'x-ms-sevsnpvm-page-swap-disabled': snpBoolean('guest policy: page swap commands disabled', false),
  'x-ms-sevsnpvm-rapl-disabled': snpBoolean('guest policy: RAPL (power side channel) disabled', false),
  'x-ms-sevsnpvm-singlesocket': snpBoolean('guest policy: single socket only', false),
});

// Microsoft's TDX EAT profile; examples from its published tdxvm sample. Same names inside an azurevm
// token's x-ms-isolation-tee, where Microsoft's tools read at least tdx_mrseam, tdx_seamsvn,
// tdx_td_attributes, tdx_tee_tcb_svn and tdx_report_data.
const tdxMeasurement = (meaning: string, role: ClaimRole = 'measurement', example: string = ZERO_96): ClaimSpec => ({
  type: hex(96),
  types: TDX,
  role,
  meaning,
  example,
});
const tdxAttribute = (meaning: string): ClaimSpec => ({ type: BOOLEAN, types: TDX, role: 'informational', meaning, example: false });
const TDX_CLAIMS = entries({
  eat_profile: {
    type: oneOf('https://aka.ms/maa-eat-profile-tdxvm'),
    types: TDX,
    role: 'envelope',
    meaning: "EAT profile: MAA's TDX claim set",
    example: 'https://aka.ms/maa-eat-profile-tdxvm',
  },
  dbgstat: {
    type: oneOf(...DBGSTAT_VALUES),
    types: TDX,
    role: 'debug',
    meaning: 'EAT debug status (enabled = debuggable)',
    danger: {
      when: (value) => value === 'enabled' || !DBGSTAT_VALUES.includes(value as string),
      whenAbsent: false,
      says: 'debug status enabled',
    },
    example: 'disabled',
  },
  intuse: { type: STRING, types: TDX, role: 'informational', meaning: 'EAT intended use', example: 'generic' },
  attester_tcb_status: {
    type: oneOf(...TDX_TCB_STATUSES),
    types: TDX,
    role: 'tcb',
    meaning: "the platform's TCB level as Intel's collateral rates it (allowlist; UpToDate)",
    example: 'UpToDate',
  },
  tdx_mrtd: tdxMeasurement(
    "MRTD: build-time measurement of the TD (on Azure CVMs: Microsoft's paravisor)",
    'identity',
    '5be56d418d33661a6c21da77c9503a07e430b35eb92a0bd042a6b3c4e79b3c82bb1c594e770d0d129a0724669f1e953f',
  ),
  tdx_rtmr0: tdxMeasurement('RTMR0: runtime measurement (firmware)'),
  tdx_rtmr1: tdxMeasurement('RTMR1: runtime measurement (OS loader)'),
  tdx_rtmr2: tdxMeasurement('RTMR2: runtime measurement (OS)'),
  tdx_rtmr3: tdxMeasurement('RTMR3: runtime measurement (application)'),
  tdx_mrconfigid: tdxMeasurement('MRCONFIGID: configuration ID set by the launcher'),
  tdx_mrowner: tdxMeasurement('MROWNER: TD owner ID (host-set)'),
  tdx_mrownerconfig: tdxMeasurement('MROWNERCONFIG: owner-defined configuration ID (host-set)'),
  tdx_mrseam: tdxMeasurement(
    'MRSEAM: measurement of the Intel TDX module',
    'tcb',
    '2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656',
  ),
  tdx_mrsignerseam: tdxMeasurement('MRSIGNERSEAM: TDX module signer (zero = Intel)', 'tcb'),
  tdx_seam_attributes: {
    type: hex(16),
    types: TDX,
    role: 'tcb',
    meaning: 'TDX module attributes (zero expected)',
    example: '0000000000000000',
  },
  tdx_seamsvn: { type: UINT16, types: TDX, role: 'tcb', meaning: 'TDX module security version (compare as minimum)', example: 3 },
  tdx_tee_tcb_svn: {
    type: hex(32),
    types: TDX,
    role: 'tcb',
    meaning: 'TEE TCB SVN array of the quote',
    example: '03000600000000000000000000000000',
  },
  tdx_xfam: {
    type: hex(16),
    types: TDX,
    role: 'measurement',
    meaning: 'XFAM: CPU extended features the TD may use',
    example: 'e718060000000000',
  },
  tdx_td_attributes: {
    type: hex(16),
    types: TDX,
    role: 'debug',
    meaning: 'TDATTRIBUTES (bit 0 = DEBUG)',
    danger: {
      when: (value) => typeof value !== 'string' || !TD_ATTRIBUTES_HEX.test(value) || tdAttributesDebugBit(value),
      whenAbsent: true,
      says: 'debug TD (DEBUG bit of tdx_td_attributes): the host can read its CPU state and memory',
    },
    example: '0000000000000000',
  },
  tdx_td_attributes_debug: {
    type: BOOLEAN,
    types: TDX,
    role: 'debug',
    meaning: 'true = debug TD: the host can read its CPU state and memory',
    // tdx_td_attributes carries the same bit and is required: this one may be absent.
    danger: { when: notFalse, whenAbsent: false, says: 'debug TD: the host can read its CPU state and memory' },
    example: false,
  },
  tdx_td_attributes_key_locker: tdxAttribute('TD may use Key Locker'),
  tdx_td_attributes_perfmon: tdxAttribute('TD may use PerfMon (side-channel surface)'),
  tdx_td_attributes_protection_keys: tdxAttribute('TD may use supervisor protection keys'),
  tdx_td_attributes_septve_disable: tdxAttribute('EPT-violation #VE disabled for pending pages'),
  tdx_report_data: {
    type: hex(128),
    types: TDX,
    role: 'binding',
    meaning: 'REPORTDATA: hash of the runtime data, then zeros',
    example: '93c6db49f2318387bcebdad0275e206725d948f9000d900344aa44abaef14596' + '0'.repeat(64),
  },
});

/** The members of `x-ms-isolation-tee`: the hardware evidence of SEV-SNP or TDX, under their own names. */
const ISOLATION_TEE_MEMBERS = catalog([
  [
    'x-ms-attestation-type',
    { type: oneOf(...ISOLATION_TEE_TYPES), types: AZUREVM, role: 'envelope', meaning: 'the hardware TEE: sevsnpvm or tdxvm' },
  ],
  ...[...COMMON, ...SEVSNP_CLAIMS, ...TDX_CLAIMS].filter(
    ([, spec]) => spec.types !== 'all' && spec.types.some((type) => CVM_TEES.includes(type)),
  ),
  [
    'x-ms-runtime',
    { type: FREE_FORM, types: CVM_TEES, role: 'binding', meaning: "the paravisor's runtime data: its keys, VM configuration, user-data" },
  ],
]);

const azurevmFlag = (meaning: string, example: boolean, role: ClaimRole = 'informational', danger?: ClaimDanger): ClaimSpec =>
  danger === undefined
    ? { type: BOOLEAN, types: AZUREVM, role, meaning, example }
    : { type: BOOLEAN, types: AZUREVM, role, meaning, danger, example };

// Examples from the sharedeus2 token of December 2024.
const AZUREVM_CLAIMS = entries({
  secureboot: {
    type: BOOLEAN,
    types: AZUREVM,
    role: 'integrity',
    meaning: 'secure boot enabled',
    danger: { when: notTrue, whenAbsent: false, says: 'secure boot off' },
    example: true,
  },
  'x-ms-azurevm-attestation-protocol-ver': {
    type: STRING,
    types: AZUREVM,
    role: 'envelope',
    meaning: 'guest attestation protocol version (3.0 since 2025)',
    example: '3.0',
  },
  'x-ms-azurevm-attested-pcrs': {
    type: ARRAY,
    types: AZUREVM,
    role: 'measurement',
    meaning: 'TPM PCRs covered by the evidence',
    example: [0, 1, 2, 3, 4, 5, 6, 7],
  },
  'x-ms-azurevm-bootdebug-enabled': azurevmFlag('boot debugging enabled', false, 'debug', debugTrue('boot debugging enabled in the guest')),
  'x-ms-azurevm-kerneldebug-enabled': azurevmFlag(
    'kernel debugging enabled',
    false,
    'debug',
    debugTrue('kernel debugging enabled in the guest'),
  ),
  'x-ms-azurevm-hypervisordebug-enabled': azurevmFlag(
    'hypervisor debugging enabled',
    false,
    'debug',
    debugTrue('hypervisor debugging enabled'),
  ),
  'x-ms-azurevm-debuggersdisabled': azurevmFlag('debuggers disabled in the guest', true, 'integrity', {
    when: notTrue,
    whenAbsent: false,
    says: 'debuggers not disabled in the guest',
  }),
  'x-ms-azurevm-signingdisabled': azurevmFlag('driver signature enforcement disabled (true on Linux)', true),
  'x-ms-azurevm-testsigning-enabled': azurevmFlag('test signing enabled', false, 'integrity', {
    when: notFalse,
    whenAbsent: false,
    says: 'test signing enabled in the guest',
  }),
  'x-ms-azurevm-flightsigning-enabled': azurevmFlag('flight signing enabled', false),
  'x-ms-azurevm-elam-enabled': azurevmFlag('early-launch anti-malware enabled', false),
  'x-ms-azurevm-is-windows': azurevmFlag('Windows guest', false),
  'x-ms-azurevm-dbvalidated': azurevmFlag('secure boot db validated', true),
  'x-ms-azurevm-dbxvalidated': azurevmFlag('secure boot dbx validated', true),
  'x-ms-azurevm-default-securebootkeysvalidated': azurevmFlag('default secure boot keys validated', true),
  'x-ms-azurevm-hvci-policy': { type: UINT, types: AZUREVM, role: 'integrity', meaning: 'hypervisor code integrity policy', example: 0 },
  'x-ms-azurevm-vmid': {
    type: STRING,
    types: AZUREVM,
    role: 'informational',
    meaning: 'VM id',
    example: '9A42ABD5-8385-42B3-9255-FE7807698194',
  },
  'x-ms-azurevm-ostype': { type: STRING, types: AZUREVM, role: 'informational', meaning: 'OS type', example: 'Linux' },
  'x-ms-azurevm-osdistro': { type: STRING, types: AZUREVM, role: 'informational', meaning: 'OS distribution', example: 'Ubuntu' },
  'x-ms-azurevm-osbuild': { type: STRING, types: AZUREVM, role: 'informational', meaning: 'OS build', example: 'NotApplication' },
  'x-ms-azurevm-osversion-major': { type: UINT, types: AZUREVM, role: 'informational', meaning: 'OS major version', example: 22 },
  'x-ms-azurevm-osversion-minor': { type: UINT, types: AZUREVM, role: 'informational', meaning: 'OS minor version', example: 4 },
  [ISOLATION_TEE]: {
    type: { kind: 'object', members: ISOLATION_TEE_MEMBERS },
    types: AZUREVM,
    role: 'measurement',
    meaning: 'hardware evidence of the confidential VM (SEV-SNP or TDX)',
  },
});

/** Every claim MAA is known to issue at the top level of an attestation result. */
export const MAA_CLAIMS: ClaimCatalog = catalog([
  ...COMMON,
  ...SGX_CLAIMS,
  ...LEGACY_SGX,
  ...SEVSNP_CLAIMS,
  ...TDX_CLAIMS,
  ...AZUREVM_CLAIMS,
]);

/** The legacy claim that holds the very value of `claim` (MAA's 2020 name for it), if any. */
export function verbatimLegacyAliasOf(claim: string): string | undefined {
  for (const [name, spec] of MAA_CLAIMS) if (spec.alias?.of === claim && spec.alias.verbatim) return name;
  return undefined;
}

/** Claims of policy-management responses (not evidence): known, so `inspect` can name them. */
export const POLICY_MANAGEMENT_CLAIMS: ClaimCatalog = catalog(
  entries({
    'x-ms-policy-certificates': {
      type: FREE_FORM,
      types: [],
      role: 'informational',
      meaning: 'policy signing certificates (a policy-management response)',
    },
    'x-ms-policy-result': {
      type: STRING,
      types: [],
      role: 'informational',
      meaning: 'outcome of a policy change (a policy-management response)',
    },
    'x-ms-policy-token-hash': {
      type: STRING,
      types: [],
      role: 'informational',
      meaning: 'hash of the policy just set (a policy-management response)',
    },
  }),
);

/** The spec of a top-level claim, or of `x-ms-isolation-tee`'s member when `nested`. */
export function claimSpec(name: string, nested = false): ClaimSpec | undefined {
  return (nested ? ISOLATION_TEE_MEMBERS : MAA_CLAIMS).get(name);
}

/** Whether `spec` appears at the top level of tokens of `type`. */
function appearsIn(spec: ClaimSpec, type: string): boolean {
  return spec.types === 'all' || (spec.types as readonly string[]).includes(type);
}

/**
 * The claims of a type, as dotted paths where a token carries them: for `azurevm` on a given isolation
 * TEE, its own claims and the TEE's under `x-ms-isolation-tee.`.
 */
export function claimsOf(type: AttestationTypeName, isolationTee?: IsolationTeeType): [string, ClaimSpec][] {
  const own = [...MAA_CLAIMS].filter(([, spec]) => appearsIn(spec, type));
  if (type !== 'azurevm' || isolationTee === undefined) return own;
  const nested = [...ISOLATION_TEE_MEMBERS]
    .filter(([, spec]) => spec.types !== 'all' && appearsIn(spec, isolationTee))
    .map(([name, spec]): [string, ClaimSpec] => [`${ISOLATION_TEE}.${name}`, spec]);
  return [...own, ...nested];
}

/**
 * The claims of a type that play `role`, as dotted paths: for `azurevm`, its own and those of each
 * isolation TEE (under `x-ms-isolation-tee.`).
 */
export function claimsWithRole(type: AttestationTypeName, role: ClaimRole, isolationTee?: IsolationTeeType): string[] {
  return claimsOf(type, isolationTee)
    .filter(([, spec]) => spec.role === role)
    .map(([name]) => name);
}

type ClaimLookup =
  | { readonly found: 'typed'; readonly entry: ClaimSpec }
  /** Inside a free-form object: any path is fine, and values compare untyped. */
  | { readonly found: 'free-form' }
  /** `name`: the path up to the first segment the catalogue does not know. */
  | { readonly found: 'unknown'; readonly name: string }
  /** The path continues below `parent`, whose value is not an object. */
  | { readonly found: 'not-an-object'; readonly parent: string; readonly type: ClaimType };

const prefix = (segments: readonly string[], depth: number): string => segments.slice(0, depth + 1).join('.');

function lookupIn(claims: ClaimCatalog, segments: readonly string[], depth: number): ClaimLookup {
  const name = segments[depth];
  const found = name === undefined ? undefined : claims.get(name);
  if (found === undefined) return { found: 'unknown', name: prefix(segments, depth) };
  if (depth === segments.length - 1) return { found: 'typed', entry: found };
  const { type } = found;
  if (type.kind !== 'object') return { found: 'not-an-object', parent: prefix(segments, depth), type };
  return type.members === undefined ? { found: 'free-form' } : lookupIn(type.members, segments, depth + 1);
}

/** What the catalogue says about a claim path already split at its dots. */
export function lookupClaim(segments: readonly string[]): ClaimLookup {
  return lookupIn(MAA_CLAIMS, segments, 0);
}

/** How a type reads in a message: `96 hex digits`, `an integer 0..65535`, … */
export function describeType(type: ClaimType): string {
  switch (type.kind) {
    case 'hex':
      return `${type.digits} hex digits`;
    case 'integer':
      return type.max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `an integer 0..${type.max}`;
    case 'base64url':
      return 'unpadded base64url';
    case 'string':
      return type.values === undefined ? 'a string' : `one of ${type.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'array':
    case 'object':
      return `an ${type.kind}`;
    default:
      return `a ${type.kind}`;
  }
}
