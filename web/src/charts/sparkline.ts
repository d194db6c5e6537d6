// The scorecard's 12-period sparkline: the line only (no axes, no interaction), gaps where
// there is no data (never drawn as 0), the newest point marked.
import type { Status } from '../api-types.js';
import { COLORS, createChart } from './setup.js';

export function sparkline(canvas: HTMLCanvasElement, labels: string[], values: (number | null)[], status: Status): void {
  const lastIndex = values.length - 1;
  const color = status === 'grey' ? COLORS.status.grey : COLORS.accent;
  createChart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          data: values,
          borderColor: color,
          borderWidth: 1.5,
          tension: 0,
          spanGaps: false,
          pointRadius: values.map((_, i) => (i === lastIndex ? 2.5 : 0)),
          pointBackgroundColor: color,
          pointBorderWidth: 0,
        },
      ],
    },
    options: {
      events: [],
      layout: { padding: { top: 4, bottom: 4, left: 2, right: 4 } },
      plugins: { tooltip: { enabled: false } },
      scales: { x: { display: false }, y: { display: false, grace: '10%' } },
    },
  });
}
