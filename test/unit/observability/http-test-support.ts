import { Writable } from 'node:stream';
import winston from 'winston';

/** A JSON winston logger that keeps its entries in memory, so tests can read what was logged. */
export function memoryLogger(): { logger: winston.Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, entries };
}
