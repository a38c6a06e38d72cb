// Memory under 200k distinct valid tokens: run as its own process (`node --expose-gc bench/memory.js`)
// so its heap is its own. A 512-bit key keeps minting 200k tokens to seconds; cache behaviour does not
// depend on key size.
import { createVerifier } from 'attestation-gate';
import { createTestAttestationService } from 'attestation-gate/testing';

const total = Number(process.argv[2] ?? 200_000);
const maa = await createTestAttestationService({ modulusLength: 512 });
const verifier = createVerifier({
  issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
  allowInsecureLoopback: true,
  minRsaModulusBits: 512,
});
const snapshot = () => {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20 };
};

const before = snapshot();
const checkpoints = [];
for (let i = 1; i <= total; i++) {
  await verifier.verify(maa.mint({ jti: i.toString(16).padStart(64, '0') }));
  if (i % (total / 4) === 0) checkpoints.push({ tokens: i, ...snapshot() });
}
await maa.close();
process.send?.({ before, checkpoints });
