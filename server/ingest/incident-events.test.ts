import { describe, expect, it } from 'vitest';
import type { IncidentEvent, IncidentRecord } from '../../connectors/contract.js';
import { mergeIncidentEvent, reconcileIncident } from './incident-events.js';

const created = '2026-03-02T10:00:00.000Z';
const event = (id: string, type: IncidentEvent['type'], occurredAt: string, incident: IncidentEvent['incident'] = {}): IncidentEvent => ({
  source: 'pagerduty', event_id: id, incident_external_id: 'P1', type, occurred_at: occurredAt, incident,
});
const full = { service: 'payments-api', severity: 'sev2', title: 'Checkout errors', created_at: created };

function fold(events: IncidentEvent[], start: IncidentRecord | null = null) {
  return events.reduce<IncidentRecord | null>((record, e) => mergeIncidentEvent(record, e) ?? record, start);
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const lifecycle = (record: IncidentRecord | null) => record && {
  created_at: record.created_at, acknowledged_at: record.acknowledged_at ?? null, resolved_at: record.resolved_at ?? null,
  status_changed_at: record.status_changed_at ?? null, severity: record.severity,
};

describe('mergeIncidentEvent', () => {
  // triggered 10:00, acknowledged 10:04, resolved 10:30, reopened 11:00, acknowledged 11:02, priority P1 at 11:05, resolved 11:40
  const history = [
    event('e1', 'triggered', created, full),
    event('e2', 'acknowledged', '2026-03-02T10:04:00.000Z', full),
    event('e3', 'resolved', '2026-03-02T10:30:00.000Z', full),
    event('e4', 'reopened', '2026-03-02T11:00:00.000Z', full),
    event('e5', 'acknowledged', '2026-03-02T11:02:00.000Z', full),
    event('e6', 'updated', '2026-03-02T11:05:00.000Z', { ...full, severity: 'sev1' }),
    event('e7', 'resolved', '2026-03-02T11:40:00.000Z', { ...full, severity: 'sev1' }),
  ];

  it('gives the state of the events in order', () => {
    expect(lifecycle(fold(history))).toEqual({
      created_at: created,
      acknowledged_at: '2026-03-02T10:04:00.000Z', // the first acknowledgement
      resolved_at: '2026-03-02T11:40:00.000Z', // the final resolution, after the reopen
      status_changed_at: '2026-03-02T11:40:00.000Z',
      severity: 'sev1',
    });
  });

  it('ends in the same state whatever order the events arrive in (all 5,040 orders)', () => {
    const expected = lifecycle(fold(history));
    let orders = 0;
    for (const order of permutations(history)) {
      orders += 1;
      expect(lifecycle(fold(order))).toEqual(expected);
    }
    expect(orders).toBe(5040);
  });

  it('changes nothing when an event is delivered twice', () => {
    const once = fold(history);
    expect(fold([...history, ...history])).toEqual(once);
    expect(fold(history, once)).toEqual(once);
  });

  it('resolved before acknowledged arrives: stays resolved, with the acknowledgement filled in', () => {
    const record = fold([history[0]!, history[2]!, history[1]!]);
    expect(record?.resolved_at).toBe('2026-03-02T10:30:00.000Z');
    expect(record?.acknowledged_at).toBe('2026-03-02T10:04:00.000Z');
  });

  it('reopened clears a resolution; an older reopen does not undo a newer resolution', () => {
    expect(fold([history[0]!, history[2]!, history[3]!])?.resolved_at).toBeNull();
    expect(fold([history[0]!, history[6]!, history[3]!])?.resolved_at).toBe('2026-03-02T11:40:00.000Z');
  });

  it('cannot make an incident from an event that lacks its creation time', () => {
    const { created_at: _c, ...withoutCreation } = full;
    expect(mergeIncidentEvent(null, event('x', 'resolved', '2026-03-02T10:30:00.000Z', withoutCreation))).toBeNull();
    // …but a triggered event is the creation.
    expect(mergeIncidentEvent(null, event('y', 'triggered', created, withoutCreation))?.created_at).toBe(created);
  });

  it('never moves the creation time of a known incident', () => {
    const record = fold([history[0]!, event('r', 'reopened', '2026-03-03T09:00:00.000Z', { ...full, created_at: '2026-03-03T09:00:00.000Z' })]);
    expect(record?.created_at).toBe(created);
  });

  it('keeps newer attributes when an older attribute change arrives late', () => {
    const record = fold([history[0]!, history[5]!, event('old', 'updated', '2026-03-02T10:10:00.000Z', { ...full, severity: 'sev3' })]);
    expect(record?.severity).toBe('sev1');
  });
});

describe('reconcileIncident', () => {
  const stored = { source: 'pagerduty', external_id: 'P1', ...full, acknowledged_at: '2026-03-02T10:04:00.000Z', resolved_at: null, status_changed_at: '2026-03-02T11:00:00.000Z' };

  it('keeps a newer stored status and the earlier acknowledgement', () => {
    const poll = { ...stored, acknowledged_at: '2026-03-02T10:05:00.000Z', resolved_at: '2026-03-02T10:30:00.000Z', status_changed_at: '2026-03-02T10:30:00.000Z' };
    expect(reconcileIncident(poll, stored)).toMatchObject({ resolved_at: null, status_changed_at: '2026-03-02T11:00:00.000Z', acknowledged_at: '2026-03-02T10:04:00.000Z' });
  });

  it('keeps a cause set through the API when a sync brings the incident again, until the API changes it', () => {
    const withCause = { ...stored, deployment_external_id: 'deploy-41', cause_set_via: 'api' as const };
    const poll = { ...stored, deployment_external_id: null, cause_commit_sha: 'abc1234', status_changed_at: '2026-03-02T11:00:00.000Z' };
    expect(reconcileIncident(poll, withCause)).toMatchObject({ deployment_external_id: 'deploy-41', cause_commit_sha: null, cause_set_via: 'api' });
    const cleared = { ...stored, deployment_external_id: null, cause_set_via: null };
    expect(reconcileIncident(cleared, withCause)).toMatchObject({ deployment_external_id: null, cause_set_via: null });
  });

  it('takes a newer polled status', () => {
    const poll = { ...stored, resolved_at: '2026-03-02T11:40:00.000Z', status_changed_at: '2026-03-02T11:40:00.000Z' };
    expect(reconcileIncident(poll, stored)).toMatchObject({ resolved_at: '2026-03-02T11:40:00.000Z', status_changed_at: '2026-03-02T11:40:00.000Z' });
  });
});
