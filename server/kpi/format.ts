// How a KPI value is written, everywhere: the dashboard (web/src/format.ts re-exports this),
// the monthly report's narrative and the CLI. One module so a value reads the same in a
// sentence, a table cell and a PDF ("61 h", "45 min", "5.8 %", "0.43 deploys/day").
// Pure, no imports: the dashboard bundles it as is.

/** No data is a dash, never 0 (KPIS.md). */
export const NO_DATA = '—';

// A fixed locale: the text must not depend on the viewer's browser or the server's locale.
const numberFormats = new Map<number, Intl.NumberFormat>();

/** At most `maxDecimals` decimals, thousands separated ("1,234"), a true minus sign. */
export function formatNumber(value: number, maxDecimals: number): string {
  let format = numberFormats.get(maxDecimals);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: maxDecimals, minimumFractionDigits: 0 });
    numberFormats.set(maxDecimals, format);
  }
  const text = format.format(value);
  return text === '-0' ? '0' : text.replace('-', '−');
}

/** Below this many minutes a duration reads best in minutes; from it on, in hours. */
export const MINUTES_SHOWN_AS_HOURS_FROM = 120;

/**
 * The number and its unit separately (cards typeset the unit smaller). `scaleOf` is the
 * value a change belongs to, so it is written in the same unit as that value.
 */
export function formatParts(value: number | null, unit: string, scaleOf: number | null = value): { number: string; unit: string } {
  if (value === null || !Number.isFinite(value)) return { number: NO_DATA, unit: '' };
  const magnitude = Math.abs(value);
  switch (unit) {
    case 'hours':
      // "61 h": whole hours at the scale of lead times; one decimal below 10 h.
      return { number: formatNumber(value, magnitude < 10 ? 1 : 0), unit: 'h' };
    case 'minutes':
      // Compared as shown (rounded): 119.6 min would print as '120 min', so it is '2 h'.
      if (Math.round(Math.abs(scaleOf ?? value)) >= MINUTES_SHOWN_AS_HOURS_FROM) return formatParts(value / 60, 'hours');
      return { number: formatNumber(value, magnitude < 10 ? 1 : 0), unit: 'min' };
    case '%':
      return { number: formatNumber(value, 1), unit: '%' };
    case 'deploys/day':
      // Two significant-ish digits: 12, 8.5, 0.43.
      return { number: formatNumber(value, magnitude >= 10 ? 0 : magnitude >= 1 ? 1 : 2), unit: 'deploys/day' };
    case 'pages/week':
      // "7 pages/week", "1.8 pages/week": a rate of interruptions, one decimal is plenty.
      return { number: formatNumber(value, magnitude >= 10 ? 0 : 1), unit: 'pages/week' };
    case 'incidents':
      return { number: formatNumber(value, 0), unit: magnitude === 1 ? 'incident' : 'incidents' };
    case 'weighted bugs':
      // Severity weights are whole numbers (escaped defects).
      return { number: formatNumber(value, 0), unit: magnitude === 1 ? 'weighted bug' : 'weighted bugs' };
    default:
      return { number: formatNumber(value, magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2), unit };
  }
}

/** A KPI value as shown: "61 h", "38 min", "5.8 %", "8.5 deploys/day", or "—" for no data. */
export function formatValue(value: number | null, unit: string): string {
  const parts = formatParts(value, unit);
  return parts.unit ? `${parts.number} ${parts.unit}` : parts.number;
}

/** A relative change without its sign (the sign or the words around it say which way): '38 %', '5.3 %'. */
export function formatRelativeChange(deltaPct: number): string {
  const magnitude = Math.abs(deltaPct);
  return `${formatNumber(magnitude, magnitude < 10 ? 1 : 0)} %`;
}
