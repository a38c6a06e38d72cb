import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collateralShapeProblem, verifyCollateral, type IntelSgxCollateral } from '../../src/sgx/collateral.js';
import { SgxVerificationError } from '../../src/sgx/pck-chain.js';
import { readSignedJson } from '../../src/sgx/signed-json.js';
import { verifySgxQuote } from '../../src/sgx/verify-quote.js';
import { collateralFor, crl, makeQuote, makeWorld, p256, pem, qeIdentityJson, tcbInfoJson, type World } from './helpers/pki.js';

function outcome(run: () => unknown): string {
  try {
    const result = run() as { tcbStatus: string; qeTcbStatus: string };
    return `${result.tcbStatus}/${result.qeTcbStatus}`;
  } catch (error) {
    if (error instanceof SgxVerificationError) return error.step;
    throw error;
  }
}

describe('TCB level, QE identity and revocation on self-made collateral', () => {
  const world: World = makeWorld();
  const quote = makeQuote(world, { reportData: Buffer.alloc(32, 1) });
  const at = new Date('2026-12-01T00:00:00Z');
  const verified = verifySgxQuote(quote, { at, rootSpkiSha256: world.root.spkiSha256 });
  const check =
    (collateral: IntelSgxCollateral, q = verified) =>
    () =>
      verifyCollateral(q.quote, q.chain, collateral, at);
  const issuerChain = pem(world.tcbSigning.der) + pem(world.root.der);

  it('reports UpToDate when the platform meets the top level', () => {
    expect(outcome(check(collateralFor(world)))).toBe('UpToDate/UpToDate');
  });

  it('throws nothing but SgxVerificationError for damaged collateral of any part', () => {
    const parts = collateralFor(world);
    const flip = (bytes: Buffer, at: number, xor: number): Buffer => {
      const copy = Buffer.from(bytes);
      copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ xor;
      return copy;
    };
    const flipText = (text: string, at: number, xor: number): string => flip(Buffer.from(text, 'latin1'), at, xor).toString('latin1');
    const flipAny = (value: Uint8Array | string, at: number, xor: number): Uint8Array | string =>
      typeof value === 'string' ? flipText(value, at, xor) : flip(Buffer.from(value), at, xor);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (part, at, xor) => {
        const damaged: IntelSgxCollateral = {
          ...parts,
          tcbInfos: part === 0 ? [flipText(String(parts.tcbInfos[0]), at, xor)] : parts.tcbInfos,
          tcbInfoIssuerChain: part === 1 ? flipText(parts.tcbInfoIssuerChain, at, xor) : parts.tcbInfoIssuerChain,
          qeIdentity: part === 2 ? flipText(String(parts.qeIdentity), at, xor) : parts.qeIdentity,
          pckCrls: part === 3 ? [flipAny(parts.pckCrls[0]!, at, xor)] : parts.pckCrls,
          rootCaCrl: part === 4 ? flipAny(parts.rootCaCrl, at, xor) : parts.rootCaCrl,
          qeIdentityIssuerChain: part === 5 ? flipText(parts.qeIdentityIssuerChain, at, xor) : parts.qeIdentityIssuerChain,
        };
        expect(outcome(check(damaged))).toMatch(/^(collateral|revocation|qe-identity|tcb-status|UpToDate\/UpToDate)$/);
      }),
      { numRuns: 100 },
    );
  });

  it('picks the first level the platform meets, component by component, and refuses OutOfDate by default', () => {
    const higher = world.tcb.cpuSvnComponents.map((svn, index) => (index === 6 ? svn + 1 : svn));
    const levels = [
      { cpuSvnComponents: higher, pceSvn: world.tcb.pceSvn, status: 'UpToDate' },
      { cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn + 1, status: 'SWHardeningNeeded' },
      { cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'OutOfDate' },
    ];
    expect(outcome(check(collateralFor(world, { levels })))).toBe('tcb-status');
    expect(outcome(check({ ...collateralFor(world, { levels }), acceptedTcbStatuses: ['OutOfDate', 'UpToDate'] }))).toBe(
      'OutOfDate/UpToDate',
    );
    expect(outcome(check(collateralFor(world, { levels: levels.slice(0, 2) })))).toBe('tcb-status');
  });

  it('never accepts Revoked', () => {
    const levels = [{ cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'Revoked' }];
    expect(outcome(check({ ...collateralFor(world, { levels }), acceptedTcbStatuses: ['Revoked'] }))).toBe('revocation');
  });

  it('refuses a revoked PCK certificate, PCK CA, or TCB signing certificate', () => {
    expect(outcome(check(collateralFor(world, { pckRevoked: [world.pck.serial] })))).toBe('revocation');
    expect(outcome(check(collateralFor(world, { pckRevoked: [world.pck.serial + 1n] })))).toBe('UpToDate/UpToDate');
    expect(outcome(check(collateralFor(world, { rootRevoked: [world.ca.serial] })))).toBe('revocation');
    expect(outcome(check(collateralFor(world, { rootRevoked: [world.tcbSigning.serial] })))).toBe('revocation');
  });

  it('refuses a CRL signed by another key, or past its nextUpdate', () => {
    const forged = crl({ issuer: world.ca.name, signingKey: p256().privateKey });
    expect(outcome(check({ ...collateralFor(world), pckCrls: [forged] }))).toBe('collateral');
    const stale = crl({ issuer: world.ca.name, signingKey: world.ca.key.privateKey, nextUpdate: new Date('2026-01-01T00:00:00Z') });
    expect(outcome(check({ ...collateralFor(world), pckCrls: [stale] }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), pckCrls: [pem(stale, 'X509 CRL')] }))).toBe('collateral');
    const current = crl({ issuer: world.ca.name, signingKey: world.ca.key.privateKey });
    expect(outcome(check({ ...collateralFor(world), pckCrls: [pem(current, 'X509 CRL')] }))).toBe('UpToDate/UpToDate');
    // Without a nextUpdate a CRL could never be known stale.
    const endless = crl({ issuer: world.ca.name, signingKey: world.ca.key.privateKey, nextUpdate: null });
    expect(outcome(check({ ...collateralFor(world), pckCrls: [endless] }))).toBe('collateral');
  });

  it('refuses a QE identity (version 2) that does not say it is the QE', () => {
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(world, { id: undefined }) }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(world, { id: 'QVE' }) }))).toBe('collateral');
  });

  it('refuses a QE that is not the one in the QE identity', () => {
    // A QE that is not Intel's is refused by verifySgxQuote itself (test/sgx/verify-quote.test.ts); the
    // collateral refuses a QE its QE identity does not describe.
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(world, { mrsigner: '11'.repeat(32) }) }))).toBe(
      'qe-identity',
    );
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(world, { isvprodid: 2 }) }))).toBe('qe-identity');
    const oldQe = makeQuote(world, { reportData: Buffer.alloc(32), qeIsvSvn: 6 });
    expect(outcome(check(collateralFor(world), verifySgxQuote(oldQe, { at, rootSpkiSha256: world.root.spkiSha256 })))).toBe('tcb-status');
    const ancientQe = makeQuote(world, { reportData: Buffer.alloc(32), qeIsvSvn: 2 });
    expect(outcome(check(collateralFor(world), verifySgxQuote(ancientQe, { at, rootSpkiSha256: world.root.spkiSha256 })))).toBe(
      'tcb-status',
    );
  });

  it('refuses TCB info for another FMSPC or PCE ID, expired, or signed under another root', () => {
    const levels = [{ cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'UpToDate' }];
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { fmspc: '00A067110000' })] }))).toBe(
      'collateral',
    );
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { pceId: '0001' })] }))).toBe('collateral');
    expect(
      outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { nextUpdate: '2026-11-30T00:00:00Z' })] })),
    ).toBe('collateral');
    const stranger = makeWorld();
    expect(outcome(check({ ...collateralFor(world), tcbInfoIssuerChain: pem(stranger.tcbSigning.der) + pem(stranger.root.der) }))).toBe(
      'collateral',
    );
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(stranger) }))).toBe('collateral');
    expect(
      outcome(
        check({ ...collateralFor(world), tcbInfoIssuerChain: issuerChain.replaceAll('\n', '\r\n').replace('-----BEGIN', 'x-----BEGIN') }),
      ),
    ).toBe('collateral');
  });

  it('reads TCB info version 2 (sgxtcbcompNNsvn)', () => {
    const components = Object.fromEntries(
      world.tcb.cpuSvnComponents.map((svn, index) => [`sgxtcbcomp${String(index + 1).padStart(2, '0')}svn`, svn]),
    );
    const v2 = tcbInfoJson(world, [], {
      id: undefined,
      version: 2,
      tcbLevels: [{ tcb: { ...components, pcesvn: world.tcb.pceSvn }, tcbDate: '2024-01-01T00:00:00Z', tcbStatus: 'SWHardeningNeeded' }],
    });
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [v2] }))).toBe('SWHardeningNeeded/UpToDate');
  });

  it('checks the shape of collateral given as an option', () => {
    expect(collateralShapeProblem(collateralFor(world))).toBeUndefined();
    expect(collateralShapeProblem(null)).toMatch(/object/);
    expect(collateralShapeProblem({ ...collateralFor(world), tcbInfos: [] })).toMatch(/tcbInfos/);
    expect(collateralShapeProblem({ ...collateralFor(world), pckCrls: [1] })).toMatch(/pckCrls/);
    expect(collateralShapeProblem({ ...collateralFor(world), rootCaCrl: 1 })).toMatch(/rootCaCrl/);
    expect(collateralShapeProblem({ ...collateralFor(world), qeIdentity: 1 })).toMatch(/qeIdentity/);
    expect(collateralShapeProblem({ ...collateralFor(world), acceptedTcbStatuses: 'UpToDate' })).toMatch(/acceptedTcbStatuses/);
  });
});

describe('readSignedJson', () => {
  it('returns the exact text of the signed member', () => {
    const text = '{ "tcbInfo" : {"a":"}\\"{","b":[1,{"c":2}]} , "signature":"' + '0'.repeat(128) + '" }';
    expect(readSignedJson(text, 'tcbInfo').signedText).toBe('{"a":"}\\"{","b":[1,{"c":2}]}');
  });

  it.each([
    ['not JSON', '{"tcbInfo":{}'],
    ['another member', `{"tcbInfo":{},"signature":"${'0'.repeat(128)}","x":1}`],
    ['a duplicated member', `{"tcbInfo":{},"tcbInfo":{},"signature":"${'0'.repeat(128)}"}`],
    ['a short signature', '{"tcbInfo":{},"signature":"00"}'],
    ['an array member', `{"tcbInfo":[],"signature":"${'0'.repeat(128)}"}`],
    ['no signature', '{"tcbInfo":{}}'],
  ])('refuses %s', (_what, text) => {
    expect(() => readSignedJson(text, 'tcbInfo')).toThrow();
  });
});
