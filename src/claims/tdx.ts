/**
 * The typed view of Intel TDX evidence: the top level of a `tdxvm` token (Microsoft's TDX EAT profile),
 * or the nested `x-ms-isolation-tee` object of an `azurevm` token on a TDX confidential VM.
 *
 * In a `tdxvm` token the profile's measurement claims are required: MAA issues every one of them, and a
 * token missing MRTD or TDATTRIBUTES cannot be judged. Inside `x-ms-isolation-tee` Microsoft's own tools
 * read only some of them, so there only TDATTRIBUTES (which says whether the TD is debuggable) is
 * required, and the rest are typed when present.
 *
 * Debug state is stated up to three times (`tdx_td_attributes_debug`, bit 0 of `tdx_td_attributes`, the
 * EAT `dbgstat`); a token in which they disagree is refused, so no reader can pick the answer it likes.
 */
import { AttestationError, quote } from '../errors.js';
import { TD_ATTRIBUTE_BITS, tdAttributesBit, tdAttributesDebugBit } from './catalog.js';
import {
  type ClaimSet,
  optionalBoolean,
  optionalHexClaim,
  optionalIntegerClaim,
  optionalObject,
  optionalString,
  optionalStringClaim,
  requiredHexClaim,
  requiredStringClaim,
} from './read.js';

/** The four runtime measurement registers, in order (RTMR0 … RTMR3). */
export type TdxRtmrs = readonly [string, string, string, string];

export interface TdxClaims {
  /** MRTD: build-time measurement of the TD, 96 lower-case hex digits. The TD's identity. */
  mrtd: string;
  /** RTMR0–RTMR3, 96 lower-case hex digits each (zero on Azure confidential VMs). */
  rtmr?: TdxRtmrs;
  /** MRSEAM: measurement of the Intel TDX module. */
  mrSeam?: string;
  /** MRSIGNERSEAM: signer of the TDX module (zero for Intel's). */
  mrSignerSeam?: string;
  /** MRCONFIGID: configuration ID set by whoever launched the TD. */
  mrConfigId?: string;
  /** MROWNER: the TD owner's ID (host-set). */
  mrOwner?: string;
  /** MROWNERCONFIG: owner-defined configuration ID (host-set). */
  mrOwnerConfig?: string;
  /** REPORTDATA: 128 lower-case hex digits (hash of the runtime data, then zeros). */
  reportData?: string;
  /** TDATTRIBUTES, 16 lower-case hex digits (a little-endian u64; bit 0 is DEBUG). */
  tdAttributes: string;
  /** XFAM, 16 lower-case hex digits. */
  xfam?: string;
  /** The TDX module's security version. */
  seamSvn?: number;
  /** TEE_TCB_SVN, 32 lower-case hex digits. */
  teeTcbSvn?: string;
  /** True for a debug TD: the host can read its CPU state and private memory. */
  isDebuggable: boolean;
  /** `attester_tcb_status`: Intel's TCB verdict on the platform (`UpToDate`, `OutOfDate`, …). */
  tcbStatus?: string;
  /** `x-ms-compliance-status`, e.g. `azure-compliant-cvm`. */
  complianceStatus?: string;
  /** `eat_profile`: `https://aka.ms/maa-eat-profile-tdxvm` in `tdxvm` tokens. */
  eatProfile?: string;
  /** Runtime data as JSON (`x-ms-runtime`): the paravisor's keys and `user-data`, or the caller's JSON. */
  runtimeClaims?: Record<string, unknown>;
}

/** TDX evidence nested in an `azurevm` token, where MAA may leave MRTD out (Microsoft's tools do not read it there). */
export type IsolationTdxClaims = Omit<TdxClaims, 'mrtd'> & { mrtd?: string };

const RTMR_CLAIMS = ['tdx_rtmr0', 'tdx_rtmr1', 'tdx_rtmr2', 'tdx_rtmr3'] as const;

function contradiction(message: string): AttestationError {
  return new AttestationError('ERR_CLAIM_INVALID', message);
}

// All four or none: a partial set would let a policy pinning RTMR3 read an absent one as "unpinned".
function readRtmrs(obj: ClaimSet, required: boolean): TdxRtmrs | undefined {
  const [r0, r1, r2, r3] = RTMR_CLAIMS.map((name) => (required ? requiredHexClaim(obj, name) : optionalHexClaim(obj, name)));
  if (r0 === undefined && r1 === undefined && r2 === undefined && r3 === undefined) return undefined;
  if (r0 === undefined || r1 === undefined || r2 === undefined || r3 === undefined) {
    throw contradiction('claims tdx_rtmr0..tdx_rtmr3 must be all present or all absent');
  }
  return [r0, r1, r2, r3];
}

