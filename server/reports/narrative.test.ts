// The monthly report's generated sentences: wording per case, "driven by" selection, value
// formatting, and the rule that every number a sentence shows is one of its `numbers`.
import { describe, expect, it } from 'vitest';
import { formatRelativeChange, formatValue } from '../kpi/format.js';
import { buildNarrative, findDriver, type NarrativeKpi, type ReportSentence, type TeamBreakdown, type TeamReading } from './narrative.js';

type Month = { value: number | null; n: number; status?: NarrativeKpi['status'] };

/** A KPI this month and the month before, with delta and delta_pct worked out as the report does. */
function kpi(key: string, current: Month, previous: Month, overrides: Partial<NarrativeKpi> = {}): NarrativeKpi {
  const confidence = (n: number): NarrativeKpi['confidence'] => (n === 0 ? 'no_data' : n < 5 ? 'low' : 'ok');
  const delta = current.value !== null && previous.value !== null ? current.value - previous.value : null;
  const deltaPct = delta !== null && previous.value !== 0 ? (delta / Math.abs(previous.value!)) * 100 : null;
  return {
    key,
    name: key === 'lead_time_for_changes' ? 'Lead time for changes' : key,
    unit: 'hours',
    direction: 'lower_is_better',
    value: current.value,
    n: current.n,
    confidence: confidence(current.n),
    target: 72,
    status: current.status ?? 'green',
    previous_month: {
      value: previous.value, n: previous.n, confidence: confidence(previous.n), status: previous.status ?? 'green', delta, delta_pct: deltaPct,
    },
    ...overrides,
  };
}

const reading = (value: number | null, n: number, previousValue: number | null, previousN: number, confidence: TeamReading['confidence'] = 'ok'): TeamReading => ({
  value, n, confidence, previous: { value: previousValue, n: previousN, confidence: previousN === 0 ? 'no_data' : previousN < 5 ? 'low' : 'ok' },
});
const team = (id: string, name: string, kpis: Record<string, TeamReading>): TeamBreakdown => ({ id, name, kpis });

/** Every number in the text is one of the sentence's numbers, and every one of its numbers is in the text. */
function expectOnlyItsNumbers(sentence: ReportSentence) {
  const tokens = (text: string) => text.match(/\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g) ?? [];
  const allowed = new Set(Object.values(sentence.numbers).flatMap((value) => tokens(String(value))));
  for (const token of tokens(sentence.text)) expect(allowed, `${token} in "${sentence.text}"`).toContain(token);
  for (const value of Object.values(sentence.numbers)) expect(sentence.text).toContain(String(value));
}

describe('formatValue', () => {
  it.each([
    [61.234, 'hours', '61 h'],
    [4.04, 'hours', '4 h'],
    [4.56, 'hours', '4.6 h'],
    [45.4, 'minutes', '45 min'],
    [119.4, 'minutes', '119 min'],
    [119.6, 'minutes', '2 h'],
    [150, 'minutes', '2.5 h'],
    [1500, 'minutes', '25 h'],
    [14.2857, '%', '14.3 %'],
    [15, '%', '15 %'],
    [0, '%', '0 %'],
    [0.4286, 'deploys/day', '0.43 deploys/day'],
    [2.345, 'deploys/day', '2.3 deploys/day'],
    [12.6, 'deploys/day', '13 deploys/day'],
    [1234.5, 'hours', '1,235 h'],
  ])('%d %s → %s', (value, unit, expected) => {
    expect(formatValue(value, unit)).toBe(expected);
  });

  it('prints changes without a sign, one decimal below 10 %', () => {
    expect(formatRelativeChange(38.4)).toBe('38 %');
    expect(formatRelativeChange(-5.25)).toBe('5.3 %');
    expect(formatRelativeChange(-40)).toBe('40 %');
  });
});

