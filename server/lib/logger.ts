// A console logger for CLI commands (the server logs through fastify's pino).
import type { Logger } from '../../connectors/contract.js';

const line = (level: string, obj: object, msg?: string) => {
  const fields = Object.entries(obj)
    .filter(([key]) => key !== 'err')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const err = (obj as { err?: Error }).err;
  return `${level} ${msg ?? ''}${fields ? ` (${fields})` : ''}${err ? `: ${err.message}` : ''}`;
};

export const consoleLogger: Logger = {
  info: (obj, msg) => console.error(line('info ', obj, msg)),
  warn: (obj, msg) => console.error(line('warn ', obj, msg)),
  error: (obj, msg) => console.error(line('error', obj, msg)),
};
