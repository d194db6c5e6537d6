// Time is passed in, never read inside logic (STYLE.md): tests and the demo use fixed clocks.
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
export const fixedClock = (at: Date): Clock => () => new Date(at.getTime());

/**
 * A fixed clock that can be moved forward: the service's clock under BELLWETHER_NOW, so a
 * demo or a benchmark replays a timeline (POST /api/v1/jobs/compute with `now` moves it).
 */
export interface SettableClock extends Clock {
  set(at: Date): void;
}

export function settableClock(at: Date): SettableClock {
  let current = at.getTime();
  const clock = (() => new Date(current)) as SettableClock;
  clock.set = (next) => {
    // Periods close and reports freeze as time passes; they never reopen.
    if (next.getTime() < current) throw new RangeError(`the clock only moves forward: ${next.toISOString()} is before ${new Date(current).toISOString()}`);
    current = next.getTime();
  };
  return clock;
}

export const isSettableClock = (clock: Clock): clock is SettableClock => typeof (clock as Partial<SettableClock>).set === 'function';
