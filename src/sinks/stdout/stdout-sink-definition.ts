import type { SinkDefinition } from '../sink-definition.js';

export const stdoutSinkDefinition: SinkDefinition<Record<string, never>> = {
  name: 'stdout',
  description: 'write JSON lines to standard output',
  optionGroup: { title: 'Stdout sink (--sink stdout):', options: {}, read: () => ({}) },
  create: async () => new (await import('./stdout-sink.js')).StdoutSink(),
};
