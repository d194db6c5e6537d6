// Short sentences for the executives' monthly report, generated from the report's own numbers
// (issue #4: "no invented facts: each sentence names the numbers it comes from"). Pure: the
// report builder reads the data; this module only words it, so every rule here is unit-tested.
import type { Confidence, Direction, Status } from '../kpi/rules/status.js';
import { formatNumber, formatRelativeChange, formatValue } from '../kpi/format.js';

/** What a sentence needs to know about one KPI this month and the month before. */
export interface NarrativeKpi {
  key: string;
  name: string;
  unit: string;
  direction: Direction;
  value: number | null;
  n: number;
  confidence: Confidence;
  target: number;
  status: Status;
  previous_month: {
    value: number | null;
    n: number;
    confidence: Confidence;
    status: Status;
    delta: number | null;
    delta_pct: number | null;
  };
}

/** One KPI of one team, this month and the month before. */
export interface TeamReading {
  value: number | null;
  n: number;
  confidence: Confidence;
  previous: { value: number | null; n: number; confidence: Confidence };
}

/** A top-level team's own values, for "driven by" (the builder decides which teams are top-level). */
export interface TeamBreakdown {
  id: string;
  name: string;
  kpis: Record<string, TeamReading>;
}

export type SentenceKind = 'turned_red' | 'still_red' | 'change' | 'back_on_target' | 'steady' | 'no_previous' | 'low_confidence' | 'no_data';

/**
 * A generated sentence. `numbers` holds every figure the text shows, exactly as shown:
 * quantities as strings with their unit ('61 h', '38 %'), sample sizes as numbers, and
 * names (which may contain digits) as strings.
 */
export interface ReportSentence {
  kpi: string;
  kind: SentenceKind;
  text: string;
  numbers: Record<string, number | string>;
}

export interface NarrativeOptions {
  /** A month-over-month change smaller than this (in %) is worded as steady. */
  thresholdPct?: number;
}

/** Default significance threshold: below 5 % a month-over-month move is noise for an executive summary. */
export const DEFAULT_THRESHOLD_PCT = 5;

// Most important first: what went red, what moved, what recovered, then the quiet KPIs.
const ORDER: SentenceKind[] = ['turned_red', 'still_red', 'change', 'back_on_target', 'steady', 'no_previous', 'low_confidence', 'no_data'];

// ---------------------------------------------------------------- number formatting
// Values go through server/kpi/format.ts, the dashboard's formatter, so a sentence and the
// table beside it print a number identically.

/** "at most 72 h" for lower-is-better KPIs, "at least 1 deploys/day" for higher-is-better ones. */
function targetPhrase(target: string, direction: Direction): string {
  return `${direction === 'lower_is_better' ? 'at most' : 'at least'} ${target}`;
}

const STATUS_WORDS: Record<Status, string> = { green: 'on target', amber: 'amber', red: 'red', grey: 'without a reliable status' };

// ---------------------------------------------------------------- sentences

const records = (n: number) => `${n} ${n === 1 ? 'record' : 'records'}`;

/**
 * The top-level team whose own value moved most (largest absolute delta) in the same
 * direction as the organisation's, among teams with enough data in both months. Only
 * named when there are at least two teams to choose from; with one it says nothing.
 */
export function findDriver(kpi: NarrativeKpi, teams: readonly TeamBreakdown[]): { team: TeamBreakdown; reading: TeamReading; delta: number } | null {
  const orgDelta = kpi.previous_month.delta;
  if (orgDelta === null || orgDelta === 0 || teams.length < 2) return null;
  let best: { team: TeamBreakdown; reading: TeamReading; delta: number } | null = null;
  for (const team of teams) {
    const reading = team.kpis[kpi.key];
    if (!reading || reading.confidence !== 'ok' || reading.previous.confidence !== 'ok') continue;
    if (reading.value === null || reading.previous.value === null) continue;
    const delta = reading.value - reading.previous.value;
    if (delta === 0 || Math.sign(delta) !== Math.sign(orgDelta)) continue;
    if (!best || Math.abs(delta) > Math.abs(best.delta)) best = { team, reading, delta };
  }
  return best;
}

