import { AttestationError } from '../../src/errors.js';
import { decodedPayload } from '../helpers/fixtures.js';
import { refusalOf } from '../helpers/outcome.js';

export type Payload = Record<string, unknown>;

/** The decoded payload of a real MAA token, by fixture name. */
export const loadPayload: (name: string) => Payload = decodedPayload;

/** Runs a claim read that must be refused, and returns its ERR_CLAIM_INVALID error. */
export const claimError = (read: () => unknown): AttestationError => refusalOf(read, 'ERR_CLAIM_INVALID');

/** Every real SGX (and Open Enclave) payload in the fixtures. */
export const SGX_PAYLOADS = [
  'cpp-sgx-shared-wus-2022',
  'cpp-openenclave-shared-wus-2022',
  'cpp-sgx-runtimebinary-isolated-2022',
  'cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey',
  'cpp-openenclave-runtimejson-aad-2022',
  'cpp-sgx-draftpolicy-unsigned-2022',
  'faasm-sgx-custom-eus2-2024',
  'teaclave-sgx-sharedeus-2023-09',
] as const;
