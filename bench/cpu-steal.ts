// CPU steal: the time the hypervisor gave this virtual machine's CPUs to other guests
// (/proc/stat's `steal`). On a busy host it slows every phase of the bench alike, code
// unchanged; the results report it per phase so a slow run can be told from slow code.
import { readFileSync } from 'node:fs';

/** Cumulative CPU ticks of the whole machine: all of them, and those stolen. */
export interface CpuTicks {
  total: number;
  steal: number;
}

/** The machine's CPU ticks now, or null where /proc/stat is not to be had (not Linux). */
export function readCpuTicks(): CpuTicks | null {
  try {
    const [first] = readFileSync('/proc/stat', 'utf8').split('\n', 1);
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is counted in user and nice already)
    const fields = (first ?? '').trim().split(/\s+/);
    if (fields[0] !== 'cpu' || fields.length < 9) return null;
    const ticks = fields.slice(1, 9).map(Number);
    if (ticks.some((tick) => !Number.isFinite(tick))) return null;
    return { total: ticks.reduce((sum, tick) => sum + tick, 0), steal: ticks[7]! };
  } catch {
    return null;
  }
}

/** The percentage of the machine's CPU time stolen between two readings (null when either is missing or no time passed). */
export function stealPercent(from: CpuTicks | null, to: CpuTicks | null): number | null {
  if (!from || !to || to.total <= from.total) return null;
  return Math.round((1000 * (to.steal - from.steal)) / (to.total - from.total)) / 10;
}
