// Webhook signatures shared by the connectors that sign with HMAC-SHA256 over the raw body
// (PagerDuty v3: `v1=<hex>`, GitHub: `sha256=<hex>`).
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when any of the hex `signatures` is the HMAC-SHA256 of `rawBody` under any of `secrets`
 * (several while one is rotated). Every pair is compared in constant time, so the time taken
 * says neither which secret nor which signature matched; a wrong-length signature is false.
 */
export function hmacSha256Matches(rawBody: Buffer, signatures: readonly string[], secrets: readonly string[]): boolean {
  const presented = signatures.map((hex) => Buffer.from(hex, 'hex'));
  if (!presented.length) return false;
  let valid = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    for (const signature of presented) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
    }
  }
  return valid;
}
