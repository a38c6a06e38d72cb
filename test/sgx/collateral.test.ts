import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collateralShapeProblem, verifyCollateral, type IntelSgxCollateral } from '../../src/sgx/collateral.js';
import { SgxVerificationError } from '../../src/sgx/pck-chain.js';
import { readSignedJson } from '../../src/sgx/signed-json.js';
import { verifySgxQuote } from '../../src/sgx/verify-quote.js';
import { collateralFor, crl, makeQuote, makeWorld, p256, pem, qeIdentityJson, tcbInfoJson, type World } from './helpers/pki.js';
import { realCertificateQuotes } from './helpers/real.js';

interface DcapQvlCollateral {
  pck_crl: string;
  root_ca_crl: string;
  tcb_info_issuer_chain: string;
  tcb_info: string;
  tcb_info_signature: string;
  qe_identity_issuer_chain: string;
  qe_identity: string;
  qe_identity_signature: string;
}

const sample = JSON.parse(readFileSync(new URL('../fixtures/sgx/dcap-qvl-sgx-collateral.json', import.meta.url), 'utf8')) as DcapQvlCollateral;
const sampleQuote = readFileSync(new URL('../fixtures/sgx/dcap-qvl-sgx-quote.bin', import.meta.url));

/** Intel's collateral as its service returns it (the body is the signed text plus the signature). */
function intelCollateral(edit: Partial<DcapQvlCollateral> = {}): IntelSgxCollateral {
  const c = { ...sample, ...edit };
  return {
    tcbInfos: [`{"tcbInfo":${c.tcb_info},"signature":"${c.tcb_info_signature}"}`],
    tcbInfoIssuerChain: c.tcb_info_issuer_chain,
    qeIdentity: `{"enclaveIdentity":${c.qe_identity},"signature":"${c.qe_identity_signature}"}`,
    qeIdentityIssuerChain: c.qe_identity_issuer_chain,
    pckCrls: [Buffer.from(c.pck_crl, 'hex')],
    rootCaCrl: Buffer.from(c.root_ca_crl, 'hex'),
  };
}

function outcome(run: () => unknown): string {
  try {
    const result = run() as { tcbStatus: string; qeTcbStatus: string };
    return `${result.tcbStatus}/${result.qeTcbStatus}`;
  } catch (error) {
    if (error instanceof SgxVerificationError) return error.step;
    throw error;
  }
}

// Inside every validity window of the sample: TCB info and QE identity 2025-06-19..07-19, PCK CRL likewise.
const JULY_2025 = new Date('2025-07-01T00:00:00Z');

