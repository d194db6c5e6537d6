import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { backfillStart, normaliseSeverity, PagerDutyConfig, type SeverityInput } from './config.js';

const services = { PIKL83L: 'dev-service' };

describe('PagerDutyConfig', () => {
  it.each([
    ['only services', { services }],
    ['every option', { services, severity: { priorities: { 'SEV-0': 'sev1', P1: 'sev1' }, urgency: { high: 'sev3', low: 'sev5' } }, since: '2024-01-01', overlap_days: 14 }],
    ['since as a timestamp', { services, since: '2024-01-01T12:00:00Z' }],
  ])('accepts %s', (_name, config) => {
    expect(Value.Check(PagerDutyConfig, config)).toBe(true);
  });

  it.each([
    ['no services', {}],
    ['an empty services map', { services: {} }],
    ['a lowercase PagerDuty service id', { services: { pikl83l: 'dev-service' } }],
    ['a Bellwether service id that is not a slug', { services: { PIKL83L: 'Dev Service' } }],
    ['an unknown key', { services, token: 'x' }],
    ['a severity outside sev1..sev5', { services, severity: { priorities: { P1: 'sev0' } } }],
    ['an unknown urgency', { services, severity: { urgency: { medium: 'sev3' } } }],
    ['since that is not a date', { services, since: 'last year' }],
    ['overlap_days of 0', { services, overlap_days: 0 }],
  ])('rejects %s', (_name, config) => {
    expect(Value.Check(PagerDutyConfig, config)).toBe(false);
  });
});

describe('normaliseSeverity', () => {
  const custom: PagerDutyConfig = { services, severity: { priorities: { 'SEV-0': 'sev1', P2: 'sev1' }, urgency: { high: 'sev1', low: 'sev3' } } };
  it.each<[string, SeverityInput, PagerDutyConfig, string]>([
    ['P1..P5 name their severity by default', { priority: { name: 'P1' }, urgency: 'low' }, { services }, 'sev1'],
    ['a webhook priority reference has only a summary', { priority: { summary: 'P4' }, urgency: 'high' }, { services }, 'sev4'],
    ['a configured priority wins', { priority: { name: 'P2' }, urgency: 'low' }, custom, 'sev1'],
    ['a custom priority name', { priority: { name: 'SEV-0' } }, custom, 'sev1'],
    ['an unmapped priority name falls back to urgency', { priority: { name: 'Major' }, urgency: 'low' }, { services }, 'sev4'],
    ['no priority, high urgency', { priority: null, urgency: 'high' }, { services }, 'sev2'],
    ['no priority, low urgency', { priority: null, urgency: 'low' }, { services }, 'sev4'],
    ['configured urgencies', { priority: null, urgency: 'low' }, custom, 'sev3'],
    ['no urgency counts as high, PagerDuty default', {}, { services }, 'sev2'],
    ['a priority name that is not text is ignored', { priority: { name: 7 as unknown as string }, urgency: 'low' }, { services }, 'sev4'],
  ])('%s', (_name, incident, config, expected) => {
    expect(normaliseSeverity(incident, config)).toBe(expected);
  });
});

describe('backfillStart', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  it('defaults to two years before now', () => {
    expect(backfillStart({ services }, now).toISOString()).toBe('2024-03-01T10:00:00.000Z');
  });
  it('takes since from the file, a date meaning its UTC midnight', () => {
    expect(backfillStart({ services, since: '2025-01-15' }, now).toISOString()).toBe('2025-01-15T00:00:00.000Z');
  });
  it('lets --since win over the file', () => {
    expect(backfillStart({ services, since: '2025-01-15' }, now, new Date('2025-06-01T00:00:00Z')).toISOString()).toBe('2025-06-01T00:00:00.000Z');
  });
});
