/**
 * The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1; Intel "SGX PCK Certificate and
 * Certificate Revocation List Profile Specification"): the platform's TCB level (16 CPU SVN components and
 * the PCE SVN), its PCE ID and FMSPC, which select and are compared with Intel's TCB info.
 *
 * SGXExtensions ::= SEQUENCE OF SEQUENCE { id OBJECT IDENTIFIER, value ANY }
 *   .1 PPID OCTET STRING(16); .2 TCB SEQUENCE OF SEQUENCE { id (.2.1 … .2.16 INTEGER, .2.17 PCESVN
 *   INTEGER, .2.18 CPUSVN OCTET STRING(16)) }; .3 PCE-ID OCTET STRING(2); .4 FMSPC OCTET STRING(6); …
 */
import { DerError, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, decodeOid, findExtension, readChildren, readTlv } from '../util/der.js';
import { contents, expect, smallUnsigned } from './der-fields.js';

export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';
const TCB = `${SGX_EXTENSION_OID}.2`;
const PCE_ID = `${SGX_EXTENSION_OID}.3`;
const FMSPC = `${SGX_EXTENSION_OID}.4`;

export interface PckTcb {
  /** The 16 CPU SVN components, in order (`sgxtcbcomp01svn` … `sgxtcbcomp16svn`). */
  readonly cpuSvnComponents: readonly number[];
  readonly pceSvn: number;
  /** Upper-case hex, as in Intel's TCB info. */
  readonly pceId: string;
  readonly fmspc: string;
}

/** Reads the SGX extension of a DER PCK certificate. Throws DerError when it is absent or malformed. */
export function readPckTcb(certificateDer: Uint8Array): PckTcb {
  const extension = findExtension(certificateDer, SGX_EXTENSION_OID);
  if (extension === undefined) throw new DerError('the PCK certificate has no SGX extension', 0);
  const value = extension.value;
  const outer = expect(readTlv(value, 0), TAG_SEQUENCE, 'SGX extensions');
  const entries = new Map<string, { tag: number; start: number; end: number; element: ReturnType<typeof readTlv> }>();
  for (const entry of readChildren(value, outer)) {
    const [id, item] = readChildren(value, expect(entry, TAG_SEQUENCE, 'SGX extension entry'));
    const oid = decodeOid(contents(value, expect(id, TAG_OID, 'SGX extension id')));
    if (item === undefined) throw new DerError(`SGX extension ${oid} has no value`, entry.contentStart);
    if (entries.has(oid)) throw new DerError(`SGX extension ${oid} appears twice`, entry.contentStart);
    entries.set(oid, { tag: item.tag, start: item.contentStart, end: item.end, element: item });
  }
  const tcb = entries.get(TCB);
  if (tcb === undefined) throw new DerError('the SGX extension has no TCB', 0);
  const components = new Map<number, number>();
  let pceSvn: number | undefined;
  for (const entry of readChildren(value, expect(tcb.element, TAG_SEQUENCE, 'TCB'))) {
    const [id, item] = readChildren(value, expect(entry, TAG_SEQUENCE, 'TCB component'));
    const oid = decodeOid(contents(value, expect(id, TAG_OID, 'TCB component id')));
    if (item === undefined) throw new DerError('a TCB component has no value', entry.contentStart);
    const arc = oid.startsWith(`${TCB}.`) ? Number(oid.slice(TCB.length + 1)) : Number.NaN;
    if (arc >= 1 && arc <= 16) components.set(arc, smallUnsigned(value, item));
    else if (arc === 17) pceSvn = smallUnsigned(value, item);
  }
  const cpuSvnComponents = Array.from({ length: 16 }, (_, index) => components.get(index + 1));
  if (cpuSvnComponents.some((svn) => svn === undefined) || pceSvn === undefined) throw new DerError('the SGX TCB lacks a component', 0);
  const octets = (oid: string, length: number, what: string): string => {
    const entry = entries.get(oid);
    if (entry === undefined || entry.tag !== TAG_OCTET_STRING || entry.end - entry.start !== length)
      throw new DerError(`the SGX extension's ${what} is missing or malformed`, 0);
    return Buffer.from(value.subarray(entry.start, entry.end)).toString('hex').toUpperCase();
  };
  return { cpuSvnComponents: cpuSvnComponents as number[], pceSvn, pceId: octets(PCE_ID, 2, 'PCE-ID'), fmspc: octets(FMSPC, 6, 'FMSPC') };
}
