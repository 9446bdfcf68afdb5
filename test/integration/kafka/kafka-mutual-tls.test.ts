import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import { kafkaOptionGroup } from '../../../src/sinks/kafka/kafka-options.js';
import { kafkaSinkDefinition } from '../../../src/sinks/kafka/kafka-sink-definition.js';
import { PermanentSinkError } from '../../../src/sinks/sink.js';
import { AuditEventFactory } from '../../helpers/audit-event-factory.js';
import { KafkaBroker } from './kafka-broker.js';
import { parseOptions } from '../../../src/yargs-options.js';

describe('Kafka sink with a client certificate (broker with ssl.client.auth=required)', function () {
  this.timeout(180_000);
  const broker = new KafkaBroker({ version: '4.4.0', name: 'kafka-it-mtls', port: 22092, ssl: true, sslClientAuth: 'required' });

  before(async () => {
    await broker.start({ fresh: true });
  });

  after(async () => {
    await broker.stop();
  });

  function sink(extra: string[]) {
    const { sslBootstrap, tlsCaFile } = broker.addresses!;
    const flags = ['--kafka-brokers', sslBootstrap!, '--kafka-topic', 'mtls', '--kafka-tls-ca-file', tlsCaFile!, ...extra];
    const argv = parseOptions(kafkaOptionGroup.options, flags);
    return kafkaSinkDefinition.create(kafkaOptionGroup.read(argv), { logger: winston.createLogger({ silent: true }), registry: new Registry() });
  }

  function batch() {
    const lines = new AuditEventFactory({ seed: 61, requestResponseFraction: 0 }).lines(5);
    const records = lines.map((line, offset) => ({ value: Buffer.from(line), event: JSON.parse(line), origin: { path: 'audit.log', offset } }));
    return { id: 1, records, bytes: records.reduce((sum, record) => sum + record.value.length, 0) };
  }

  it('connects with --kafka-tls-cert-file and --kafka-tls-key-file', async () => {
    const { tlsClientCertFile, tlsClientKeyFile } = broker.addresses!;
    const withCertificate = await sink(['--kafka-tls-cert-file', tlsClientCertFile!, '--kafka-tls-key-file', tlsClientKeyFile!]);
    await withCertificate.start();
    await withCertificate.send(batch());
    assert.equal(withCertificate.health().ready, true);
    await withCertificate.close();
  });

  it('fails with an error that points at the client certificate options when none is given', async () => {
    const withoutCertificate = await sink([]);
    await withoutCertificate.start();
    await assert.rejects(withoutCertificate.send(batch()), (error: unknown) => {
      assert.ok(error instanceof PermanentSinkError, `not permanent: ${String(error)}`);
      assert.match(error.message, /TLS with Kafka failed: .*alert.*--kafka-tls-cert-file/);
      return true;
    });
    assert.equal(withoutCertificate.health().ready, false);
    await withoutCertificate.close();
  });
});
