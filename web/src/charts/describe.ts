// Text alternatives for charts: a one-sentence aria-label summary (the full numbers are in
// the table beside every chart). Kept free of chart.js so it costs nothing to import.
import { formatValue } from '../format.js';

export function describeSeries(name: string, labels: string[], values: (number | null)[], unit: string, target?: string): string {
  const known = values.map((value, i) => ({ value, label: labels[i] ?? '' })).filter((p): p is { value: number; label: string } => p.value !== null);
  const span = labels.length ? `${labels[0]} to ${labels[labels.length - 1]}` : '';
  if (!known.length) return `${name}, ${span}: no data.`;
  const first = known[0]!;
  const last = known[known.length - 1]!;
  const min = Math.min(...known.map((p) => p.value));
  const max = Math.max(...known.map((p) => p.value));
  const gaps = values.length - known.length;
  return (
    `${name}, ${span}: from ${formatValue(first.value, unit)} (${first.label}) to ${formatValue(last.value, unit)} (${last.label}); ` +
    `lowest ${formatValue(min, unit)}, highest ${formatValue(max, unit)}` +
    (gaps ? `; ${gaps} ${gaps === 1 ? 'period' : 'periods'} without data` : '') +
    (target ? `; target ${target}` : '') +
    '.'
  );
}
