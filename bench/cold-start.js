// Outbound requests under load: 1000 concurrent first verifications on a cold cache, and a flood of
// tokens naming random kids, counted at the local MAA instance.
import { createVerifier } from 'attestation-gate';

export async function coldStart(maa, token) {
  maa.resetCounters();
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const cold = await Promise.allSettled(Array.from({ length: 1000 }, () => verifier.verify(token)));
  const coldFetches = { ...maa.requests };
  const accepted = cold.filter((outcome) => outcome.status === 'fulfilled').length;

  maa.resetCounters();
  const flood = Array.from({ length: 1000 }, (_, i) => maa.mint({}, { header: { kid: `random-${i}-${Math.random()}` } }));
  const refused = await Promise.allSettled(flood.map((t) => verifier.verify(t)));
  return {
    cold: { verifications: 1000, accepted, discovery: coldFetches.discovery, certs: coldFetches.certs },
    unknownKids: {
      tokens: flood.length,
      refused: refused.filter((o) => o.status === 'rejected').length,
      discovery: maa.requests.discovery,
      certs: maa.requests.certs,
    },
  };
}