describe('Intel-signed collateral (real, June 2025)', () => {
  const verified = verifySgxQuote(sampleQuote, { at: JULY_2025 });
  const check = (collateral: IntelSgxCollateral, at = JULY_2025) => () => verifyCollateral(verified.quote, verified.chain, collateral, at);

  it("verifies Intel's signatures and reads the platform's TCB status and the QE's", () => {
    expect(verifyCollateral(verified.quote, verified.chain, intelCollateral(), JULY_2025)).toEqual({
      tcbStatus: 'ConfigurationAndSWHardeningNeeded',
      tcbDate: '2024-03-13T00:00:00Z',
      advisoryIds: ['INTEL-SA-00289', 'INTEL-SA-00615'],
      fmspc: '00A067110000',
      tcbEvaluationDataNumber: 17,
      qeTcbStatus: 'UpToDate',
      revocationChecked: true,
    });
    expect(outcome(check({ ...intelCollateral(), acceptedTcbStatuses: ['UpToDate'] }))).toBe('tcb-status');
  });

  it('throws nothing but SgxVerificationError for damaged collateral of any part', () => {
    const parts = intelCollateral();
    const flip = (bytes: Buffer, at: number, xor: number) => {
      const copy = Buffer.from(bytes);
      copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ xor;
      return copy;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (part, at, xor) => {
        const damaged: IntelSgxCollateral = {
          ...parts,
          tcbInfos: part === 0 ? [flip(Buffer.from(parts.tcbInfos[0]!), at, xor).toString('latin1')] : parts.tcbInfos,
          tcbInfoIssuerChain: part === 1 ? flip(Buffer.from(parts.tcbInfoIssuerChain), at, xor).toString('latin1') : parts.tcbInfoIssuerChain,
          qeIdentity: part === 2 ? flip(Buffer.from(parts.qeIdentity), at, xor).toString('latin1') : parts.qeIdentity,
          pckCrls: part === 3 ? [flip(parts.pckCrls[0] as Buffer, at, xor)] : parts.pckCrls,
          rootCaCrl: part === 4 ? flip(parts.rootCaCrl as Buffer, at, xor) : parts.rootCaCrl,
          qeIdentityIssuerChain: part === 5 ? flip(Buffer.from(parts.qeIdentityIssuerChain), at, xor).toString('latin1') : parts.qeIdentityIssuerChain,
        };
        expect(outcome(check(damaged))).toMatch(/^(collateral|revocation|qe-identity|tcb-status|ConfigurationAndSWHardeningNeeded\/UpToDate)$/);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a TCB info or QE identity with one character changed, or signed by another key', () => {
    expect(outcome(check(intelCollateral({ tcb_info: sample.tcb_info.replace('"pcesvn":13', '"pcesvn":12') })))).toBe('collateral');
    expect(outcome(check(intelCollateral({ qe_identity: sample.qe_identity.replace('"isvprodid":1', '"isvprodid":2') })))).toBe('collateral');
    expect(outcome(check(intelCollateral({ tcb_info_signature: sample.qe_identity_signature })))).toBe('collateral');
  });

  it('refuses collateral past its nextUpdate at the verification time', () => {
    expect(outcome(check(intelCollateral(), new Date('2025-08-01T00:00:00Z')))).toBe('collateral');
  });

  it('refuses a CRL with a flipped byte, or one not issued by the PCK CA', () => {
    const flipped = Buffer.from(sample.pck_crl, 'hex');
    flipped[60] = (flipped[60] ?? 0) ^ 1;
    expect(outcome(check({ ...intelCollateral(), pckCrls: [flipped] }))).toBe('collateral');
    expect(outcome(check({ ...intelCollateral(), pckCrls: [Buffer.from(sample.root_ca_crl, 'hex')] }))).toBe('collateral');
    expect(outcome(check({ ...intelCollateral(), rootCaCrl: Buffer.from(sample.pck_crl, 'hex') }))).toBe('collateral');
  });

  it("checks a real MAA quote against it: Intel's signatures pass, and there is no TCB info for MAA's platform", () => {
    const maa = realCertificateQuotes().find(({ file }) => file.includes('2022'))!;
    const { quote, chain } = verifySgxQuote(maa.quote, { at: JULY_2025 });
    expect(chain.issuingCa).toBe('processor');
    const error = (() => {
      try {
        verifyCollateral(quote, chain, intelCollateral(), JULY_2025);
      } catch (caught) {
        return caught as SgxVerificationError;
      }
      return undefined;
    })();
    // The Processor CA's CRL from the sample verifies with the Processor CA in MAA's own quote.
    expect(error?.step).toBe('collateral');
    expect(error?.message).toMatch(/no TCB info is given for the platform's FMSPC/);
  });
});

describe('TCB level, QE identity and revocation on self-made collateral', () => {
  const world: World = makeWorld();
  const quote = makeQuote(world, { reportData: Buffer.alloc(32, 1) });
  const at = new Date('2026-12-01T00:00:00Z');
  const verified = verifySgxQuote(quote, { at, rootSpkiSha256: world.root.spkiSha256 });
  const check = (collateral: IntelSgxCollateral, q = verified) => () => verifyCollateral(q.quote, q.chain, collateral, at);
  const issuerChain = pem(world.tcbSigning.der) + pem(world.root.der);

  it('reports UpToDate when the platform meets the top level', () => {
    expect(outcome(check(collateralFor(world)))).toBe('UpToDate/UpToDate');
  });

  it('picks the first level the platform meets, component by component, and refuses OutOfDate by default', () => {
    const higher = world.tcb.cpuSvnComponents.map((svn, index) => (index === 6 ? svn + 1 : svn));
    const levels = [
      { cpuSvnComponents: higher, pceSvn: world.tcb.pceSvn, status: 'UpToDate' },
      { cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn + 1, status: 'SWHardeningNeeded' },
      { cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'OutOfDate' },
    ];
    expect(outcome(check(collateralFor(world, { levels })))).toBe('tcb-status');
    expect(outcome(check({ ...collateralFor(world, { levels }), acceptedTcbStatuses: ['OutOfDate', 'UpToDate'] }))).toBe('OutOfDate/UpToDate');
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
  });

  it('refuses a QE that is not the one in the QE identity', () => {
    const other = makeQuote(world, { reportData: Buffer.alloc(32), qeMrsigner: '11'.repeat(32) });
    expect(outcome(check(collateralFor(world), verifySgxQuote(other, { at, rootSpkiSha256: world.root.spkiSha256 })))).toBe('qe-identity');
    const oldQe = makeQuote(world, { reportData: Buffer.alloc(32), qeIsvSvn: 6 });
    expect(outcome(check(collateralFor(world), verifySgxQuote(oldQe, { at, rootSpkiSha256: world.root.spkiSha256 })))).toBe('tcb-status');
    const ancientQe = makeQuote(world, { reportData: Buffer.alloc(32), qeIsvSvn: 2 });
    expect(outcome(check(collateralFor(world), verifySgxQuote(ancientQe, { at, rootSpkiSha256: world.root.spkiSha256 })))).toBe('tcb-status');
  });

  it('refuses TCB info for another FMSPC or PCE ID, expired, or signed under another root', () => {
    const levels = [{ cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'UpToDate' }];
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { fmspc: '00A067110000' })] }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { pceId: '0001' })] }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), tcbInfos: [tcbInfoJson(world, levels, { nextUpdate: '2026-11-30T00:00:00Z' })] }))).toBe('collateral');
    const stranger = makeWorld();
    expect(outcome(check({ ...collateralFor(world), tcbInfoIssuerChain: pem(stranger.tcbSigning.der) + pem(stranger.root.der) }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), qeIdentity: qeIdentityJson(stranger) }))).toBe('collateral');
    expect(outcome(check({ ...collateralFor(world), tcbInfoIssuerChain: issuerChain.replaceAll('\n', '\r\n').replace('-----BEGIN', 'x-----BEGIN') }))).toBe('collateral');
  });

  it('reads TCB info version 2 (sgxtcbcompNNsvn)', () => {
    const components = Object.fromEntries(world.tcb.cpuSvnComponents.map((svn, index) => [`sgxtcbcomp${String(index + 1).padStart(2, '0')}svn`, svn]));
    const v2 = tcbInfoJson(world, [], { id: undefined, version: 2, tcbLevels: [{ tcb: { ...components, pcesvn: world.tcb.pceSvn }, tcbDate: '2024-01-01T00:00:00Z', tcbStatus: 'SWHardeningNeeded' }] });
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
