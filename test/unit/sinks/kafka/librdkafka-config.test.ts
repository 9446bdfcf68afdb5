import assert from 'node:assert/strict';
import { kafkaOptionGroup } from '../../../../src/sinks/kafka/kafka-options.js';
import { connectionSettings, librdkafkaConfig } from '../../../../src/sinks/kafka/librdkafka-config.js';
import { parseOptions } from '../../../../src/yargs-options.js';

function configFor(args: string[]) {
  const config = kafkaOptionGroup.read(parseOptions(kafkaOptionGroup.options, ['--kafka-brokers', 'b1:9092,b2:9092', ...args]));
  return librdkafkaConfig(config, config.maxMessageBytes);
}

describe('librdkafka settings of the Kafka sink', () => {
  it('produces with acks=all, idempotence, the Java partitioner placement, no compression, 50 ms linger and delivery reports by default', () => {
    const settings = configFor([]);
    assert.equal(settings['bootstrap.servers'], 'b1:9092,b2:9092');
    assert.equal(settings.acks, -1);
    assert.equal(settings['enable.idempotence'], true);
    assert.equal(settings.partitioner, 'murmur2_random');
    assert.equal(settings['linger.ms'], 50);
    assert.equal(settings['compression.codec'], 'none');
    assert.equal(settings['message.max.bytes'], 1_000_000);
    assert.equal(settings['security.protocol'], 'plaintext');
    assert.equal(settings.dr_cb, true);
  });

  it('maps acks 1, the codec, TLS and SASL to librdkafka names', () => {
    const settings = configFor([
      '--kafka-acks', '1', '--no-kafka-idempotent', '--kafka-compression', 'lz4', '--kafka-tls-insecure-skip-verify',
      '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'u', '--kafka-sasl-password', 'p',
    ]);
    assert.equal(settings.acks, 1);
    assert.equal(settings['enable.idempotence'], false);
    assert.equal(settings['compression.codec'], 'lz4');
    assert.equal(settings['security.protocol'], 'sasl_ssl');
    assert.equal(settings['enable.ssl.certificate.verification'], false);
    assert.deepEqual([settings['sasl.mechanisms'], settings['sasl.username'], settings['sasl.password']], ['SCRAM-SHA-512', 'u', 'p']);
  });

  it("lets --kafka-option override the sink's own settings", () => {
    const settings = configFor(['--kafka-option', 'linger.ms=50', '--kafka-option', 'partitioner=consistent_random']);
    assert.equal(settings['linger.ms'], '50');
    assert.equal(settings.partitioner, 'consistent_random');
  });

  it('sets the transactional id with --kafka-delivery exactly-once, and no transactional id otherwise', () => {
    assert.equal(configFor([])['transactional.id'], undefined);
    const settings = configFor(['--kafka-delivery', 'exactly-once', '--kafka-transactional-id', 'kaf-node-1']);
    assert.equal(settings['transactional.id'], 'kaf-node-1');
    assert.equal(settings.acks, -1);
    assert.equal(settings['enable.idempotence'], true);
  });

  it('gives the checkpoint reader the brokers, TLS and SASL of the producer, without its producer settings', () => {
    const config = kafkaOptionGroup.read(
      parseOptions(kafkaOptionGroup.options, [
        '--kafka-brokers', 'b1:9092', '--kafka-tls-insecure-skip-verify',
        '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password', 'p',
      ]),
    );
    const settings = connectionSettings(config);
    assert.equal(settings['bootstrap.servers'], 'b1:9092');
    assert.equal(settings['security.protocol'], 'sasl_ssl');
    assert.deepEqual([settings['sasl.mechanisms'], settings['sasl.username'], settings['sasl.password']], ['PLAIN', 'u', 'p']);
    for (const producerOnly of ['acks', 'enable.idempotence', 'partitioner', 'dr_cb', 'compression.codec']) assert.equal(settings[producerOnly], undefined, producerOnly);
  });
});
