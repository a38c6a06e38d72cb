/**
 * The claims MAA issues and the JSON type of each value. A condition on a misspelt claim never matches
 * (or, under `notEquals` or `exists: false`, always does), and one comparing `x-ms-sgx-svn` with `"3"` can
 * never be true: both are mistakes best refused when the policy is compiled, not found out in production.
 *
 * Sources: docs/maa-reference.md and the real tokens in test/fixtures/maa/decoded.
 */

export type ClaimType =
  | { readonly kind: 'string' | 'number' | 'boolean' | 'array' }
  /** Measurements and digests: compared without regard to case. */
  | { readonly kind: 'hex'; readonly digits: number }
  /** `members` undefined: free-form JSON chosen by the attester (runtime data, a JWK, a custom policy's object). */
  | { readonly kind: 'object'; readonly members: ClaimCatalog | undefined };

export interface ClaimEntry {
  readonly type: ClaimType;
  /** An `equals` on this claim pins which enclave or guest the token is about. */
  readonly identity: boolean;
}

export type ClaimCatalog = ReadonlyMap<string, ClaimEntry>;

const entry = (type: ClaimType, identity = false): ClaimEntry => ({ type, identity });
const STRING = entry({ kind: 'string' });
const NUMBER = entry({ kind: 'number' });
const BOOLEAN = entry({ kind: 'boolean' });
const ARRAY = entry({ kind: 'array' });
const FREE_FORM = entry({ kind: 'object', members: undefined });
const hex = (digits: number): ClaimEntry => entry({ kind: 'hex', digits });
const identityHex = (digits: number): ClaimEntry => entry({ kind: 'hex', digits }, true);

// A Map, so that looking up a claim named `constructor` or `__proto__` finds nothing.
const catalog = (entries: Record<string, ClaimEntry>): ClaimCatalog => new Map(Object.entries(entries));
const object = (members: Record<string, ClaimEntry>): ClaimEntry => entry({ kind: 'object', members: catalog(members) });

const COLLATERAL = object({
  qeidcertshash: hex(64),
  qeidcrlhash: hex(64),
  qeidhash: hex(64),
  quotehash: hex(64),
  tcbinfocertshash: hex(64),
  tcbinfocrlhash: hex(64),
  tcbinfohash: hex(64),
});

const COMMON = {
  iss: STRING,
  exp: NUMBER,
  nbf: NUMBER,
  iat: NUMBER,
  jti: STRING,
  nonce: STRING,
  'x-ms-ver': STRING,
  'x-ms-attestation-type': STRING,
  // base64url: case matters.
  'x-ms-policy-hash': STRING,
  'x-ms-policy-signer': FREE_FORM,
  'x-ms-compliance-status': STRING,
  secureboot: BOOLEAN,
  'x-ms-runtime': FREE_FORM,
  'x-ms-inittime': FREE_FORM,
  'x-ms-policy': FREE_FORM,
};

const SGX = {
  'x-ms-sgx-mrenclave': identityHex(64),
  'x-ms-sgx-mrsigner': identityHex(64),
  'x-ms-sgx-product-id': NUMBER,
  'x-ms-sgx-svn': NUMBER,
  'x-ms-sgx-is-debuggable': BOOLEAN,
  'x-ms-sgx-report-data': hex(128),
  'x-ms-sgx-ehd': STRING,
  'x-ms-sgx-collateral': COLLATERAL,
  'x-ms-sgx-tcbidentifier': STRING,
  'x-ms-sgx-config-id': hex(128),
  'x-ms-sgx-config-svn': NUMBER,
  'x-ms-sgx-isv-extended-product-id': hex(32),
  'x-ms-sgx-isv-family-id': hex(32),
};

// Issued by the default policy only, and a custom policy may reuse these names for other values: none of
// them names an identity, so a policy has to pin the x-ms-* claims.
const LEGACY_SGX = {
  'is-debuggable': BOOLEAN,
  'sgx-mrenclave': hex(64),
  'sgx-mrsigner': hex(64),
  'product-id': NUMBER,
  svn: NUMBER,
  tee: STRING,
  'maa-ehd': STRING,
  'aas-ehd': STRING,
  'maa-attestationcollateral': COLLATERAL,
  'maa-policyHash': hex(64),
  ver: STRING,
  policy_hash: STRING,
  policy_signer: FREE_FORM,
  rp_data: STRING,
};

