import type { AnySinkDefinition } from './sink-definition.js';
import { fileSinkDefinition } from './file/file-sink-definition.js';
import { stdoutSinkDefinition } from './stdout/stdout-sink-definition.js';
import { kafkaSinkDefinition } from './kafka/kafka-sink-definition.js';
import { forwardSinkDefinition } from './forward/forward-sink-definition.js';

/** Every sink the agent can ship to; `--sink` picks one by name. */
export const sinkDefinitions: readonly AnySinkDefinition[] = [
  fileSinkDefinition,
  stdoutSinkDefinition,
  kafkaSinkDefinition,
  forwardSinkDefinition,
];

export function sinkNames(): string[] {
  return sinkDefinitions.map((definition) => definition.name);
}
