/**
 * A self-made SGX world for tests: an "Intel SGX Root CA" of our own, PCK CAs and certificates with Intel's
 * names and SGX extension, quotes signed by our own attestation and PCK keys, TCB info and QE identity
 * signed by our own TCB signing key, and CRLs. Everything is shaped like Intel's; only the keys differ.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { INTEL_QE_VENDOR_ID, QUOTE_HEADER_SIZE, REPORT_BODY_SIZE, REPORT_BODY_OFFSET } from '../../../src/sgx/quote.js';
import { spkiSha256 } from '../../../src/sgx/intel-root.js';
import { SGX_EXTENSION_OID } from '../../../src/sgx/pck-extension.js';

// --- DER writer -------------------------------------------------------------------------------------

export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
export const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
const octets = (value: Buffer): Buffer => tlv(0x04, value);
const utf8 = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));
const printable = (value: string): Buffer => tlv(0x13, Buffer.from(value, 'ascii'));
const bits = (value: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), value]));
const bool = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0]);

export function int(value: bigint | number): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(BigInt);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const digits = date.toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** An Intel-style name: CN, O=Intel Corporation, L=Santa Clara, ST=CA, C=US. */
export function intelName(commonName: string): Buffer {
  const rdn = (type: string, value: Buffer) => set(seq(oid(type), value));
  return seq(
    rdn('2.5.4.3', utf8(commonName)),
    rdn('2.5.4.10', utf8('Intel Corporation')),
    rdn('2.5.4.7', utf8('Santa Clara')),
    rdn('2.5.4.8', utf8('CA')),
    rdn('2.5.4.6', printable('US')),
  );
}

export interface Extension {
  oid: string;
  critical?: boolean;
  value: Buffer;
}

export interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  serial?: bigint;
  notBefore?: Date;
  notAfter?: Date;
  /** Basic constraints: undefined for none. */
  ca?: { ca: boolean; pathLength?: number };
  extensions?: Extension[];
}

export const NOT_BEFORE = new Date('2018-05-21T00:00:00Z');
export const NOT_AFTER = new Date('2049-12-31T23:59:59Z');

export function certificate(spec: CertificateSpec): Buffer {
  const extensions: Extension[] = [...(spec.extensions ?? [])];
  if (spec.ca !== undefined) {
    const body = seq(...(spec.ca.ca ? [bool(true)] : []), ...(spec.ca.pathLength === undefined ? [] : [int(spec.ca.pathLength)]));
    extensions.unshift({ oid: '2.5.29.19', critical: true, value: body });
  }
  const tbs = seq(
    explicit(0, int(2)),
    int(spec.serial ?? 1n),
    ECDSA_SHA256,
    intelName(spec.issuer),
    seq(time(spec.notBefore ?? NOT_BEFORE), time(spec.notAfter ?? NOT_AFTER)),
    intelName(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    ...(extensions.length
      ? [explicit(3, seq(...extensions.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value)))))]
      : []),
  );
  return seq(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, spec.signingKey)));
}

export function pem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface CrlSpec {
  issuer: string;
  signingKey: KeyObject;
  thisUpdate?: Date;
  /** Null leaves nextUpdate out (it is OPTIONAL in the DER, required by RFC 5280 §5.1.2.5). */
  nextUpdate?: Date | null;
  revoked?: bigint[];
}

export function crl(spec: CrlSpec): Buffer {
  const revoked = spec.revoked ?? [];
  const tbs = seq(
    int(1),
    ECDSA_SHA256,
    intelName(spec.issuer),
    time(spec.thisUpdate ?? new Date('2020-01-01T00:00:00Z')),
    ...(spec.nextUpdate === null ? [] : [time(spec.nextUpdate ?? new Date('2040-01-01T00:00:00Z'))]),
    ...(revoked.length ? [seq(...revoked.map((serial) => seq(int(serial), time(new Date('2020-01-01T00:00:00Z')))))] : []),
  );
  return seq(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, spec.signingKey)));
}

// --- keys, SGX extension, quotes ----------------------------------------------------------------------

export const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

