import { alertOptions } from './alerts/alert-options.js';
import { coreOptions, sinkSelectionOption } from './config.js';
import { httpOptions } from './observability/http-options.js';
import type { OptionGroup } from './option-group.js';
import { processorOptions } from './rules/processor-options.js';
import { sinkDefinitions } from './sinks/registry.js';

/**
 * Every option group of the `run` command, in the order `--help` and docs/settings.md list them. One
 * list, so the CLI and the settings reference cannot drift apart.
 */
export function runOptionGroups(): Array<OptionGroup<unknown>> {
  const sinkSelection: OptionGroup<unknown> = { title: 'Sink:', options: sinkSelectionOption, read: () => undefined };
  return [coreOptions, sinkSelection, ...sinkDefinitions.map((definition) => definition.optionGroup), processorOptions, alertOptions, httpOptions];
}
