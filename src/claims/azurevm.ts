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
  // Named assignments, not a copy by computed names: V8 keeps a view built this way in fast
  // (hidden-class) mode; a copy by computed names past a dozen members turns into a slow dictionary.
  const claims: AzureVmClaims = {
    secureBoot: requiredBoolean(payload, 'secureboot'),
  } as AzureVmClaims;
  const debuggersDisabled = optionalBoolean(payload, 'x-ms-azurevm-debuggersdisabled');
  if (debuggersDisabled !== undefined) claims.debuggersDisabled = debuggersDisabled;
  const kernelDebugEnabled = optionalBoolean(payload, 'x-ms-azurevm-kerneldebug-enabled');
  if (kernelDebugEnabled !== undefined) claims.kernelDebugEnabled = kernelDebugEnabled;
  const bootDebugEnabled = optionalBoolean(payload, 'x-ms-azurevm-bootdebug-enabled');
  if (bootDebugEnabled !== undefined) claims.bootDebugEnabled = bootDebugEnabled;
  const hypervisorDebugEnabled = optionalBoolean(payload, 'x-ms-azurevm-hypervisordebug-enabled');
  if (hypervisorDebugEnabled !== undefined) claims.hypervisorDebugEnabled = hypervisorDebugEnabled;
  const signingDisabled = optionalBoolean(payload, 'x-ms-azurevm-signingdisabled');
  if (signingDisabled !== undefined) claims.signingDisabled = signingDisabled;
  const testSigningEnabled = optionalBoolean(payload, 'x-ms-azurevm-testsigning-enabled');
  if (testSigningEnabled !== undefined) claims.testSigningEnabled = testSigningEnabled;
  const flightSigningEnabled = optionalBoolean(payload, 'x-ms-azurevm-flightsigning-enabled');
  if (flightSigningEnabled !== undefined) claims.flightSigningEnabled = flightSigningEnabled;
  const elamEnabled = optionalBoolean(payload, 'x-ms-azurevm-elam-enabled');
  if (elamEnabled !== undefined) claims.elamEnabled = elamEnabled;
  const isWindows = optionalBoolean(payload, 'x-ms-azurevm-is-windows');
  if (isWindows !== undefined) claims.isWindows = isWindows;
  const dbValidated = optionalBoolean(payload, 'x-ms-azurevm-dbvalidated');
  if (dbValidated !== undefined) claims.dbValidated = dbValidated;
  const dbxValidated = optionalBoolean(payload, 'x-ms-azurevm-dbxvalidated');
  if (dbxValidated !== undefined) claims.dbxValidated = dbxValidated;
  const defaultSecureBootKeysValidated = optionalBoolean(payload, 'x-ms-azurevm-default-securebootkeysvalidated');
  if (defaultSecureBootKeysValidated !== undefined) claims.defaultSecureBootKeysValidated = defaultSecureBootKeysValidated;
  const hvciPolicy = optionalIntegerClaim(payload, 'x-ms-azurevm-hvci-policy');
  if (hvciPolicy !== undefined) claims.hvciPolicy = hvciPolicy;
  const vmId = optionalString(payload, 'x-ms-azurevm-vmid');
  if (vmId !== undefined) claims.vmId = vmId;
  const osType = optionalString(payload, 'x-ms-azurevm-ostype');
  if (osType !== undefined) claims.osType = osType;
  const osDistro = optionalString(payload, 'x-ms-azurevm-osdistro');
  if (osDistro !== undefined) claims.osDistro = osDistro;
  const osBuild = optionalString(payload, 'x-ms-azurevm-osbuild');
  if (osBuild !== undefined) claims.osBuild = osBuild;
  const osVersionMajor = optionalIntegerClaim(payload, 'x-ms-azurevm-osversion-major');
  if (osVersionMajor !== undefined) claims.osVersionMajor = osVersionMajor;
  const osVersionMinor = optionalIntegerClaim(payload, 'x-ms-azurevm-osversion-minor');
  if (osVersionMinor !== undefined) claims.osVersionMinor = osVersionMinor;
  const attestedPcrs = optionalUintArray(payload, 'x-ms-azurevm-attested-pcrs');
  if (attestedPcrs !== undefined) claims.attestedPcrs = attestedPcrs;
  const attestationProtocolVersion = optionalString(payload, 'x-ms-azurevm-attestation-protocol-ver');
  if (attestationProtocolVersion !== undefined) claims.attestationProtocolVersion = attestationProtocolVersion;
  const runtimeClaims = optionalObject(payload, 'x-ms-runtime');
  if (runtimeClaims !== undefined) claims.runtimeClaims = runtimeClaims;
  claims.isolationTee = readNested(requiredObject(payload, ISOLATION_TEE));
  return claims;
}
