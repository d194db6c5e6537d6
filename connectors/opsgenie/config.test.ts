// The `opsgenie:` section's schema and the severity rule.
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parseSince } from '../first-sync.js';
import { normaliseSeverity, OpsgenieConfig } from './config.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const validate = addFormats(new Ajv({ allErrors: true, strict: false })).compile(OpsgenieConfig);

describe('OpsgenieConfig', () => {
  it('accepts the documented example', () => {
    const example = {
      incidents: { services: { '695bce3d-4621-4630-8ae1-24eb89c22d6e': 'payments-api', 'Storefront web': 'storefront-web' } },
      alerts: { service_tag_prefix: 'service:', default_service: 'payments-api' },
      severity: { P1: 'sev1', P2: 'sev1', P5: 'sev4' },
      since: '2024-01-01',
      overlap_days: 7,
    };
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
  });

  it.each([
    ['an unknown key', { api_key: 'x' }],
    ['an unknown priority', { severity: { P6: 'sev1' } }],
    ['a severity outside sev1..sev5', { severity: { P1: 'critical' } }],
    ['a service id that is not a Bellwether id', { incidents: { services: { abc: 'Payments API' } } }],
    ['a negative overlap', { overlap_days: -1 }],
    ['a since that is not a date', { since: 'last year' }],
  ])('refuses %s', (_case, value) => {
    expect(validate(value)).toBe(false);
  });
});

describe('normaliseSeverity', () => {
  it.each([
    ['P1', undefined, 'sev1'],
    ['p2', undefined, 'sev2'],
    [3, undefined, 'sev3'],
    ['4', undefined, 'sev4'],
    [' P5 ', undefined, 'sev5'],
    ['P2', { P2: 'sev1' as const }, 'sev1'],
    ['P3', { P2: 'sev1' as const }, 'sev3'],
    ['P6', undefined, null],
    ['high', undefined, null],
    [undefined, undefined, null],
    [3.5, undefined, null],
  ])('%j with %j → %s', (priority, map, expected) => {
    expect(normaliseSeverity(priority, map)).toBe(expected);
  });
});

it('parseSince reads a bare date as midnight UTC', () => {
  expect(parseSince('2024-03-01')!.toISOString()).toBe('2024-03-01T00:00:00.000Z');
  expect(parseSince('2024-03-01T09:00:00+02:00')!.toISOString()).toBe('2024-03-01T07:00:00.000Z');
  expect(parseSince(undefined)).toBeUndefined();
});
