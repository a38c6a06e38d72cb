import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  DEFAULT_POLICY_HASH,
  DEFAULT_POLICY_TEXT,
  defaultSgxClaims,
  mergeClaims,
  policyHash,
  runtimeDataClaims,
} from '../../src/testing/index.js';

const decoded = (name: string): { payload: Record<string, unknown> } =>
  JSON.parse(readFileSync(new URL(`../fixtures/maa/decoded/${name}.json`, import.meta.url), 'utf8'));

describe('default SGX claims', () => {
  it('have the same claim names and value types as a real default-policy token', () => {
    const real = decoded('cpp-sgx-shared-wus-2022').payload;
    const registered = new Set(['exp', 'iat', 'iss', 'jti', 'nbf']);
    const realNames = Object.keys(real).filter((n) => !registered.has(n)).sort();
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

  it('carry the hash of MAA default policy, computed as MAA does', () => {
    expect(policyHash(DEFAULT_POLICY_TEXT)).toBe(DEFAULT_POLICY_HASH);
    expect(decoded('cpp-sgx-shared-wus-2022').payload['x-ms-policy-hash']).toBe(DEFAULT_POLICY_HASH);
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
