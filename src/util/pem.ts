import { X509Certificate } from 'node:crypto';

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Non-empty padded standard base64, nothing else: no line breaks, no armour, nothing PEM could read as text of its own. */
export function isStandardBase64(text: string): boolean {
  return text.length > 0 && STANDARD_BASE64.test(text);
}

/**
 * PEM armour for one certificate: standard base64 of its DER, in lines of 64 characters (RFC 7468). The
 * callers check the text with `isStandardBase64` first, so no attacker text can add armour lines of its own.
 */
export function pemCertificate(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Parses one certificate given as standard base64 of its DER, or returns undefined. Through PEM armour,
 * and checked to be exactly these bytes: handed DER, Node looks for PEM first and returns a certificate
 * embedded anywhere inside (MAA's signing certificates carry Intel's PCK certificate as PEM text in their
 * quote extension), so every check must see the certificate the bytes are.
 */
export function parseCertificate(base64Der: string): X509Certificate | undefined {
  if (!isStandardBase64(base64Der)) return undefined;
  try {
    const certificate = new X509Certificate(pemCertificate(base64Der));
    return certificate.raw.equals(Buffer.from(base64Der, 'base64')) ? certificate : undefined;
  } catch {
    return undefined;
  }
}
