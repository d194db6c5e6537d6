// Time is passed in, never read inside logic (STYLE.md): tests and the demo use fixed clocks.
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
export const fixedClock = (at: Date): Clock => () => new Date(at.getTime());
