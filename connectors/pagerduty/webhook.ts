// PagerDuty webhooks v3 signature: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw
// body>`, several comma-separated while a subscription's secret is rotated. Checked over the
// exact bytes received, before anything is parsed.
import { hmacSha256Matches } from '../signatures.js';

const SIGNATURE = /^v1=([0-9a-f]{64})$/i;

/**
 * True when any `v1=` signature in the header is the HMAC-SHA256 of `rawBody` under any of
 * `secrets`. Compared in constant time; a missing, malformed or wrong-length header is false.
 */
export function verifyPagerDutySignature(rawBody: Buffer, header: string | string[] | undefined, secrets: readonly string[]): boolean {
  const values = Array.isArray(header) ? header.join(',') : header ?? '';
  const signatures = values.split(',').map((part) => SIGNATURE.exec(part.trim())?.[1]).filter((hex): hex is string => hex !== undefined);
  return hmacSha256Matches(rawBody, signatures, secrets);
}
