// What the framework samples share: the MAA instance to trust, from the environment
// (MAA_ISSUER, MRSIGNER) or, for trying a sample out, a local one from attestation-gate/testing.
import { pathToFileURL } from 'node:url';
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

/**
 * Says where a sample relying party listens (and, against the local MAA instance, a request to try),
 * and stops it and the instance on SIGINT or SIGTERM.
 */
export function announce({ framework, url, issuer, maa, close }) {
  console.log(`relying party (${framework}) on ${url}, trusting ${issuer}`);
  if (maa !== undefined) console.log(`try: curl -H "Authorization: Bearer ${maa.mint()}" ${url}/secrets`);
  const stop = () => Promise.resolve(close()).then(() => maa?.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl) {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}
