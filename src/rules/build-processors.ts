import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { DetectionListener } from '../alerts/detection-listener.js';
import type { Processor } from '../pipeline/processor.js';
import type { ProcessorConfig } from './processor-options.js';
import { DetectionProcessor } from './detection/detection-processor.js';
import { EventFilter } from './filter/event-filter.js';
import { SecretRedactor } from './redaction/secret-redactor.js';

export interface ProcessorContext {
  logger: Logger;
  registry: Registry;
  /** Told of every detection match (alert delivery); none when alerting is off. */
  detectionListener?: DetectionListener;
}

/**
 * The processors in the order they must run: filter first (dropped events cost nothing more),
 * then redaction, then detections (which only annotate, so rules never see a secret value and
 * the detections annotation is spliced into the already-redacted bytes).
 */
export function buildProcessors(config: ProcessorConfig, { logger, registry, detectionListener }: ProcessorContext): Processor[] {
  const processors: Processor[] = [];
  if (config.filters.length > 0) processors.push(new EventFilter(config.filters, registry));
  if (config.redaction || config.redactPaths.length > 0) {
    processors.push(new SecretRedactor({ builtin: config.redaction, extraPaths: config.redactPaths }, registry));
  }
  if (config.detections && config.rules.length > 0) processors.push(new DetectionProcessor(config.rules, registry, detectionListener));
  logger.info('event processors', {
    filters: config.filters.map((rule) => `${rule.action}: ${rule.name}`),
    redaction: config.redaction ? 'built-in' : 'off',
    extraRedactions: config.redactPaths.map((path) => path.text),
    detectionRules: config.rules.length,
    customDetectionRules: config.rules.filter((rule) => !rule.builtin).map((rule) => rule.id),
  });
  return processors;
}
