// Opsgenie signs nothing: its webhook integration can only add custom headers. The admin adds
// this header with a shared secret; a delivery is accepted when it carries one of our secrets.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The header to add in Opsgenie's webhook integration (Custom Headers); Node lower-cases header names. */
export const OPSGENIE_SECRET_HEADER = 'x-bellwether-webhook-secret';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether the header holds one of the secrets (several while one is rotated). Both sides are
 * hashed before the constant-time compare, so neither the secrets' lengths nor the position
 * of a first differing byte leak. Missing, empty or repeated headers are refused.
 */
export function verifyOpsgenieSecret(header: string | string[] | undefined, secrets: readonly string[]): boolean {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  if (!value) return false;
  const presented = digest(value);
  let accepted = false;
  // Every secret is compared, so the time taken does not tell which one matched.
  for (const secret of secrets) {
    if (secret && timingSafeEqual(presented, digest(secret))) accepted = true;
  }
  return accepted;
}
