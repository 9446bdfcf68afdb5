import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import winston from 'winston';
import { kafkaOptionGroup } from '../../../../src/sinks/kafka/kafka-options.js';
import { KafkaSink } from '../../../../src/sinks/kafka/kafka-sink.js';
import { waitUntil } from '../../../helpers/agent-process.js';
import { podEvent, recordOf } from './kafka-test-records.js';
import { parseOptions } from '../../../../src/yargs-options.js';

/** A "broker" that accepts connections and never answers, like a frozen process or a black-holed network. */
async function silentBroker(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets };
}

function sinkFor(port: number): KafkaSink {
  const argv = parseOptions(kafkaOptionGroup.options, ['--kafka-brokers', `127.0.0.1:${port}`, '--kafka-request-timeout-ms', '300', '--kafka-connection-timeout-ms', '300']);
  return new KafkaSink(kafkaOptionGroup.read(argv), { logger: winston.createLogger({ silent: true }), registry: new Registry() });
}

describe('Kafka sink readiness', function () {
  this.timeout(60_000);

  it('turns not ready while a send waits longer than the request timeout, before librdkafka gives up', async () => {
    const broker = await silentBroker();
    const sink = sinkFor(broker.port);
    await sink.start();
    const record = recordOf(podEvent());
    const sending = sink.send({ id: 1, records: [record], bytes: record.value.length }).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await waitUntil(() => /has waited \d+ s for the Kafka brokers/.test(sink.health().detail), 10_000, 'readiness to report the hanging send');
    assert.equal(sink.health().ready, false);
    const outcome = await sending;
    assert.match(outcome, /Kafka send failed \(unreachable\)/);
    assert.doesNotMatch(sink.health().detail, /has waited/, 'a settled send no longer counts as waiting');
    for (const socket of broker.sockets) socket.destroy();
    broker.server.close();
    await sink.close();
  });
});
