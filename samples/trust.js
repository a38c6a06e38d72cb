// What the framework samples share: the MAA instance to trust, from the environment
// (MAA_ISSUER, MRSIGNER) or, for trying a sample out, a local one from attestation-gate/testing.
import { createVerifier } from 'attestation-gate';

export async function trust() {
  let issuer = process.env.MAA_ISSUER;
  let mrsigner = process.env.MRSIGNER;
  let maa;
  if (issuer === undefined) {
    const { createTestAttestationService, DEFAULT_MRSIGNER } = await import('attestation-gate/testing');
    maa = await createTestAttestationService();
    issuer = maa.issuer;
    mrsigner = DEFAULT_MRSIGNER;
  }
  if (mrsigner === undefined) throw new Error('set MRSIGNER to the hex MRSIGNER of the enclaves to trust');
  const verifier = createVerifier({ issuers: [issuer], allowInsecureLoopback: maa !== undefined });
  await verifier.warmUp();
  return { verifier, mrsigner, maa, issuer };
}
