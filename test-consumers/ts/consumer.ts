// One TypeScript consumer, compiled under each module setting in ts/*.json: every public entry point
// resolves with its types (TS1479 and missing subpath types fail the compile), and the output runs.
import {
  AttestationError,
  createVerifier,
  requireAttestation,
  type AttestationErrorCode,
  type VerifiedAttestation,
  type VerifierOptions,
} from 'attestation-gate';
import { createTestAttestationService, DEFAULT_MRSIGNER, type MintOptions } from 'attestation-gate/testing';
import { signRequest, type SignRequestOptions } from 'attestation-gate/client';
import 'attestation-gate/augment-express';
import { createFetchGate, type FetchGateOutcome } from 'attestation-gate/fetch';
import type { FastifyAttestationOptions } from 'attestation-gate/fastify';

// Types only: these must resolve, and the augmentation must type req.attestation.
export type Checks = [SignRequestOptions, MintOptions, typeof signRequest, Express.Request['attestation'], FastifyAttestationOptions];

async function main(): Promise<void> {
  const maa = await createTestAttestationService();
  try {
    const options: VerifierOptions = { issuers: [maa.issuer], allowInsecureLoopback: true };
    const verifier = createVerifier(options);
    const attestation: VerifiedAttestation = await verifier.verify(maa.mint({ 'x-ms-sgx-svn': 3 }));
    if (attestation.sgx?.svn !== 3) throw new Error(`unexpected svn ${String(attestation.sgx?.svn)}`);
    const code: AttestationErrorCode | undefined = await verifier.verify('x.y.z').then(
      () => undefined,
      (error: unknown) => (error instanceof AttestationError ? error.code : undefined),
    );
    if (code !== 'ERR_TOKEN_MALFORMED') throw new Error(`unexpected refusal ${String(code)}`);
    const outcome: FetchGateOutcome = await createFetchGate({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER] } })(
      new Request('http://service.example/'),
    );
    if (outcome.ok || outcome.response.status !== 401) throw new Error('the fetch gate let a request without a token through');
    if (typeof requireAttestation({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER], minSvn: 1 } }) !== 'function')
      throw new Error('no middleware');
  } finally {
    await maa.close();
  }
  console.log(`ts consumer (${process.argv[2] ?? '?'}): ok`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
