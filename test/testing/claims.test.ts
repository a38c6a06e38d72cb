import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { consumeBinding } from '../helpers/binding.js';
import { createChallengeStore } from '../../src/binding/challenges.js';
import type { Verifier } from '../../src/index.js';
import { compilePolicy, evaluatePolicy } from '../../src/policy/index.js';
import {
  DEFAULT_LAUNCH_MEASUREMENT,
  DEFAULT_MRTD,
  DEFAULT_POLICY_HASH,
  DEFAULT_POLICY_TEXT,
  defaultClaims,
  defaultSgxClaims,
  mergeClaims,
  type MintType,
  policyHash,
  runtimeDataClaims,
  userDataFor,
  type TestAttestationService,
} from '../../src/testing/index.js';
import { useLocalMaa } from '../helpers/local-maa.js';

const decoded = (name: string): { payload: Record<string, unknown> } =>
  JSON.parse(readFileSync(new URL(`../fixtures/maa/decoded/${name}.json`, import.meta.url), 'utf8'));

describe('default SGX claims', () => {
  it("have the same claim names and value types as a real token of today's default policy", () => {
    const real = decoded('teaclave-sgx-sharedeus-2023-09').payload;
    // The client of that token sent runtime data: see runtimeDataClaims.
    const registered = new Set(['exp', 'iat', 'iss', 'jti', 'nbf', 'x-ms-sgx-ehd', 'maa-ehd', 'aas-ehd']);
    const realNames = Object.keys(real)
      .filter((n) => !registered.has(n))
      .sort();
    const ours = defaultSgxClaims() as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(realNames);
    for (const name of realNames) expect(typeof ours[name], name).toBe(typeof real[name]);
    expect(Object.keys(ours['x-ms-policy'] as object).sort()).toEqual(Object.keys(real['x-ms-policy'] as object).sort());
    expect(Object.keys(ours['x-ms-sgx-collateral'] as object).sort()).toEqual(Object.keys(real['x-ms-sgx-collateral'] as object).sort());
    expect(ours['x-ms-sgx-is-debuggable']).toBe(false);
  });

  it('are a fresh copy each time', () => {
    const a = defaultSgxClaims();
    a['x-ms-sgx-collateral'].quotehash = 'changed';
    a['x-ms-policy'].svn = 99;
    expect(defaultSgxClaims()['x-ms-sgx-collateral'].quotehash).not.toBe('changed');
    expect(defaultSgxClaims()['x-ms-policy'].svn).not.toBe(99);
  });

  it("carry today's default policy hash and TCB identifier; the 2022 text hashes as MAA computes it", () => {
    expect(defaultSgxClaims()).toMatchObject({ 'x-ms-policy-hash': DEFAULT_POLICY_HASH, 'x-ms-sgx-tcbidentifier': '10' });
    for (const name of ['teaclave-sgx-sharedeus-2023-09', 'faasm-sgx-custom-eus2-2024']) {
      expect(decoded(name).payload).toMatchObject({ 'x-ms-policy-hash': DEFAULT_POLICY_HASH, 'x-ms-sgx-tcbidentifier': '10' });
    }
    expect(policyHash(DEFAULT_POLICY_TEXT)).toBe(decoded('cpp-sgx-shared-wus-2022').payload['x-ms-policy-hash']);
  });
});

describe('mergeClaims', () => {
  it('makes tee follow x-ms-attestation-type and the collateral alias follow the collateral', () => {
    const collateral = { quotehash: 'q' };
    const merged = mergeClaims(defaultSgxClaims(), { 'x-ms-attestation-type': 'sevsnpvm', 'x-ms-sgx-collateral': collateral });
    expect(merged.tee).toBe('sevsnpvm');
    expect((merged['x-ms-policy'] as Record<string, unknown>).tee).toBe('sevsnpvm');
    expect(merged['maa-attestationcollateral']).toBe(collateral);
  });

  it('leaves an explicitly given x-ms-policy alone and adds no alias the base lacks', () => {
    const merged = mergeClaims({ 'x-ms-sgx-svn': 1 }, { 'x-ms-sgx-svn': 2, 'x-ms-policy': { custom: true } });
    expect(merged).toEqual({ 'x-ms-sgx-svn': 2, 'x-ms-policy': { custom: true } });
  });
});

describe('runtimeDataClaims', () => {
  it('reproduce the binding of a real token', () => {
    const real = decoded('cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey').payload;
    const data = Buffer.from(String(real['x-ms-sgx-ehd']), 'base64url');
    expect(runtimeDataClaims(data)).toEqual({
      'x-ms-sgx-ehd': real['x-ms-sgx-ehd'],
      'maa-ehd': real['maa-ehd'],
      'aas-ehd': real['aas-ehd'],
      'x-ms-sgx-report-data': real['x-ms-sgx-report-data'],
    });
  });
});

