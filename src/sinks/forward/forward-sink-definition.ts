import type { SinkDefinition } from '../sink-definition.js';
import { forwardOptionGroup } from './forward-options.js';
import type { ForwardSinkConfig } from './forward-sink-config.js';

export const forwardSinkDefinition: SinkDefinition<ForwardSinkConfig> = {
  name: 'forward',
  description: 'Fluentd forward protocol v1 (Fluentd, Fluent Bit, OTel Collector): PackedForward with acks, shared-key auth, TLS, failover',
  optionGroup: forwardOptionGroup,
  create: async (config, context) => new (await import('./forward-sink.js')).ForwardSink(config, context),
};
