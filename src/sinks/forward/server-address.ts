import { ConfigError } from '../../config-error.js';

export const DEFAULT_FORWARD_PORT = 24224;

export interface ServerAddress {
  host: string;
  port: number;
  /** `host:port` as the operator wrote it, for logs, metrics and errors. */
  label: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/;

/** Parses one `host[:port]` entry of --forward-servers (IPv6 in brackets); the port defaults to 24224. */
export function parseServerAddress(text: string, flag: string): ServerAddress {
  const match = HOST_PORT.exec(text);
  const port = match?.[2] === undefined ? DEFAULT_FORWARD_PORT : Number(match[2]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(`--${flag} must be host:port entries (port 1-65535), got "${text}"`);
  }
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return { host, port, label: `${match[1]}:${port}` };
}