export function rawP256(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

export const signRaw = (data: Buffer, key: KeyObject): Buffer => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

export interface PlatformTcb {
  cpuSvnComponents: number[];
  pceSvn: number;
  fmspc: string;
  pceId: string;
}

export const DEFAULT_TCB: PlatformTcb = {
  cpuSvnComponents: [11, 11, 2, 2, 255, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  pceSvn: 13,
  fmspc: '00906ED50000',
  pceId: '0000',
};

export function sgxExtension(tcb: PlatformTcb): Buffer {
  const base = SGX_EXTENSION_OID;
  const entry = (id: string, value: Buffer) => seq(oid(id), value);
  return seq(
    entry(`${base}.1`, octets(Buffer.alloc(16, 0x11))),
    entry(
      `${base}.2`,
      seq(
        ...tcb.cpuSvnComponents.map((svn, index) => entry(`${base}.2.${index + 1}`, int(svn))),
        entry(`${base}.2.17`, int(tcb.pceSvn)),
        entry(`${base}.2.18`, octets(Buffer.from(tcb.cpuSvnComponents))),
      ),
    ),
    entry(`${base}.3`, octets(Buffer.from(tcb.pceId, 'hex'))),
    entry(`${base}.4`, octets(Buffer.from(tcb.fmspc, 'hex'))),
    entry(`${base}.5`, tlv(0x0a, Buffer.from([0]))),
  );
}

/** A complete self-made hierarchy: root, a PCK CA, a PCK certificate, a TCB signing certificate. */
export interface World {
  root: { key: ReturnType<typeof p256>; der: Buffer; spkiSha256: string };
  ca: { key: ReturnType<typeof p256>; der: Buffer; serial: bigint; name: string };
  pck: { key: ReturnType<typeof p256>; der: Buffer; serial: bigint };
  tcbSigning: { key: ReturnType<typeof p256>; der: Buffer; serial: bigint };
  tcb: PlatformTcb;
}

export function makeWorld(options: { tcb?: PlatformTcb; caName?: string; pckNotAfter?: Date } = {}): World {
  const tcb = options.tcb ?? DEFAULT_TCB;
  const rootKey = p256();
  const root = certificate({
    subject: 'Intel SGX Root CA',
    issuer: 'Intel SGX Root CA',
    publicKey: rootKey.publicKey,
    signingKey: rootKey.privateKey,
    ca: { ca: true, pathLength: 1 },
    serial: 0x2265n,
  });
  const caKey = p256();
  const caName = options.caName ?? 'Intel SGX PCK Processor CA';
  const ca = certificate({
    subject: caName,
    issuer: 'Intel SGX Root CA',
    publicKey: caKey.publicKey,
    signingKey: rootKey.privateKey,
    ca: { ca: true, pathLength: 0 },
    serial: 0xd0e8n,
  });
  const pckKey = p256();
  const pck = certificate({
    subject: 'Intel SGX PCK Certificate',
    issuer: caName,
    publicKey: pckKey.publicKey,
    signingKey: caKey.privateKey,
    ca: { ca: false },
    serial: 0xabcdefn,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: options.pckNotAfter ?? new Date('2030-01-01T00:00:00Z'),
    extensions: [{ oid: SGX_EXTENSION_OID, value: sgxExtension(tcb) }],
  });
  const tcbKey = p256();
  const tcbSigning = certificate({
    subject: 'Intel SGX TCB Signing',
    issuer: 'Intel SGX Root CA',
    publicKey: tcbKey.publicKey,
    signingKey: rootKey.privateKey,
    ca: { ca: false },
    serial: 0x7e38n,
  });
  return {
    root: { key: rootKey, der: root, spkiSha256: spkiSha256(rootKey.publicKey) },
    ca: { key: caKey, der: ca, serial: 0xd0e8n, name: caName },
    pck: { key: pckKey, der: pck, serial: 0xabcdefn },
    tcbSigning: { key: tcbKey, der: tcbSigning, serial: 0x7e38n },
    tcb,
  };
}

export const INTEL_QE_MRSIGNER = '8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff';

export interface QuoteSpec {
  reportData: Buffer;
  mrsigner?: string;
  mrenclave?: string;
  /** ATTRIBUTES.FLAGS of the ISV enclave. Default INIT | MODE64BIT. */
  flags?: bigint;
  chainPem?: string;
  qeAuthenticationData?: Buffer;
  qeIsvSvn?: number;
  qeMrsigner?: string;
}

function reportBody(fields: {
  mrenclave: string;
  mrsigner: string;
  flags: bigint;
  reportData: Buffer;
  isvProdId: number;
  isvSvn: number;
}): Buffer {
  const body = Buffer.alloc(REPORT_BODY_SIZE);
  body.writeBigUInt64LE(fields.flags, REPORT_BODY_OFFSET.attributes);
  body.writeBigUInt64LE(0xe7n, REPORT_BODY_OFFSET.attributes + 8);
  Buffer.from(fields.mrenclave, 'hex').copy(body, REPORT_BODY_OFFSET.mrenclave);
  Buffer.from(fields.mrsigner, 'hex').copy(body, REPORT_BODY_OFFSET.mrsigner);
  body.writeUInt16LE(fields.isvProdId, REPORT_BODY_OFFSET.isvProdId);
  body.writeUInt16LE(fields.isvSvn, REPORT_BODY_OFFSET.isvSvn);
  fields.reportData.copy(body, REPORT_BODY_OFFSET.reportData);
  return body;
}

/** A version-3 quote signed by a fresh attestation key, its QE report signed by the world's PCK key. */
export function makeQuote(world: World, spec: QuoteSpec): Buffer {
  const attestation = p256();
  const header = Buffer.alloc(QUOTE_HEADER_SIZE);
  header.writeUInt16LE(3, 0);
  header.writeUInt16LE(2, 2);
  header.writeUInt16LE(8, 8);
  header.writeUInt16LE(13, 10);
  Buffer.from(INTEL_QE_VENDOR_ID, 'hex').copy(header, 12);
  const reportData = Buffer.alloc(64);
  spec.reportData.copy(reportData);
  const body = reportBody({
    mrenclave: spec.mrenclave ?? 'ab'.repeat(32),
    mrsigner: spec.mrsigner ?? 'cd'.repeat(32),
    flags: spec.flags ?? 0x5n,
    reportData,
    isvProdId: 1,
    isvSvn: 1,
  });
  const signed = Buffer.concat([header, body]);
  const attestationKey = rawP256(attestation.publicKey);
  const auth = spec.qeAuthenticationData ?? Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const qeReportData = Buffer.concat([createHash('sha256').update(attestationKey).update(auth).digest(), Buffer.alloc(32)]);
  const qeReport = reportBody({
    mrenclave: 'ee'.repeat(32),
    mrsigner: spec.qeMrsigner ?? INTEL_QE_MRSIGNER,
    flags: 0x11n,
    reportData: qeReportData,
    isvProdId: 1,
    isvSvn: spec.qeIsvSvn ?? 8,
  });
  qeReport.writeBigUInt64LE(0n, REPORT_BODY_OFFSET.attributes + 8);
  const chain = Buffer.from(`${spec.chainPem ?? pem(world.pck.der) + pem(world.ca.der) + pem(world.root.der)}\0`, 'latin1');
  const authSize = Buffer.alloc(2);
  authSize.writeUInt16LE(auth.length);
  const certHeader = Buffer.alloc(6);
  certHeader.writeUInt16LE(5, 0);
  certHeader.writeUInt32LE(chain.length, 2);
  const signatureData = Buffer.concat([
    signRaw(signed, attestation.privateKey),
    attestationKey,
    qeReport,
    signRaw(qeReport, world.pck.key.privateKey),
    authSize,
    auth,
    certHeader,
    chain,
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(signatureData.length);
  return Buffer.concat([signed, length, signatureData]);
}

/** An Open Enclave report wrapping a quote: the current MAA certificate extension's value. */
export function openEnclaveReport(quote: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(1, 0);
  header.writeUInt32LE(2, 4);
  header.writeBigUInt64LE(BigInt(quote.length), 8);
  return Buffer.concat([header, quote]);
}

// --- collateral ---------------------------------------------------------------------------------------

export interface TcbLevel {
  cpuSvnComponents: number[];
  pceSvn: number;
  status: string;
}

export function tcbInfoJson(world: World, levels: TcbLevel[], overrides: Record<string, unknown> = {}): string {
  const body = {
    id: 'SGX',
    version: 3,
    issueDate: '2020-01-01T00:00:00Z',
    nextUpdate: '2040-01-01T00:00:00Z',
    fmspc: world.tcb.fmspc,
    pceId: world.tcb.pceId,
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tcbLevels: levels.map((level) => ({
      tcb: { sgxtcbcomponents: level.cpuSvnComponents.map((svn) => ({ svn })), pcesvn: level.pceSvn },
      tcbDate: '2024-03-13T00:00:00Z',
      tcbStatus: level.status,
      advisoryIDs: level.status === 'UpToDate' ? [] : ['INTEL-SA-00615'],
    })),
    ...overrides,
  };
  const text = JSON.stringify(body);
  return `{"tcbInfo":${text},"signature":"${signRaw(Buffer.from(text), world.tcbSigning.key.privateKey).toString('hex')}"}`;
}

export function qeIdentityJson(world: World, overrides: Record<string, unknown> = {}): string {
  const body = {
    id: 'QE',
    version: 2,
    issueDate: '2020-01-01T00:00:00Z',
    nextUpdate: '2040-01-01T00:00:00Z',
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: INTEL_QE_MRSIGNER.toUpperCase(),
    isvprodid: 1,
    tcbLevels: [
      { tcb: { isvsvn: 8 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' },
      { tcb: { isvsvn: 6 }, tcbDate: '2021-11-10T00:00:00Z', tcbStatus: 'OutOfDate' },
    ],
    ...overrides,
  };
  const text = JSON.stringify(body);
  return `{"enclaveIdentity":${text},"signature":"${signRaw(Buffer.from(text), world.tcbSigning.key.privateKey).toString('hex')}"}`;
}

export function collateralFor(world: World, options: { levels?: TcbLevel[]; pckRevoked?: bigint[]; rootRevoked?: bigint[] } = {}) {
  const levels = options.levels ?? [
    { cpuSvnComponents: world.tcb.cpuSvnComponents, pceSvn: world.tcb.pceSvn, status: 'UpToDate' },
    { cpuSvnComponents: world.tcb.cpuSvnComponents.map(() => 0), pceSvn: 5, status: 'OutOfDate' },
  ];
  const issuerChain = pem(world.tcbSigning.der) + pem(world.root.der);
  return {
    tcbInfos: [tcbInfoJson(world, levels)],
    tcbInfoIssuerChain: issuerChain,
    qeIdentity: qeIdentityJson(world),
    qeIdentityIssuerChain: issuerChain,
    pckCrls: [crl({ issuer: world.ca.name, signingKey: world.ca.key.privateKey, revoked: options.pckRevoked ?? [] })],
    rootCaCrl: crl({ issuer: 'Intel SGX Root CA', signingKey: world.root.key.privateKey, revoked: options.rootRevoked ?? [] }),
  };
}
