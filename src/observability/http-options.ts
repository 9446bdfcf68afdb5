import { isIP } from 'node:net';
import { ConfigError } from '../config-error.js';
import { givenAs, integer, requiredString } from '../config-values.js';
import type { OptionGroup, ParsedArgs } from '../option-group.js';

export interface HttpServerConfig {
  /** 0 lets the OS pick a free port (tests running several agents); the chosen one is logged. */
  port: number;
  host: string;
}

export const DEFAULT_HTTP_PORT = 2020;

export const httpOptions: OptionGroup<HttpServerConfig> = {
  title: 'Health and metrics endpoints:',
  options: {
    'http-port': {
      kind: 'integer',
      default: DEFAULT_HTTP_PORT,
      describe: 'Port serving /metrics, /healthz and /readyz (0: any free port, logged at start)',
    },
    'http-host': {
      kind: 'string',
      default: '0.0.0.0',
      describe: 'Address the endpoints listen on (127.0.0.1 keeps them off the network)',
    },
  },
  read(argv) {
    return {
      port: integer(argv, 'http-port', 0, 65_535),
      host: ipAddress(argv, 'http-host'),
    };
  },
};

/** Listening needs an address of this node; a name would be resolved, and fail, only after start-up. */
function ipAddress(argv: ParsedArgs, flag: string): string {
  const raw = requiredString(argv, flag);
  if (isIP(raw) === 0) throw new ConfigError(`${givenAs(argv, flag)}: "${raw}" is not an IP address (such as 0.0.0.0, 127.0.0.1 or ::)`);
  return raw;
}
