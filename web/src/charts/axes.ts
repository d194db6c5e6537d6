// Shared axis and tooltip options for the charts with axes: values formatted with the
// KPI's unit, y from zero (a trend must not be exaggerated by a clipped axis).
import type { ChartOptions } from 'chart.js';
import { MINUTES_SHOWN_AS_HOURS_FROM } from '../../../server/kpi/format.js';
import { formatAxisTick, formatValue } from '../format.js';
import { COLORS } from './setup.js';

/**
 * Durations stored in minutes are drawn in hours once they reach two hours, as the values
 * beside the chart are written (server/kpi/format.ts), so the axis ticks stay round numbers
 * in the same unit as the headline.
 */
export function chartScale(values: readonly (number | null)[], unit: string): { unit: string; scale: (v: number | null) => number | null } {
  const max = Math.max(0, ...values.map((v) => Math.abs(v ?? 0)));
  if (unit === 'minutes' && Math.round(max) >= MINUTES_SHOWN_AS_HOURS_FROM) return { unit: 'hours', scale: (v) => (v === null ? null : v / 60) };
  return { unit, scale: (v) => v };
}

export function lineOptions(unit: string, { compact = false } = {}): ChartOptions<'line'> {
  return {
    interaction: { mode: 'index', intersect: false },
    layout: { padding: { top: 6, right: 6 } },
    plugins: {
      tooltip: {
        enabled: !compact,
        backgroundColor: '#111827',
        padding: 8,
        cornerRadius: 6,
        boxPadding: 4,
        callbacks: {
          label: (item) => `${item.dataset.label ?? ''}: ${formatValue(item.raw as number | null, unit)}`,
        },
      },
    },
    scales: {
      x: {
        grid: { display: false },
        border: { color: COLORS.grid },
        ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: compact ? 3 : 9, font: { size: compact ? 9 : 11 } },
      },
      y: {
        beginAtZero: true,
        grace: '8%',
        display: !compact,
        border: { display: false },
        grid: { color: COLORS.grid },
        ticks: { maxTicksLimit: 4, callback: (value) => formatAxisTick(Number(value), unit) },
      },
    },
  };
}