// Same names at the top of a sevsnpvm token and inside an azurevm token's x-ms-isolation-tee.
const SEVSNP = {
  'x-ms-sevsnpvm-launchmeasurement': identityHex(96),
  'x-ms-sevsnpvm-hostdata': identityHex(64),
  'x-ms-sevsnpvm-idkeydigest': hex(96),
  'x-ms-sevsnpvm-authorkeydigest': hex(96),
  'x-ms-sevsnpvm-familyId': hex(32),
  'x-ms-sevsnpvm-imageId': hex(32),
  'x-ms-sevsnpvm-reportdata': hex(128),
  'x-ms-sevsnpvm-reportid': hex(64),
  'x-ms-sevsnpvm-guestsvn': NUMBER,
  'x-ms-sevsnpvm-bootloader-svn': NUMBER,
  'x-ms-sevsnpvm-tee-svn': NUMBER,
  'x-ms-sevsnpvm-snpfw-svn': NUMBER,
  'x-ms-sevsnpvm-microcode-svn': NUMBER,
  'x-ms-sevsnpvm-vmpl': NUMBER,
  'x-ms-sevsnpvm-is-debuggable': BOOLEAN,
  'x-ms-sevsnpvm-smt-allowed': BOOLEAN,
  'x-ms-sevsnpvm-migration-allowed': BOOLEAN,
};

const ISOLATION_TEE = object({
  'x-ms-attestation-type': STRING,
  'x-ms-compliance-status': STRING,
  'x-ms-runtime': FREE_FORM,
  ...SEVSNP,
});

const AZUREVM = {
  'x-ms-azurevm-attestation-protocol-ver': STRING,
  'x-ms-azurevm-attested-pcrs': ARRAY,
  'x-ms-azurevm-bootdebug-enabled': BOOLEAN,
  'x-ms-azurevm-dbvalidated': BOOLEAN,
  'x-ms-azurevm-dbxvalidated': BOOLEAN,
  'x-ms-azurevm-debuggersdisabled': BOOLEAN,
  'x-ms-azurevm-default-securebootkeysvalidated': BOOLEAN,
  'x-ms-azurevm-elam-enabled': BOOLEAN,
  'x-ms-azurevm-flightsigning-enabled': BOOLEAN,
  'x-ms-azurevm-hvci-policy': NUMBER,
  'x-ms-azurevm-hypervisordebug-enabled': BOOLEAN,
  'x-ms-azurevm-is-windows': BOOLEAN,
  'x-ms-azurevm-kerneldebug-enabled': BOOLEAN,
  'x-ms-azurevm-osbuild': STRING,
  'x-ms-azurevm-osdistro': STRING,
  'x-ms-azurevm-ostype': STRING,
  'x-ms-azurevm-osversion-major': NUMBER,
  'x-ms-azurevm-osversion-minor': NUMBER,
  'x-ms-azurevm-signingdisabled': BOOLEAN,
  'x-ms-azurevm-testsigning-enabled': BOOLEAN,
  'x-ms-azurevm-vmid': STRING,
  'x-ms-isolation-tee': ISOLATION_TEE,
};

/** Every claim MAA is known to issue at the top level of an attestation result. */
export const MAA_CLAIMS: ClaimCatalog = catalog({ ...COMMON, ...SGX, ...LEGACY_SGX, ...SEVSNP, ...AZUREVM });

/** The top-level identity claims; the SEV-SNP ones also count nested under x-ms-isolation-tee. */
export const IDENTITY_CLAIMS: readonly string[] = [...MAA_CLAIMS].filter(([, e]) => e.identity).map(([name]) => name);

type ClaimLookup =
  | { readonly found: 'typed'; readonly entry: ClaimEntry }
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

export function describeType(type: ClaimType): string {
  switch (type.kind) {
    case 'hex':
      return `${type.digits} hex digits`;
    case 'array':
    case 'object':
      return `an ${type.kind}`;
    default:
      return `a ${type.kind}`;
  }
}
