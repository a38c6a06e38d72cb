/**
 * The typed view of an Azure confidential VM guest attestation result (`x-ms-attestation-type:
 * "azurevm"`): the guest's boot state as the TPM measured it, plus the hardware evidence that MAA nests in
 * `x-ms-isolation-tee`.
 */
import { AttestationError, isAttestationError, quote } from '../errors.js';
import { ISOLATION_TEE } from './catalog.js';
import {
  type ClaimSet,
  omitUndefined,
  optionalBoolean,
  optionalObject,
  optionalString,
  optionalIntegerClaim,
  optionalUintArray,
  requiredBoolean,
  requiredNonEmptyString,
  requiredObject,
} from './read.js';
import { type SevSnpClaims, readSevSnpClaims } from './sevsnp.js';
import { type IsolationTdxClaims, readIsolationTdxClaims } from './tdx.js';

export interface IsolationTeeClaims {
  /** The hardware evidence type: `sevsnpvm` or `tdxvm`. */
  attestationType: string;
  complianceStatus?: string;
  /** Present when `attestationType` is `sevsnpvm`. */
  sevsnp?: SevSnpClaims;
  /** Present when `attestationType` is `tdxvm`. */
  tdx?: IsolationTdxClaims;
}

export interface AzureVmClaims {
  secureBoot: boolean;
  debuggersDisabled?: boolean;
  kernelDebugEnabled?: boolean;
  bootDebugEnabled?: boolean;
  hypervisorDebugEnabled?: boolean;
  signingDisabled?: boolean;
  testSigningEnabled?: boolean;
  flightSigningEnabled?: boolean;
  elamEnabled?: boolean;
  isWindows?: boolean;
  dbValidated?: boolean;
  dbxValidated?: boolean;
  defaultSecureBootKeysValidated?: boolean;
  hvciPolicy?: number;
  vmId?: string;
  osType?: string;
  osDistro?: string;
  osBuild?: string;
  osVersionMajor?: number;
  osVersionMinor?: number;
  /** The TPM PCR indices MAA replayed the boot log against. */
  attestedPcrs?: number[];
  attestationProtocolVersion?: string;
  /** Runtime data as JSON (`x-ms-runtime`): the TPM-held keys and the client payload (nonce). */
  runtimeClaims?: Record<string, unknown>;
  /** The hardware evidence: SEV-SNP or TDX. */
  isolationTee: IsolationTeeClaims;
}


function readIsolationTee(tee: ClaimSet): IsolationTeeClaims {
  const attestationType = requiredNonEmptyString(tee, 'x-ms-attestation-type');
  return omitUndefined({
    attestationType,
    complianceStatus: optionalString(tee, 'x-ms-compliance-status'),
    sevsnp: attestationType === 'sevsnpvm' ? readSevSnpClaims(tee) : undefined,
    tdx: attestationType === 'tdxvm' ? readIsolationTdxClaims(tee) : undefined,
  });
}

// The readers name a claim without its parent; say which object it sat in.
function readNested(tee: ClaimSet): IsolationTeeClaims {
  try {
    return readIsolationTee(tee);
  } catch (error) {
    if (!isAttestationError(error)) throw error;
    throw new AttestationError(error.code, `in ${quote(ISOLATION_TEE)}: ${error.message}`, { cause: error });
  }
}

/** Reads and checks the claims of an `azurevm` payload. Throws ERR_CLAIM_INVALID. */
export function readAzureVmClaims(payload: ClaimSet): AzureVmClaims {
  return omitUndefined({
    secureBoot: requiredBoolean(payload, 'secureboot'),
    debuggersDisabled: optionalBoolean(payload, 'x-ms-azurevm-debuggersdisabled'),
    kernelDebugEnabled: optionalBoolean(payload, 'x-ms-azurevm-kerneldebug-enabled'),
    bootDebugEnabled: optionalBoolean(payload, 'x-ms-azurevm-bootdebug-enabled'),
    hypervisorDebugEnabled: optionalBoolean(payload, 'x-ms-azurevm-hypervisordebug-enabled'),
    signingDisabled: optionalBoolean(payload, 'x-ms-azurevm-signingdisabled'),
    testSigningEnabled: optionalBoolean(payload, 'x-ms-azurevm-testsigning-enabled'),
    flightSigningEnabled: optionalBoolean(payload, 'x-ms-azurevm-flightsigning-enabled'),
    elamEnabled: optionalBoolean(payload, 'x-ms-azurevm-elam-enabled'),
    isWindows: optionalBoolean(payload, 'x-ms-azurevm-is-windows'),
    dbValidated: optionalBoolean(payload, 'x-ms-azurevm-dbvalidated'),
    dbxValidated: optionalBoolean(payload, 'x-ms-azurevm-dbxvalidated'),
    defaultSecureBootKeysValidated: optionalBoolean(payload, 'x-ms-azurevm-default-securebootkeysvalidated'),
    hvciPolicy: optionalIntegerClaim(payload, 'x-ms-azurevm-hvci-policy'),
    vmId: optionalString(payload, 'x-ms-azurevm-vmid'),
    osType: optionalString(payload, 'x-ms-azurevm-ostype'),
    osDistro: optionalString(payload, 'x-ms-azurevm-osdistro'),
    osBuild: optionalString(payload, 'x-ms-azurevm-osbuild'),
    osVersionMajor: optionalIntegerClaim(payload, 'x-ms-azurevm-osversion-major'),
    osVersionMinor: optionalIntegerClaim(payload, 'x-ms-azurevm-osversion-minor'),
    attestedPcrs: optionalUintArray(payload, 'x-ms-azurevm-attested-pcrs'),
    attestationProtocolVersion: optionalString(payload, 'x-ms-azurevm-attestation-protocol-ver'),
    runtimeClaims: optionalObject(payload, 'x-ms-runtime'),
    isolationTee: readNested(requiredObject(payload, ISOLATION_TEE)),
  });
}
