/**
 * PEM armour for one certificate: standard base64 of its DER, in lines of 64 characters (RFC 7468). The
 * callers check that the base64 is canonical first, so no attacker text can add armour lines of its own.
 */
export function pemCertificate(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
