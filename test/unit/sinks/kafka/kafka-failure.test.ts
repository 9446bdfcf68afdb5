import assert from 'node:assert/strict';
import RdKafka from '@confluentinc/kafka-javascript';
import { LIBRDKAFKA_ERRORS, classifyKafkaFailure, rootMessage } from '../../../../src/sinks/kafka/kafka-failure.js';

const { CODES } = RdKafka;

/** An error as librdkafka hands it to JavaScript: a code and librdkafka's text. */
function librdkafkaError(code: number, message: string, isFatal = false): Error {
  return Object.assign(new Error(message), { code, isFatal });
}

describe('classifying librdkafka failures', () => {
  it("uses librdkafka's own error codes", () => {
    const codes = CODES.ERRORS as Record<string, number>;
    for (const [name, code] of Object.entries(LIBRDKAFKA_ERRORS)) {
      // Local errors (negative) are ERR__NAME, the broker's ERR_NAME.
      const librdkafkaName = code < 0 ? `ERR__${name}` : `ERR_${name}`;
      assert.equal(codes[librdkafkaName], code, librdkafkaName);
    }
  });

  it('sees brokers that are down, a timed-out message and a transport failure as unreachable', () => {
    assert.equal(classifyKafkaFailure(librdkafkaError(-187, 'Local: All broker connections are down')), 'unreachable');
    assert.equal(classifyKafkaFailure(librdkafkaError(-192, 'Local: Message timed out')), 'unreachable');
    assert.equal(classifyKafkaFailure(librdkafkaError(-195, '127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused')), 'unreachable');
  });

  it('tells a SASL failure, an ACL refusal and a certificate problem apart from an outage', () => {
    assert.equal(classifyKafkaFailure(librdkafkaError(-169, 'SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256')), 'authentication');
    assert.equal(classifyKafkaFailure(librdkafkaError(29, 'Broker: Topic authorization failed')), 'authorization');
    assert.equal(classifyKafkaFailure(librdkafkaError(-181, 'SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified')), 'tls');
  });

  it("reads the generic texts of librdkafka's error events, which come with code -1", () => {
    assert.equal(classifyKafkaFailure(librdkafkaError(-1, 'authentication failure')), 'authentication');
    assert.equal(classifyKafkaFailure(librdkafkaError(-1, 'ssl error')), 'tls');
    assert.equal(classifyKafkaFailure(librdkafkaError(-1, 'all broker connections are down')), 'other');
  });

  it('recognises a batch the broker finds too large, a fatal idempotence state and a missing topic', () => {
    assert.equal(classifyKafkaFailure(librdkafkaError(10, 'Broker: Message size too large')), 'message-too-large');
    assert.equal(classifyKafkaFailure(librdkafkaError(-150, 'Local: Fatal error', true)), 'producer-state');
    assert.equal(classifyKafkaFailure(librdkafkaError(45, 'Broker: Out of order sequence number')), 'producer-state');
    assert.equal(classifyKafkaFailure(librdkafkaError(3, 'Broker: Unknown topic or partition')), 'unknown-topic');
  });

  it('tells a fencing (another producer took the transactional id) apart from other fatal states, by code or by the fatal text', () => {
    assert.equal(classifyKafkaFailure(librdkafkaError(-144, 'Local: This instance has been fenced by a newer instance')), 'fenced');
    assert.equal(classifyKafkaFailure(librdkafkaError(90, 'Broker: There is a newer producer with the same transactionalId which fences the current one')), 'fenced');
    assert.equal(
      classifyKafkaFailure(librdkafkaError(-150, 'Fatal error: Local: This instance has been fenced by a newer instance: Failed to add partitions to transaction', true)),
      'fenced',
    );
    assert.equal(classifyKafkaFailure(librdkafkaError(-150, 'Local: Fatal error', true)), 'producer-state');
  });

  it('looks through a wrapping error to its cause', () => {
    const wrapped = new Error('Kafka send failed', { cause: librdkafkaError(-169, 'SASL authentication error') });
    assert.equal(classifyKafkaFailure(wrapped), 'authentication');
    assert.equal(rootMessage(wrapped), 'Kafka send failed: SASL authentication error');
  });

  it('calls anything else other, including non-errors', () => {
    assert.equal(classifyKafkaFailure(new Error('boom')), 'other');
    assert.equal(classifyKafkaFailure('a string'), 'other');
    assert.equal(rootMessage('a string'), 'a string');
  });
});
