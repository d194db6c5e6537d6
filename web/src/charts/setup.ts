// chart.js, tree-shaken: only the line controller and the pieces it needs are registered
// (the whole library would double the first screen). Animations are off everywhere so a
// screenshot or the PDF renderer captures the final frame as soon as the page is ready.
import {
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip);

Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font-sans').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#6b7280';
Chart.defaults.borderColor = '#eceef2';
Chart.defaults.plugins.tooltip.animation = false;

/** Colours of the series; the first is the product accent, the rest a calm categorical set. */
export const COLORS = {
  accent: '#4f46e5',
  target: '#9ca3af',
  grid: '#eef0f3',
  status: { green: '#15803d', amber: '#b45309', red: '#b91c1c', grey: '#9ca3af' },
  series: ['#4f46e5', '#0e7490', '#c2410c', '#7c3aed', '#15803d', '#be185d', '#4d7c0f'],
} as const;

/** A second, colour-independent channel per compared series (DESIGN quality bar). */
export const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 4]];

const live = new Set<Chart>();

/** Creates a chart and remembers it so the router can destroy it when the page changes. */
export function createChart(canvas: HTMLCanvasElement, config: ChartConfiguration<'line', (number | null)[], string>): Chart<'line', (number | null)[], string> {
  const chart = new Chart(canvas, config);
  live.add(chart as unknown as Chart);
  return chart;
}

export function destroyCharts(): void {
  for (const chart of live) chart.destroy();
  live.clear();
}

export { Chart };
