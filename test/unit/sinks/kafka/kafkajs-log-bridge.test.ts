import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import winston from 'winston';
import Transport from 'winston-transport';
import { kafkajsLevelFor, kafkajsLogCreator } from '../../../../src/sinks/kafka/kafkajs-log-bridge.js';

const { logLevel } = kafkajs;

class MemoryTransport extends Transport {
  readonly entries: Record<string, unknown>[] = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.entries.push(info);
    next();
  }
}

describe('kafkajs log lines in the agent log', () => {
  function bridge(level: string) {
    const transport = new MemoryTransport();
    const logger = winston.createLogger({ level, transports: [transport] });
    return { transport, logger, log: kafkajsLogCreator(logger)(kafkajsLevelFor(logger)) };
  }

  it('go to the winston logger with their details, kafkajs errors lowered to warn', () => {
    const { transport, log } = bridge('info');
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 'x', message: 'Response Produce(key: 0, version: 7)', broker: '127.0.0.1:9092', logger: 'kafkajs' },
    });
    assert.equal(transport.entries.length, 1);
    const [entry] = transport.entries;
    assert.equal(entry!.level, 'warn');
    assert.equal(entry!.message, 'kafkajs: Response Produce(key: 0, version: 7)');
    assert.equal(entry!.broker, '127.0.0.1:9092');
    assert.equal(entry!.namespace, 'Connection');
    assert.equal(entry!.timestamp, undefined, 'kafkajs timestamp kept apart from the agent one');
  });

  it("keep kafkajs' warning about the bounded retries the sink chose on purpose at debug", () => {
    const { transport, log } = bridge('info');
    log({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 'x', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' },
    });
    assert.equal(transport.entries.length, 0);
  });

  it('ask kafkajs for no more detail than the agent log level prints', () => {
    assert.equal(kafkajsLevelFor(winston.createLogger({ level: 'warn' })), logLevel.WARN);
    assert.equal(kafkajsLevelFor(winston.createLogger({ level: 'info' })), logLevel.INFO);
    assert.equal(kafkajsLevelFor(winston.createLogger({ level: 'debug' })), logLevel.DEBUG);
  });
});
