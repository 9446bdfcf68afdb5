import path from 'node:path';
import { boolean, requiredString } from '../../config-values.js';
import type { SinkDefinition } from '../sink-definition.js';
import type { FileSinkConfig } from './file-sink.js';

export const fileSinkDefinition: SinkDefinition<FileSinkConfig> = {
  name: 'file',
  description: 'append JSON lines to --file-path (the default, for local runs)',
  optionGroup: {
    title: 'File sink (--sink file):',
    options: {
      'file-path': { kind: 'string', default: './kube-audit-forwarder-out.jsonl', describe: 'Output file (JSON lines, appended)' },
      'file-fsync': {
        kind: 'boolean',
        default: true,
        describe: 'fsync after every batch, so acknowledged means on disk (--no-file-fsync to trade that for speed)',
      },
    },
    read: (argv) => ({ path: path.resolve(requiredString(argv, 'file-path')), fsync: boolean(argv, 'file-fsync') }),
  },
  create: async (config, context) => new (await import('./file-sink.js')).FileSink(config, context.logger),
};
