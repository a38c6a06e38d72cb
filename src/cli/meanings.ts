/**
 * Short meanings of the claims MAA issues, for `inspect`. Sources: docs/maa-reference.md and the real
 * tokens in test/fixtures/maa. Kept to a few words: the table has to fit a terminal.
 */

const CLAIMS: Readonly<Record<string, string>> = {
  iss: 'issuer: the MAA instance (must equal a trusted issuer exactly)',
  iat: 'issued at',
  nbf: 'not valid before',
  exp: 'expires at',
  jti: 'token id',
  nonce: 'NOT inside the quote: proves nothing about the enclave',
  'x-ms-ver': 'claim set version (must be "1.0")',
  'x-ms-attestation-type': 'kind of evidence: sgx, sevsnpvm, azurevm…',
  'x-ms-policy-hash': 'hash of the instance policy that appraised the evidence (pin it)',
  'x-ms-policy-signer': 'key that signed the instance policy (isolated mode)',
  'x-ms-policy': 'claims issued by the instance policy',
  'x-ms-policy-certificates': 'policy signing certificates (a policy-management response)',
  'x-ms-policy-result': 'outcome of a policy change (a policy-management response)',
  'x-ms-policy-token-hash': 'hash of the policy just set (a policy-management response)',
  'x-ms-compliance-status': 'Azure compliance verdict',
  'x-ms-runtime': 'runtime data sent as JSON (e.g. a key the enclave holds)',
  'x-ms-inittime': 'init-time data sent as JSON',
  secureboot: 'secure boot enabled',

  'x-ms-sgx-mrenclave': 'enclave measurement',
  'x-ms-sgx-mrsigner': "hash of the enclave author's signing key",
  'x-ms-sgx-product-id': 'product id (ISVPRODID)',
  'x-ms-sgx-svn': 'security version (compare as minimum)',
  'x-ms-sgx-is-debuggable': 'true = debug enclave: the host can read its memory',
  'x-ms-sgx-report-data': 'quote report data: SHA-256(runtime data), then zeros',
  'x-ms-sgx-ehd': 'enclave held data: binary runtime data (base64url)',
  'x-ms-sgx-collateral': 'hashes of the collateral MAA checked the quote with',
  'x-ms-sgx-tcbidentifier': 'TCB baseline the instance policy selected',
  'x-ms-sgx-config-id': 'CONFIGID (KSS platforms)',
  'x-ms-sgx-config-svn': 'CONFIGSVN (KSS platforms)',
  'x-ms-sgx-isv-extended-product-id': 'ISVEXTPRODID (KSS platforms)',
  'x-ms-sgx-isv-family-id': 'ISVFAMILYID (KSS platforms)',

  'x-ms-sevsnpvm-launchmeasurement': 'VM launch measurement',
  'x-ms-sevsnpvm-hostdata': 'host-provided data bound at launch',
  'x-ms-sevsnpvm-idkeydigest': 'digest of the ID key that signed the launch',
  'x-ms-sevsnpvm-authorkeydigest': 'digest of the author key',
  'x-ms-sevsnpvm-familyId': 'family id',
  'x-ms-sevsnpvm-imageId': 'image id',
  'x-ms-sevsnpvm-reportdata': 'report data: binds runtime data',
  'x-ms-sevsnpvm-reportid': 'report id',
  'x-ms-sevsnpvm-guestsvn': 'guest security version (compare as minimum)',
  'x-ms-sevsnpvm-bootloader-svn': 'bootloader security version (compare as minimum)',
  'x-ms-sevsnpvm-tee-svn': 'TEE security version (compare as minimum)',
  'x-ms-sevsnpvm-snpfw-svn': 'SNP firmware security version (compare as minimum)',
  'x-ms-sevsnpvm-microcode-svn': 'microcode security version (compare as minimum)',
  'x-ms-sevsnpvm-vmpl': 'VM privilege level of the report',
  'x-ms-sevsnpvm-is-debuggable': 'true = debug guest: the host can read its memory',
  'x-ms-sevsnpvm-smt-allowed': 'simultaneous multithreading allowed',
  'x-ms-sevsnpvm-migration-allowed': 'migration agent allowed',

  'x-ms-isolation-tee': 'hardware evidence of the confidential VM',
  'x-ms-azurevm-vmid': 'VM id',
  'x-ms-azurevm-attested-pcrs': 'TPM PCRs covered by the evidence',
  'x-ms-azurevm-attestation-protocol-ver': 'guest attestation protocol version',
  'x-ms-azurevm-debuggersdisabled': 'debuggers disabled in the guest',
  'x-ms-azurevm-kerneldebug-enabled': 'kernel debugging enabled',
  'x-ms-azurevm-bootdebug-enabled': 'boot debugging enabled',
  'x-ms-azurevm-hypervisordebug-enabled': 'hypervisor debugging enabled',
  'x-ms-azurevm-signingdisabled': 'driver signature enforcement disabled',
  'x-ms-azurevm-testsigning-enabled': 'test signing enabled',
  'x-ms-azurevm-flightsigning-enabled': 'flight signing enabled',
  'x-ms-azurevm-elam-enabled': 'early-launch anti-malware enabled',
  'x-ms-azurevm-hvci-policy': 'hypervisor code integrity policy',
  'x-ms-azurevm-is-windows': 'Windows guest',
  'x-ms-azurevm-dbvalidated': 'secure boot db validated',
  'x-ms-azurevm-dbxvalidated': 'secure boot dbx validated',
  'x-ms-azurevm-default-securebootkeysvalidated': 'default secure boot keys validated',
  'x-ms-azurevm-ostype': 'OS type',
  'x-ms-azurevm-osdistro': 'OS distribution',
  'x-ms-azurevm-osbuild': 'OS build',
  'x-ms-azurevm-osversion-major': 'OS major version',
  'x-ms-azurevm-osversion-minor': 'OS minor version',
};

