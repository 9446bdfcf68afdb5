import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { classifyKafkaFailure, rootMessage } from '../../../../src/sinks/kafka/kafka-failure.js';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} = kafkajs;

// Some kafkajs error typings declare no constructor arguments; at run time they take the message.
function protocolError(type: string): Error {
  return new KafkaJSProtocolError({ message: `broker says ${type}`, type, code: 0, retriable: false } as never);
}

describe('classifying kafkajs failures', () => {
  it('sees a refused connection behind the retry wrapper as an unreachable broker', () => {
    const error = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'), { retryCount: 5 } as never);
    assert.equal(classifyKafkaFailure(error), 'unreachable');
    assert.match(rootMessage(error), /ECONNREFUSED 127\.0\.0\.1:9092/);
  });

  it("sees kafkajs' plain 'Broker not connected' error as an unreachable broker", () => {
    assert.equal(classifyKafkaFailure(new Error('Broker not connected')), 'unreachable');
  });

  it('sees a request timeout as an unreachable broker', () => {
    const TimeoutError = KafkaJSRequestTimeoutError as unknown as new (message: string) => Error;
    assert.equal(classifyKafkaFailure(new TimeoutError('Request Produce(key: 0, version: 7) timed out')), 'unreachable');
  });

  it('tells a SASL failure, an ACL refusal and a certificate problem apart from an outage', () => {
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    assert.equal(classifyKafkaFailure(new SaslError('SASL SCRAM SHA256 authentication failed')), 'authentication');
    assert.equal(classifyKafkaFailure(protocolError('TOPIC_AUTHORIZATION_FAILED')), 'authorization');
    const tls = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain'), { retryCount: 5 } as never);
    assert.equal(classifyKafkaFailure(tls), 'tls');
  });

  it('recognises a request the broker finds too large, a broken idempotence sequence and a missing topic', () => {
    assert.equal(classifyKafkaFailure(protocolError('MESSAGE_TOO_LARGE')), 'message-too-large');
    assert.equal(classifyKafkaFailure(protocolError('RECORD_LIST_TOO_LARGE')), 'message-too-large');
    assert.equal(classifyKafkaFailure(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER')), 'producer-state');
    assert.equal(classifyKafkaFailure(protocolError('UNKNOWN_TOPIC_OR_PARTITION')), 'unknown-topic');
  });

  it('calls anything else other, including non-errors', () => {
    assert.equal(classifyKafkaFailure(new Error('boom')), 'other');
    assert.equal(classifyKafkaFailure('a string'), 'other');
    assert.equal(rootMessage('a string'), 'a string');
  });
});
