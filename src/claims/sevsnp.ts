/**
 * The typed view of AMD SEV-SNP evidence: the top level of a `sevsnpvm` token, or the nested
 * `x-ms-isolation-tee` object of an `azurevm` token (same claim names in both).
 *
 * Which claims are required: both real shapes carry every `x-ms-sevsnpvm-*` claim, but a required claim
 * that MAA one day stops issuing breaks every relying party, so only those whose absence could be
 * misread as the safe answer are required:
 * - the launch measurement, which is what identifies the guest;
 * - the guest-policy booleans that are dangerous when TRUE (debugging, migration through a migration
 *   agent, SMT), because code that writes `if (claims.isDebuggable) reject` would pass an absent one.
 * The rest are typed when present. Their natural checks (equality with a pinned value, an SVN minimum)
 * already fail when the value is absent.
 */
import {
  type ClaimSet,
  optionalBoolean,
  optionalHexClaim,
  optionalIntegerClaim,
  optionalObject,
  optionalString,
  requiredBoolean,
  requiredHexClaim,
} from './read.js';

export interface SevSnpClaims {
  /** MEASUREMENT: the launch digest of the guest, 96 lower-case hex digits. */
  launchMeasurement: string;
  /** True when the guest policy allows debugging: the host can read and change guest memory. */
  isDebuggable: boolean;
  /** True when the guest policy allows association with a migration agent. */
  migrationAllowed: boolean;
  /** True when the guest policy allows SMT on the host (a side-channel exposure). */
  smtAllowed: boolean;
  /** HOST_DATA, 64 lower-case hex digits. */
  hostData?: string;
  /** ID_KEY_DIGEST, 96 lower-case hex digits. */
  idKeyDigest?: string;
  /** AUTHOR_KEY_DIGEST, 96 lower-case hex digits. */
  authorKeyDigest?: string;
  /** FAMILY_ID, 32 lower-case hex digits. */
  familyId?: string;
  /** IMAGE_ID, 32 lower-case hex digits. */
  imageId?: string;
  /** REPORT_DATA, 128 lower-case hex digits. */
  reportData?: string;
  /** REPORT_ID, 64 lower-case hex digits. */
  reportId?: string;
  guestSvn?: number;
  bootloaderSvn?: number;
  teeSvn?: number;
  snpfwSvn?: number;
  microcodeSvn?: number;
  /** The VM privilege level that requested the report (0 is the most privileged). */
  vmpl?: number;
  /** Guest policy (2025–): ciphertext hiding for DRAM required. */
  ciphertextHidingDramEnabled?: boolean;
  /** Guest policy (2025–): CXL memory may back the guest. */
  cxlAllowed?: boolean;
  /** Guest policy (2025–): AES-256-XTS memory encryption required. */
  memAes256XtsRequired?: boolean;
  /** Guest policy (2025–): page swap commands disabled. */
  pageSwapDisabled?: boolean;
  /** Guest policy (2025–): RAPL (a power side channel) disabled. */
  raplDisabled?: boolean;
  /** Guest policy (2025–): the guest runs on a single socket only. */
  singleSocket?: boolean;
  /** `azure-compliant-cvm`, `azure-compliant-uvm`, … */
  complianceStatus?: string;
  /** Runtime data as JSON (`x-ms-runtime`), e.g. the paravisor's keys. */
  runtimeClaims?: Record<string, unknown>;
}