describe('buildNarrative', () => {
  const payments = team('payments', 'Payments', { lead_time_for_changes: reading(80, 212, 52, 190) });
  const platform = team('platform', 'Platform', { lead_time_for_changes: reading(30, 300, 29, 280) });

  it('says a KPI rose, by how much, to what, from what, and which team drove it', () => {
    const [sentence, ...rest] = buildNarrative([kpi('lead_time_for_changes', { value: 61, n: 1843 }, { value: 44.2, n: 1700 })], [payments, platform]);
    expect(rest).toEqual([]);
    expect(sentence).toEqual({
      kpi: 'lead_time_for_changes',
      kind: 'change',
      text: 'Lead time for changes worsened, rising 38 % to 61 h from 44 h (n = 1843), driven by Payments (52 h to 80 h, n = 212).',
      numbers: { value: '61 h', previous: '44 h', n: 1843, change_pct: '38 %', team: 'Payments', team_previous: '52 h', team_value: '80 h', team_n: 212 },
    });
    expectOnlyItsNumbers(sentence!);
  });

  it('words a fall of a higher-is-better KPI as worsening and a fall of a lower-is-better one as improving', () => {
    const sentences = buildNarrative([
      kpi('deployment_frequency', { value: 0.5, n: 15 }, { value: 1, n: 31 }, { unit: 'deploys/day', direction: 'higher_is_better', name: 'Deployment frequency', target: 0.4 }),
      kpi('change_failure_rate', { value: 6, n: 50 }, { value: 10, n: 40 }, { unit: '%', name: 'Change failure rate', target: 15 }),
    ], []);
    expect(sentences.map((s) => s.text)).toEqual([
      'Deployment frequency worsened, falling 50 % to 0.5 deploys/day from 1 deploys/day (n = 15).',
      'Change failure rate improved, falling 4 pts to 6 % from 10 % (n = 50).',
    ]);
  });

  it('names no driver when no team with enough data moved the same way, or with a single team', () => {
    const againstTheTrend = team('a', 'A', { lead_time_for_changes: reading(20, 50, 40, 50) });
    const lowConfidence = team('b', 'B', { lead_time_for_changes: reading(200, 3, 40, 50, 'low') });
    const input = kpi('lead_time_for_changes', { value: 61, n: 100 }, { value: 44, n: 100 });
    expect(findDriver(input, [againstTheTrend, lowConfidence])).toBeNull();
    expect(buildNarrative([input], [againstTheTrend, lowConfidence])[0]!.text).not.toContain('driven by');
    expect(findDriver(input, [payments])).toBeNull();
    // Among several movers in the same direction, the largest move wins.
    const bigger = team('c', 'C', { lead_time_for_changes: reading(100, 20, 40, 20) });
    expect(findDriver(input, [payments, platform, bigger])?.team.id).toBe('c');
  });

  it('calls a move below the threshold steady, and an exact repeat unchanged', () => {
    const [steady] = buildNarrative([kpi('lead_time_for_changes', { value: 46, n: 100 }, { value: 44, n: 90 })], [payments, platform]);
    expect(steady).toMatchObject({ kind: 'steady', text: 'Lead time for changes held steady at 46 h (44 h the month before, n = 100).' });
    const [unchanged] = buildNarrative([kpi('lead_time_for_changes', { value: 44, n: 100 }, { value: 44, n: 90 })], []);
    expect(unchanged).toMatchObject({ kind: 'steady', text: 'Lead time for changes was unchanged at 44 h (n = 100).' });
    const [lowered] = buildNarrative([kpi('lead_time_for_changes', { value: 46, n: 100 }, { value: 44, n: 90 })], [], { thresholdPct: 2 });
    expect(lowered!.kind).toBe('change');
  });

  it('is honest about missing and thin data instead of reading a trend', () => {
    const sentences = buildNarrative([
      kpi('a', { value: null, n: 0, status: 'grey' }, { value: 50, n: 10 }),
      kpi('b', { value: 45, n: 3, status: 'grey' }, { value: 50, n: 10 }),
      kpi('c', { value: 45, n: 30 }, { value: null, n: 0, status: 'grey' }),
      kpi('d', { value: 45, n: 30 }, { value: 90, n: 2, status: 'grey' }),
    ], [payments, platform]);
    expect(sentences.map((s) => [s.kind, s.text])).toEqual([
      ['no_previous', 'c was 45 h (n = 30); there is no data for the month before to compare with.'],
      ['no_previous', 'd was 45 h (n = 30); the month before rests on only 2 records, so no change is read.'],
      ['low_confidence', 'b was 45 h this month, but from only 3 records: too few to read a trend.'],
      ['no_data', 'a: no data this month.'],
    ]);
    // No data is never worded as a zero.
    expect(sentences.find((s) => s.kpi === 'a')!.text).not.toMatch(/\d/);
  });

  it("reports a move from zero without a percentage, and a rate's move in points", () => {
    const [rate] = buildNarrative([kpi('cfr', { value: 12.5, n: 40 }, { value: 0, n: 30 }, { unit: '%', name: 'Change failure rate', target: 15 })], []);
    expect(rate!.text).toBe('Change failure rate worsened, rising 12.5 pts to 12.5 % from 0 % (n = 40).');
    const [frequency] = buildNarrative([kpi('df', { value: 0.5, n: 20 }, { value: 0, n: 30 }, { unit: 'deploys/day', name: 'Deployment frequency', target: 1, direction: 'higher_is_better' })], []);
    expect(frequency!.text).toBe('Deployment frequency improved, rising to 0.5 deploys/day from 0 deploys/day (n = 20).');
  });

  it('adds a sentence when a KPI turns red, stays red or comes back on target, red ones first', () => {
    const sentences = buildNarrative([
      kpi('lead_time_for_changes', { value: 100, n: 100, status: 'red' }, { value: 80, n: 100, status: 'amber' }),
      kpi('cfr', { value: 12, n: 40, status: 'green' }, { value: 20, n: 30, status: 'red' }, { unit: '%', name: 'Change failure rate', target: 15 }),
      kpi('df', { value: 2, n: 60, status: 'green' }, { value: 2, n: 60, status: 'green' }, { unit: 'deploys/day', name: 'Deployment frequency', direction: 'higher_is_better', target: 1 }),
      kpi('ttr', { value: 150, n: 30, status: 'red' }, { value: 150, n: 30, status: 'red' }, { unit: 'minutes', name: 'Time to restore', target: 60 }),
    ], []);
    expect(sentences.map((s) => s.kind)).toEqual(['turned_red', 'still_red', 'change', 'change', 'back_on_target', 'steady', 'steady']);
    expect(sentences[0]!.text).toBe('Lead time for changes turned red: 100 h against a target of at most 72 h (amber the month before).');
    expect(sentences[1]!.text).toBe('Time to restore is still red: 2.5 h against a target of at most 60 min (red the month before too).');
    expect(sentences[4]!.text).toBe('Change failure rate is back on target: 12 % against a target of at most 15 % (red the month before).');
    expect(sentences[0]!.numbers).toEqual({ value: '100 h', target: '72 h' });
    // A higher-is-better target reads "at least"; grey or green the month before is said as such.
    const [turned] = buildNarrative([kpi('df', { value: 0.2, n: 6, status: 'red' }, { value: 0.2, n: 2, status: 'grey' }, { unit: 'deploys/day', name: 'Deployment frequency', direction: 'higher_is_better', target: 1 })], []);
    expect(turned!.text).toBe('Deployment frequency turned red: 0.2 deploys/day against a target of at least 1 deploys/day (without a reliable status the month before).');
  });

  it('shows in every sentence only numbers listed in its `numbers`, over many generated cases', () => {
    // A small deterministic PRNG so the cases are the same on every run.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const units = ['hours', 'minutes', '%', 'deploys/day'];
    const statuses = ['green', 'amber', 'red', 'grey'] as const;
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const value = () => (random() < 0.1 ? null : random() < 0.1 ? 0 : Math.round(random() * 5000) / (random() < 0.5 ? 10 : 1000));
    const n = () => pick([0, 1, 3, 8, 40, 1234]);
    let checked = 0;
    for (let i = 0; i < 300; i++) {
      const unit = pick(units);
      const currentValue = value();
      const previousValue = value();
      // KPI names come from the registry and hold no digits; keys here do, so name them apart.
      const input = kpi(`k${i}`, { value: currentValue, n: currentValue === null ? 0 : n() || 1, status: pick(statuses) }, { value: previousValue, n: previousValue === null ? 0 : n() || 1, status: pick(statuses) }, {
        name: 'Some KPI', unit, direction: pick(['lower_is_better', 'higher_is_better'] as const), target: Math.round(random() * 1000) / 10,
      });
      // Team names with digits must not smuggle numbers past the check.
      const teams = [
        team('t1', 'Squad 7', { [input.key]: reading(value(), n() || 1, value(), n() || 1) }),
        team('t2', 'Team 2.5', { [input.key]: reading(value(), n() || 1, value(), n() || 1) }),
      ];
      for (const sentence of buildNarrative([input], teams)) {
        expectOnlyItsNumbers(sentence);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});