describe('defaultClaims per attestation type, from the catalogue', () => {
  const registered = new Set(['exp', 'iat', 'iss', 'jti', 'nbf']);
  const names = (payload: Record<string, unknown>): string[] =>
    Object.keys(payload)
      .filter((name) => !registered.has(name))
      .sort();

  it('shape azurevm on SEV-SNP like the real December 2024 token, plus the 2025 guest-policy claims', () => {
    const real = decoded('jesserc-azurevm-snp-sharedeus2-2024-12').payload;
    const ours = defaultClaims('azurevm');
    expect(names(ours)).toEqual(names(real));
    const realTee = real['x-ms-isolation-tee'] as Record<string, unknown>;
    const ourTee = ours['x-ms-isolation-tee'] as Record<string, unknown>;
    const added = [
      'x-ms-sevsnpvm-ciphertext-hiding-dram-enabled',
      'x-ms-sevsnpvm-cxl-allowed',
      'x-ms-sevsnpvm-mem-aes256-xts-required',
      'x-ms-sevsnpvm-page-swap-disabled',
      'x-ms-sevsnpvm-rapl-disabled',
      'x-ms-sevsnpvm-singlesocket',
    ];
    expect(names(ourTee)).toEqual([...names(realTee), ...added].sort());
    expect(ours['x-ms-policy-hash']).toBe(real['x-ms-policy-hash']);
    expect(ours['x-ms-azurevm-attestation-protocol-ver']).toBe('3.0');
  });

  it("shape tdxvm like Microsoft's sample", () => {
    const sample = JSON.parse(readFileSync(new URL('../fixtures/tdx/maa-tdxvm-learn-sample.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
    const { 'x-ms-runtime': _runtime, ...withoutRuntime } = sample;
    expect(defaultClaims('tdxvm')).toEqual(Object.fromEntries(Object.entries(withoutRuntime).filter(([name]) => !registered.has(name))));
  });

  it('nest TDX evidence for azurevm on TDX', () => {
    const tee = defaultClaims('azurevm', 'tdxvm')['x-ms-isolation-tee'] as Record<string, unknown>;
    expect(tee).toMatchObject({ 'x-ms-attestation-type': 'tdxvm', tdx_mrtd: DEFAULT_MRTD, tdx_td_attributes: '0000000000000000' });
    expect(Object.keys(tee).some((name) => name.startsWith('x-ms-sevsnpvm-'))).toBe(false);
  });

  it('are fresh copies', () => {
    const a = defaultClaims('azurevm');
    (a['x-ms-isolation-tee'] as Record<string, unknown>)['x-ms-sevsnpvm-is-debuggable'] = true;
    expect((defaultClaims('azurevm')['x-ms-isolation-tee'] as Record<string, unknown>)['x-ms-sevsnpvm-is-debuggable']).toBe(false);
  });

  it('merge x-ms-isolation-tee member by member', () => {
    const merged = mergeClaims(defaultClaims('azurevm'), {
      'x-ms-isolation-tee': { 'x-ms-sevsnpvm-is-debuggable': true, 'x-ms-sevsnpvm-vmpl': undefined },
    });
    const tee = merged['x-ms-isolation-tee'] as Record<string, unknown>;
    expect(tee['x-ms-sevsnpvm-is-debuggable']).toBe(true);
    expect(tee).not.toHaveProperty('x-ms-sevsnpvm-vmpl');
    expect(tee['x-ms-sevsnpvm-launchmeasurement']).toBe(DEFAULT_LAUNCH_MEASUREMENT);
  });
});

describe('maa.mint(claims, { type }): realistic tokens of every type', () => {
  let maa: TestAttestationService;
  let verifier: Verifier;
  useLocalMaa((service, trusting) => ((maa = service), (verifier = trusting)));

  const cases: [MintType, 'sevsnpvm' | 'tdxvm' | undefined, string][] = [
    ['sgx', undefined, 'sgx'],
    ['sevsnpvm', undefined, 'sevsnp'],
    ['tdxvm', undefined, 'tdx'],
    ['azurevm', 'sevsnpvm', 'azurevm'],
    ['azurevm', 'tdxvm', 'azurevm'],
  ];

  it.each(cases)('mints %s (%s) that verifies with its typed view and passes the default guard', async (type, isolationTee, view) => {
    const attestation = await verifier.verify(maa.mint({}, { type, isolationTee }));
    expect(attestation.attestationType).toBe(type);
    expect(attestation[view as 'sgx']).toBeDefined();
    const identity: Record<string, unknown> =
      type === 'sgx'
        ? { mrsigner: [attestation.sgx!.mrsigner] }
        : type === 'tdxvm' || isolationTee === 'tdxvm'
          ? { mrtd: [DEFAULT_MRTD] }
          : { launchMeasurement: [DEFAULT_LAUNCH_MEASUREMENT] };
    expect(evaluatePolicy(compilePolicy({ attestationType: type, ...identity }), attestation).allowed).toBe(true);
  });

  it('mints tdxvm whose MRTD a policy pins, refusing a debug TD and a contradiction', async () => {
    const policy = compilePolicy({ attestationType: 'tdxvm', mrtd: [DEFAULT_MRTD], tcbStatus: ['UpToDate'] });
    const tdx = await verifier.verify(maa.mint({}, { type: 'tdxvm' }));
    expect(tdx.tdx).toMatchObject({ mrtd: DEFAULT_MRTD, isDebuggable: false, tcbStatus: 'UpToDate' });
    expect(evaluatePolicy(policy, tdx).allowed).toBe(true);
    const other = await verifier.verify(maa.mint({ tdx_mrtd: 'ab'.repeat(48) }, { type: 'tdxvm' }));
    expect(evaluatePolicy(policy, other).reasons.map((reason) => reason.claim)).toEqual(['tdx_mrtd']);

    const debugTd = await verifier.verify(
      maa.mint({ tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' }, { type: 'tdxvm' }),
    );
    expect(debugTd.tdx?.isDebuggable).toBe(true);
    expect(evaluatePolicy(policy, debugTd).allowed).toBe(false);

    await expect(verifier.verify(maa.mint({ tdx_td_attributes_debug: true }, { type: 'tdxvm' }))).rejects.toMatchObject({
      code: 'ERR_CLAIM_INVALID',
    });
  });

  it('mints azurevm on TDX whose nested MRTD a policy pins, refusing a nested debug TD', async () => {
    const policy = compilePolicy({ attestationType: 'azurevm', mrtd: [DEFAULT_MRTD] });
    const guest = await verifier.verify(maa.mint({}, { type: 'azurevm', isolationTee: 'tdxvm' }));
    expect(guest.azurevm?.isolationTee.tdx?.mrtd).toBe(DEFAULT_MRTD);
    expect(evaluatePolicy(policy, guest).allowed).toBe(true);
    const debugTd = await verifier.verify(
      maa.mint(
        { 'x-ms-isolation-tee': { tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' } },
        { type: 'azurevm', isolationTee: 'tdxvm' },
      ),
    );
    expect(evaluatePolicy(policy, debugTd).allowed).toBe(false);
    await expect(
      verifier.verify(
        maa.mint({ 'x-ms-isolation-tee': { tdx_td_attributes: '0100000000000000' } }, { type: 'azurevm', isolationTee: 'tdxvm' }),
      ),
    ).rejects.toMatchObject({
      code: 'ERR_CLAIM_INVALID',
    });
  });

  it('mints azurevm tokens a challenge binds through the client payload', async () => {
    const nonce = 'c'.repeat(43);
    const token = maa.mint({ 'x-ms-runtime': { 'client-payload': { nonce: Buffer.from(nonce).toString('base64') } } }, { type: 'azurevm' });
    const consumed: string[] = [];
    await consumeBinding(await verifier.verify(token), { challenges: { consume: async (value) => void consumed.push(value) } });
    expect(consumed).toEqual([nonce]);
    await expect(
      consumeBinding(await verifier.verify(maa.mint({}, { type: 'azurevm' })), { challenges: { consume: async () => undefined } }),
    ).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
  });
});

describe('userDataFor: TDX and SEV-SNP user-data that binds a challenge', () => {
  let maa: TestAttestationService;
  let verifier: Verifier;
  useLocalMaa((service, trusting) => ((maa = service), (verifier = trusting)));

  it('binds a minted tdxvm token and an azurevm-on-TDX token to an issued nonce, once', async () => {
    const challenges = createChallengeStore();
    const direct = await challenges.issue();
    const tdx = await verifier.verify(maa.mint({ 'x-ms-runtime': { 'user-data': userDataFor(direct.nonce) } }, { type: 'tdxvm' }));
    await consumeBinding(tdx, { challenges });
    await expect(consumeBinding(tdx, { challenges })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    const nested = await challenges.issue();
    const guest = await verifier.verify(
      maa.mint(
        { 'x-ms-isolation-tee': { 'x-ms-runtime': { 'user-data': userDataFor(nested.nonce) } } },
        { type: 'azurevm', isolationTee: 'tdxvm' },
      ),
    );
    await consumeBinding(guest, { challenges });
    await expect(challenges.consume(nested.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });
});
