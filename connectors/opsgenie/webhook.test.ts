// The shared-secret header check: right, wrong, missing, rotated.
import { describe, expect, it } from 'vitest';
import { OPSGENIE_SECRET_HEADER, verifyOpsgenieSecret } from './webhook.js';

const current = 'a1f3c0de-current-secret-value';
const next = 'b7e2d9aa-next-secret-value-longer';

describe('verifyOpsgenieSecret', () => {
  it.each([
    ['the right secret', current, [current], true],
    ['a wrong secret', 'a1f3c0de-current-secret-valuX', [current], false],
    ['a prefix of the secret', current.slice(0, 10), [current], false],
    ['a missing header', undefined, [current], false],
    ['an empty header', '', [current], false],
    ['an empty header against an empty configured secret', '', [''], false],
    ['any header when no secret is configured', current, [], false],
    ['the old secret while rotating', current, [next, current], true],
    ['the new secret while rotating', next, [next, current], true],
    ['the old secret after rotation', current, [next], false],
    ['a header sent once (array form)', [current], [current], true],
    ['a header sent twice', [current, current], [current], false],
  ] as const)('%s', (_case, header, secrets, expected) => {
    expect(verifyOpsgenieSecret(header as string | string[] | undefined, secrets)).toBe(expected);
  });

  it('names a header in the lower case Node gives incoming headers', () => {
    expect(OPSGENIE_SECRET_HEADER).toBe(OPSGENIE_SECRET_HEADER.toLowerCase());
  });
});