/**
 * The legacy duplicates MAA's default policy issues, and the claim each stands for. A custom policy can
 * reuse these names for other values, which is why a relying party gates on the `x-ms-*` names.
 */
export const LEGACY_ALIASES: Readonly<Record<string, string>> = {
  'is-debuggable': 'x-ms-sgx-is-debuggable',
  'sgx-mrenclave': 'x-ms-sgx-mrenclave',
  'sgx-mrsigner': 'x-ms-sgx-mrsigner',
  'product-id': 'x-ms-sgx-product-id',
  svn: 'x-ms-sgx-svn',
  tee: 'x-ms-attestation-type',
  'maa-ehd': 'x-ms-sgx-ehd',
  'aas-ehd': 'x-ms-sgx-ehd',
  'maa-attestationcollateral': 'x-ms-sgx-collateral',
  'maa-policyHash': 'x-ms-policy-hash (as hex)',
  ver: 'x-ms-ver',
  policy_hash: 'x-ms-policy-hash',
  policy_signer: 'x-ms-policy-signer',
  rp_data: 'x-ms-sgx-ehd (runtime data)',
};

/** A short meaning for a known claim name (dotted for nested claims), or undefined. */
export function claimMeaning(name: string, value?: unknown): string | undefined {
  // Policy-management responses reuse the name for the policy document itself, as a JWS string.
  if (name === 'x-ms-policy' && typeof value === 'string') return 'the instance policy (a policy-management response)';
  if (Object.hasOwn(LEGACY_ALIASES, name)) return `legacy alias of ${LEGACY_ALIASES[name]}`;
  if (Object.hasOwn(CLAIMS, name)) return CLAIMS[name];
  // Nested evidence (`x-ms-isolation-tee.x-ms-sevsnpvm-…`) means what the same claim means at the top.
  const dot = name.lastIndexOf('.');
  if (dot >= 0) return claimMeaning(name.slice(dot + 1));
  return undefined;
}
