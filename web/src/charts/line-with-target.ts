// One KPI over 12–52 periods with its target drawn as a dashed line (the target can change
// over time, so it is a series too). Low-confidence points are hollow; gaps mean no data.
import type { ChartDataset } from 'chart.js';
import { chartScale, lineOptions } from './axes.js';
import { COLORS, createChart } from './setup.js';

export interface TargetLinePoint {
  value: number | null;
  target: number | null;
  lowConfidence: boolean;
}

export function lineWithTarget(
  canvas: HTMLCanvasElement,
  input: { labels: string[]; points: TargetLinePoint[]; unit: string; name: string; onSelect?: (index: number) => void },
): void {
  const { labels, points, name } = input;
  const { unit, scale } = chartScale(points.flatMap((p) => [p.value, p.target]), input.unit);
  const valueSet: ChartDataset<'line', (number | null)[]> = {
    label: name,
    data: points.map((p) => scale(p.value)),
    borderColor: COLORS.accent,
    backgroundColor: COLORS.accent,
    borderWidth: 2,
    tension: 0, // straight segments: a curve would invent values between periods
    spanGaps: false,
    pointRadius: points.length > 26 ? 1.5 : 2.5,
    pointHoverRadius: 4,
    pointBackgroundColor: points.map((p) => (p.lowConfidence ? '#ffffff' : COLORS.accent)),
    pointBorderColor: COLORS.accent,
    pointBorderWidth: 1.5,
  };
  const targetSet: ChartDataset<'line', (number | null)[]> = {
    label: 'Target',
    data: points.map((p) => scale(p.target)),
    borderColor: COLORS.target,
    borderWidth: 1.25,
    borderDash: [5, 4],
    pointRadius: 0,
    pointHoverRadius: 0,
    stepped: 'middle',
  };
  const options = lineOptions(unit);
  const { onSelect } = input;
  if (onSelect) {
    options.onClick = (_event, elements) => {
      if (elements[0]) onSelect(elements[0].index);
    };
    options.onHover = (event, elements) => {
      const target = event.native?.target as HTMLElement | undefined;
      if (target) target.style.cursor = elements.length ? 'pointer' : 'default';
    };
  }
  createChart(canvas, { type: 'line', data: { labels, datasets: [valueSet, targetSet] }, options });
}