/** Reads and checks SEV-SNP claims from `obj`. Throws ERR_CLAIM_INVALID. */
export function readSevSnpClaims(obj: ClaimSet): SevSnpClaims {
  // Named assignments, not a copy by computed names: V8 keeps a view built this way in fast
  // (hidden-class) mode; a copy by computed names past a dozen members turns into a slow dictionary.
  const claims: SevSnpClaims = {
    launchMeasurement: requiredHexClaim(obj, 'x-ms-sevsnpvm-launchmeasurement'),
    isDebuggable: requiredBoolean(obj, 'x-ms-sevsnpvm-is-debuggable'),
    migrationAllowed: requiredBoolean(obj, 'x-ms-sevsnpvm-migration-allowed'),
    smtAllowed: requiredBoolean(obj, 'x-ms-sevsnpvm-smt-allowed'),
  };
  const hostData = optionalHexClaim(obj, 'x-ms-sevsnpvm-hostdata');
  if (hostData !== undefined) claims.hostData = hostData;
  const idKeyDigest = optionalHexClaim(obj, 'x-ms-sevsnpvm-idkeydigest');
  if (idKeyDigest !== undefined) claims.idKeyDigest = idKeyDigest;
  const authorKeyDigest = optionalHexClaim(obj, 'x-ms-sevsnpvm-authorkeydigest');
  if (authorKeyDigest !== undefined) claims.authorKeyDigest = authorKeyDigest;
  const familyId = optionalHexClaim(obj, 'x-ms-sevsnpvm-familyId');
  if (familyId !== undefined) claims.familyId = familyId;
  const imageId = optionalHexClaim(obj, 'x-ms-sevsnpvm-imageId');
  if (imageId !== undefined) claims.imageId = imageId;
  const reportData = optionalHexClaim(obj, 'x-ms-sevsnpvm-reportdata');
  if (reportData !== undefined) claims.reportData = reportData;
  const reportId = optionalHexClaim(obj, 'x-ms-sevsnpvm-reportid');
  if (reportId !== undefined) claims.reportId = reportId;
  const guestSvn = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-guestsvn');
  if (guestSvn !== undefined) claims.guestSvn = guestSvn;
  const bootloaderSvn = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-bootloader-svn');
  if (bootloaderSvn !== undefined) claims.bootloaderSvn = bootloaderSvn;
  const teeSvn = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-tee-svn');
  if (teeSvn !== undefined) claims.teeSvn = teeSvn;
  const snpfwSvn = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-snpfw-svn');
  if (snpfwSvn !== undefined) claims.snpfwSvn = snpfwSvn;
  const microcodeSvn = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-microcode-svn');
  if (microcodeSvn !== undefined) claims.microcodeSvn = microcodeSvn;
  const vmpl = optionalIntegerClaim(obj, 'x-ms-sevsnpvm-vmpl');
  if (vmpl !== undefined) claims.vmpl = vmpl;
  const ciphertextHidingDramEnabled = optionalBoolean(obj, 'x-ms-sevsnpvm-ciphertext-hiding-dram-enabled');
  if (ciphertextHidingDramEnabled !== undefined) claims.ciphertextHidingDramEnabled = ciphertextHidingDramEnabled;
  const cxlAllowed = optionalBoolean(obj, 'x-ms-sevsnpvm-cxl-allowed');
  if (cxlAllowed !== undefined) claims.cxlAllowed = cxlAllowed;
  const memAes256XtsRequired = optionalBoolean(obj, 'x-ms-sevsnpvm-mem-aes256-xts-required');
  if (memAes256XtsRequired !== undefined) claims.memAes256XtsRequired = memAes256XtsRequired;
  const pageSwapDisabled = optionalBoolean(obj, 'x-ms-sevsnpvm-page-swap-disabled');
  if (pageSwapDisabled !== undefined) claims.pageSwapDisabled = pageSwapDisabled;
  const raplDisabled = optionalBoolean(obj, 'x-ms-sevsnpvm-rapl-disabled');
  if (raplDisabled !== undefined) claims.raplDisabled = raplDisabled;
  const singleSocket = optionalBoolean(obj, 'x-ms-sevsnpvm-singlesocket');
  if (singleSocket !== undefined) claims.singleSocket = singleSocket;
  const complianceStatus = optionalString(obj, 'x-ms-compliance-status');
  if (complianceStatus !== undefined) claims.complianceStatus = complianceStatus;
  const runtimeClaims = optionalObject(obj, 'x-ms-runtime');
  if (runtimeClaims !== undefined) claims.runtimeClaims = runtimeClaims;
  return claims;
}
