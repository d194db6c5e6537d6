// The monthly report's small six-month trend: a compact line with the target dashed and the
// first and last month labelled; sized by its box so print and screen render alike.
import { lineOptions } from './axes.js';
import { COLORS, createChart } from './setup.js';

export function smallTrend(canvas: HTMLCanvasElement, input: { labels: string[]; values: (number | null)[]; target: number; unit: string; name: string }): void {
  const { labels, values, target, unit, name } = input;
  const options = lineOptions(unit, { compact: true });
  options.events = [];
  options.devicePixelRatio = 2; // crisp when printed
  options.layout = { padding: { top: 4, right: 10, bottom: 0, left: 8 } };
  if (options.scales?.x?.ticks) {
    options.scales.x.ticks.autoSkip = false;
    // Only the first and last month: the chart is a glance, the table has every number.
    options.scales.x.ticks.callback = function (_value, index) {
      return index === 0 || index === labels.length - 1 ? (labels[index] ?? '') : '';
    };
  }
  createChart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: name,
          data: values,
          borderColor: COLORS.accent,
          backgroundColor: COLORS.accent,
          borderWidth: 1.5,
          spanGaps: false,
          pointRadius: 1.75,
        },
        { label: 'Target', data: values.map(() => target), borderColor: COLORS.target, borderWidth: 1, borderDash: [3, 3], pointRadius: 0 },
      ],
    },
    options,
  });
}
