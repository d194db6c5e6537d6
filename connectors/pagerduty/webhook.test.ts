// X-PagerDuty-Signature over the exact bytes of a recorded delivery (the fixtures carry no
// header: the README says to compute it).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyPagerDutySignature } from './webhook.js';

const body = readFileSync(new URL('fixtures/webhooks-v3/triggered_v3.json', import.meta.url));
const current = 'current-secret-0123456789abcdef';
const previous = 'previous-secret-0123456789abcdef';
const sign = (secret: string, bytes: Buffer = body) => `v1=${createHmac('sha256', secret).update(bytes).digest('hex')}`;

describe('verifyPagerDutySignature', () => {
  it.each<[string, string | string[] | undefined, readonly string[], boolean]>([
    ['the correct signature', sign(current), [current], true],
    ['the signature in upper-case hex', sign(current).toUpperCase().replace('V1=', 'v1='), [current], true],
    ['a signature made with another secret', sign('some-other-secret-0123456789'), [current], false],
    ['rotation: signed with the new secret, both configured', sign(current), [previous, current], true],
    ['rotation: signed with the old secret, both configured', sign(previous), [previous, current], true],
    ['several v1= values, one matching', `${sign(previous)},${sign(current)}`, [current], true],
    ['several v1= values with spaces', `${sign(previous)}, ${sign(current)}`, [current], true],
    ['several v1= values, none matching', `${sign(previous)},${sign('x-secret-0123456789abcdef')}`, [current], false],
    ['the header given twice', [sign(previous), sign(current)], [current], true],
    ['no header', undefined, [current], false],
    ['an empty header', '', [current], false],
    ['no secret configured', sign(current), [], false],
    ['an unknown scheme', sign(current).replace('v1=', 'v2='), [current], false],
    ['a bare digest without v1=', sign(current).slice(3), [current], false],
    ['non-hex characters', `v1=${'z'.repeat(64)}`, [current], false],
    ['a signature two hex digits short', sign(current).slice(0, -2), [current], false],
    ['a signature two hex digits long', `${sign(current)}00`, [current], false],
    ['the signature of a body changed by one byte', sign(current, Buffer.concat([body, Buffer.from(' ')])), [current], false],
  ])('%s', (_name, header, secrets, expected) => {
    expect(verifyPagerDutySignature(body, header, secrets)).toBe(expected);
  });
});