function readDebugState(obj: ClaimSet, tdAttributes: string): boolean {
  const bit = tdAttributesDebugBit(tdAttributes);
  // Each decoded boolean must say what its bit says: a policy pinning one must not judge other facts
  // than the hex shows.
  for (const [name, index] of TD_ATTRIBUTE_BITS) {
    const flag = optionalBoolean(obj, name);
    if (flag !== undefined && flag !== tdAttributesBit(tdAttributes, index)) {
      throw contradiction(`claim ${name} (${String(flag)}) contradicts bit ${index} of tdx_td_attributes (${quote(tdAttributes)})`);
    }
  }
  const dbgstat = optionalStringClaim(obj, 'dbgstat');
  if (dbgstat !== undefined && (dbgstat === 'enabled') !== bit) {
    throw contradiction(`claim dbgstat ${quote(dbgstat)} contradicts the TD's debug attribute (${String(bit)})`);
  }
  return bit;
}

/** Reads and checks the TDX claims of a `tdxvm` payload. Throws ERR_CLAIM_INVALID. */
export function readTdxClaims(obj: ClaimSet): TdxClaims {
  return readTdx(obj, false) as TdxClaims;
}

/** Reads and checks the TDX claims of an `azurevm` token's `x-ms-isolation-tee`. Throws ERR_CLAIM_INVALID. */
export function readIsolationTdxClaims(obj: ClaimSet): IsolationTdxClaims {
  return readTdx(obj, true);
}

function readTdx(obj: ClaimSet, nested: boolean): IsolationTdxClaims {
  const required = !nested;
  const read = (name: string): string | undefined => (required ? requiredHexClaim(obj, name) : optionalHexClaim(obj, name));
  const tdAttributes = requiredHexClaim(obj, 'tdx_td_attributes');
  const isDebuggable = readDebugState(obj, tdAttributes);
  const eatProfile = required ? requiredStringClaim(obj, 'eat_profile') : optionalStringClaim(obj, 'eat_profile');
  // Named assignments in the claims' order, not a copy by computed names: V8 keeps a view built this
  // way in fast (hidden-class) mode; a copy by computed names past a dozen members turns into a slow
  // dictionary. Absent members stay absent, as omitUndefined left them.
  const view: Partial<IsolationTdxClaims> = {};
  const mrtd = read('tdx_mrtd');
  if (mrtd !== undefined) view.mrtd = mrtd;
  const rtmr = readRtmrs(obj, required);
  if (rtmr !== undefined) view.rtmr = rtmr;
  const mrSeam = optionalHexClaim(obj, 'tdx_mrseam');
  if (mrSeam !== undefined) view.mrSeam = mrSeam;
  const mrSignerSeam = read('tdx_mrsignerseam');
  if (mrSignerSeam !== undefined) view.mrSignerSeam = mrSignerSeam;
  const mrConfigId = read('tdx_mrconfigid');
  if (mrConfigId !== undefined) view.mrConfigId = mrConfigId;
  const mrOwner = read('tdx_mrowner');
  if (mrOwner !== undefined) view.mrOwner = mrOwner;
  const mrOwnerConfig = read('tdx_mrownerconfig');
  if (mrOwnerConfig !== undefined) view.mrOwnerConfig = mrOwnerConfig;
  const reportData = optionalHexClaim(obj, 'tdx_report_data');
  if (reportData !== undefined) view.reportData = reportData;
  view.tdAttributes = tdAttributes;
  const xfam = read('tdx_xfam');
  if (xfam !== undefined) view.xfam = xfam;
  const seamSvn = optionalIntegerClaim(obj, 'tdx_seamsvn');
  if (seamSvn !== undefined) view.seamSvn = seamSvn;
  const teeTcbSvn = optionalHexClaim(obj, 'tdx_tee_tcb_svn');
  if (teeTcbSvn !== undefined) view.teeTcbSvn = teeTcbSvn;
  view.isDebuggable = isDebuggable;
  const tcbStatus = optionalStringClaim(obj, 'attester_tcb_status');
  if (tcbStatus !== undefined) view.tcbStatus = tcbStatus;
  const complianceStatus = optionalString(obj, 'x-ms-compliance-status');
  if (complianceStatus !== undefined) view.complianceStatus = complianceStatus;
  if (eatProfile !== undefined) view.eatProfile = eatProfile;
  const runtimeClaims = optionalObject(obj, 'x-ms-runtime');
  if (runtimeClaims !== undefined) view.runtimeClaims = runtimeClaims;
  return view as IsolationTdxClaims;
}
