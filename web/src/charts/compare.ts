// Sub-teams side by side: one line per sub-team for one KPI, each with its own colour and
// dash pattern (so the lines stay distinguishable without colour), plus the target.
import { chartScale, lineOptions } from './axes.js';
import { COLORS, DASHES, createChart } from './setup.js';

export interface CompareSeries {
  name: string;
  values: (number | null)[];
}

export function compareLines(canvas: HTMLCanvasElement, input: { labels: string[]; series: CompareSeries[]; target: (number | null)[]; unit: string }): void {
  const { labels, series } = input;
  const { unit, scale } = chartScale([...series.flatMap((s) => s.values), ...input.target], input.unit);
  const target = input.target.map(scale);
  createChart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        ...series.map((s, i) => ({
          label: s.name,
          data: s.values.map(scale),
          borderColor: seriesColor(i),
          backgroundColor: seriesColor(i),
          borderWidth: 1.75,
          borderDash: seriesDash(i),
          tension: 0, // straight segments: a curve would invent values between periods
          spanGaps: false,
          pointRadius: 0,
          pointHoverRadius: 3.5,
        })),
        {
          label: 'Target',
          data: target,
          borderColor: COLORS.target,
          borderWidth: 1.25,
          borderDash: [5, 4],
          pointRadius: 0,
          pointHoverRadius: 0,
          stepped: 'middle' as const,
        },
      ],
    },
    options: lineOptions(unit),
  });
}

export const seriesColor = (i: number): string => COLORS.series[i % COLORS.series.length]!;
export const seriesDash = (i: number): number[] => DASHES[i % DASHES.length]!;
