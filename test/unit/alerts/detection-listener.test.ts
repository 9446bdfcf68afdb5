import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import winston from 'winston';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AlertingRule } from '../../../src/alerts/detection-listener.js';
import { buildProcessors } from '../../../src/rules/build-processors.js';
import { processorOptions } from '../../../src/rules/processor-options.js';
import { recordOf, sampleEvent } from '../../helpers/forward/audit-records.js';

describe('detection listener (the hook alerts hang on)', () => {
  it('is told of each rule an event matches, with the rule and the event, and of nothing else', () => {
    const told: Array<{ rule: AlertingRule; event: AuditEvent }> = [];
    const config = processorOptions.read({ redaction: true, detections: true });
    const processors = buildProcessors(config, {
      logger: winston.createLogger({ silent: true }),
      registry: new Registry(),
      detectionListener: { onMatch: (rule, event) => told.push({ rule, event }) },
    });
    const exec = sampleEvent(1, { verb: 'create', objectRef: { resource: 'pods', namespace: 'shop', name: 'web', subresource: 'exec' }, responseStatus: { code: 101 } });
    const plain = sampleEvent(2);
    for (const event of [exec, plain]) {
      const record = recordOf(event);
      for (const processor of processors) processor.process(record);
    }
    assert.deepEqual(told.map(({ rule, event }) => [rule.id, event.auditID]), [['pod-exec-attach', exec.auditID]]);
    assert.equal(told[0]!.rule.severity, 'high');
    assert.ok(told[0]!.rule.description.length > 0);
    assert.ok(told[0]!.rule.remediation, 'the built-in rule carries its remediation hint to alerts');
    assert.ok(told[0]!.rule.mitre?.includes('T1609'), 'and its MITRE ids');
  });
});