/** The main sentence for one KPI: its move against last month, or why no move is read. */
function movementSentence(kpi: NarrativeKpi, teams: readonly TeamBreakdown[], thresholdPct: number): ReportSentence {
  const { key, name, unit, previous_month: previous } = kpi;
  if (kpi.value === null || kpi.confidence === 'no_data') {
    return { kpi: key, kind: 'no_data', text: `${name}: no data this month.`, numbers: {} };
  }
  const value = formatValue(kpi.value, unit);
  if (kpi.confidence === 'low') {
    return {
      kpi: key, kind: 'low_confidence',
      text: `${name} was ${value} this month, but from only ${records(kpi.n)}: too few to read a trend.`,
      numbers: { value, n: kpi.n },
    };
  }
  if (previous.value === null || previous.confidence === 'no_data') {
    return {
      kpi: key, kind: 'no_previous',
      text: `${name} was ${value} (n = ${kpi.n}); there is no data for the month before to compare with.`,
      numbers: { value, n: kpi.n },
    };
  }
  if (previous.confidence === 'low') {
    return {
      kpi: key, kind: 'no_previous',
      text: `${name} was ${value} (n = ${kpi.n}); the month before rests on only ${records(previous.n)}, so no change is read.`,
      numbers: { value, n: kpi.n, previous_n: previous.n },
    };
  }
  const previousValue = formatValue(previous.value, unit);
  const delta = previous.delta ?? kpi.value - previous.value;
  // From 0 there is no percentage (delta_pct is null); any move from 0 is worth a sentence.
  const significant = delta !== 0 && (previous.delta_pct === null || Math.abs(previous.delta_pct) >= thresholdPct);
  if (!significant) {
    return delta === 0
      ? { kpi: key, kind: 'steady', text: `${name} was unchanged at ${value} (n = ${kpi.n}).`, numbers: { value, n: kpi.n } }
      : {
        kpi: key, kind: 'steady',
        text: `${name} held steady at ${value} (${previousValue} the month before, n = ${kpi.n}).`,
        numbers: { value, previous: previousValue, n: kpi.n },
      };
  }
  const improving = (delta > 0) === (kpi.direction === 'higher_is_better');
  const verb = `${improving ? 'improved' : 'worsened'}, ${delta > 0 ? 'rising' : 'falling'}`;
  const numbers: Record<string, number | string> = { value, previous: previousValue, n: kpi.n };
  let text: string;
  if (unit === '%') {
    // A rate moves in percentage points: '8.3 % to 10.3 %' would read as two rates.
    const change = `${formatNumber(Math.abs(delta), 1)} pts`;
    numbers.change_pts = change;
    text = `${name} ${verb} ${change} to ${value} from ${previousValue} (n = ${kpi.n})`;
  } else if (previous.delta_pct === null) {
    text = `${name} ${verb} to ${value} from ${previousValue} (n = ${kpi.n})`;
  } else {
    const change = formatRelativeChange(previous.delta_pct);
    numbers.change_pct = change;
    text = `${name} ${verb} ${change} to ${value} from ${previousValue} (n = ${kpi.n})`;
  }
  const driver = findDriver(kpi, teams);
  if (driver && driver.reading.value !== null && driver.reading.previous.value !== null) {
    const teamValue = formatValue(driver.reading.value, unit);
    const teamPrevious = formatValue(driver.reading.previous.value, unit);
    Object.assign(numbers, { team: driver.team.name, team_previous: teamPrevious, team_value: teamValue, team_n: driver.reading.n });
    text += `, driven by ${driver.team.name} (${teamPrevious} to ${teamValue}, n = ${driver.reading.n})`;
  }
  return { kpi: key, kind: 'change', text: `${text}.`, numbers };
}

/** A second sentence about the RAG status: turned red, still red, or back on target. */
function statusSentence(kpi: NarrativeKpi): ReportSentence | null {
  if (kpi.value === null) return null;
  const before = kpi.previous_month.status;
  const value = formatValue(kpi.value, kpi.unit);
  const target = formatValue(kpi.target, kpi.unit);
  const against = `${value} against a target of ${targetPhrase(target, kpi.direction)}`;
  if (kpi.status === 'red' && before !== 'red') {
    return { kpi: kpi.key, kind: 'turned_red', text: `${kpi.name} turned red: ${against} (${STATUS_WORDS[before]} the month before).`, numbers: { value, target } };
  }
  // A standing red is what an executive most needs to hear again, not only the new ones.
  if (kpi.status === 'red') {
    return { kpi: kpi.key, kind: 'still_red', text: `${kpi.name} is still red: ${against} (red the month before too).`, numbers: { value, target } };
  }
  if (kpi.status === 'green' && (before === 'red' || before === 'amber')) {
    return { kpi: kpi.key, kind: 'back_on_target', text: `${kpi.name} is back on target: ${against} (${STATUS_WORDS[before]} the month before).`, numbers: { value, target } };
  }
  return null;
}

/**
 * Every sentence of the report: one per KPI on its move against the previous month, plus
 * one per KPI that is red (newly or still) or came back to target; most important first, KPI
 * order within a kind.
 */
export function buildNarrative(kpis: readonly NarrativeKpi[], teams: readonly TeamBreakdown[], options: NarrativeOptions = {}): ReportSentence[] {
  const thresholdPct = options.thresholdPct ?? DEFAULT_THRESHOLD_PCT;
  const sentences: ReportSentence[] = [];
  for (const kpi of kpis) {
    const status = statusSentence(kpi);
    if (status) sentences.push(status);
    sentences.push(movementSentence(kpi, teams, thresholdPct));
  }
  // Array.prototype.sort is stable, so KPI order survives within a kind.
  return sentences.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}
