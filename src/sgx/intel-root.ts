/**
 * The trust anchor of every SGX DCAP quote: the Intel SGX Root CA, pinned by its public key.
 *
 * Why the key and not a certificate: the quotes inside MAA's signing certificates (2020–2024) carry three
 * different self-signed "Intel SGX Root CA" certificates (valid to 2033 with pathLen 1, to 2049, and to
 * 2033 with pathLen 0). All three certify the same P-256 key, and Intel re-issues the certificate without
 * changing the key; pinning a certificate would break on each re-issue, pinning the key does not.
 *
 * Source of the value: Intel publishes the root at
 * https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem (DER at
 * .../IntelSGXRootCA.der; certificate SHA-256 fingerprint 44A0196B2B99F889B8E149E95B807A350E7424964399E885A7CBB8CCFAB674D3,
 * serial 22650CD65A9D3489F383B49552BF501B392706AC, valid 2018-05-21 to 2049-12-31). The same certificate
 * is the last entry of the PCK CRL and TCB info issuer chains Intel's service returns, e.g. in the
 * public repository Phala-Network/dcap-qvl, file sample/sgx_quote_collateral.json. The SHA-256 below was
 * computed over that certificate's SubjectPublicKeyInfo (DER) and equals the SPKI SHA-256 of the root in
 * every quote of the MAA fixtures (checked in test/sgx).
 */
import { createHash, type KeyObject } from 'node:crypto';

/** SHA-256 of the DER SubjectPublicKeyInfo of the Intel SGX Root CA key, lower-case hex. */
export const INTEL_SGX_ROOT_CA_SPKI_SHA256 = 'a0af031289f5d5d4132f9186068a7fc13628633ba235777472e29b6b6c67a49e';

/** The subject Intel gives its root certificates (Node's `X509Certificate#subject` form). */
export const INTEL_SGX_ROOT_CA_SUBJECT = 'CN=Intel SGX Root CA\nO=Intel Corporation\nL=Santa Clara\nST=CA\nC=US';

/** Lower-case hex SHA-256 of a public key's DER SubjectPublicKeyInfo. */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
