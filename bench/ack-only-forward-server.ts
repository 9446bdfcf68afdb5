#!/usr/bin/env node
import { createServer } from 'node:net';
import { Decoder, Encoder } from '@msgpack/msgpack';

/**
 * A forward server that does nothing but ack: it reads each message's envelope, acks its chunk and
 * adds the option's `size` to its count, without decoding the entries. The OpenTelemetry Collector
 * of the main forward runs spends more CPU per event than the agent (it turns every event into an
 * OTLP record and writes it as JSON), so on the benchmark machine it sets the pace; against this
 * server the pace is the agent's own. `node ack-only-forward-server.js`: prints the port once it
 * listens, and the entry count on SIGTERM.
 */

const encoder = new Encoder();
let entries = 0;

const server = createServer((socket) => {
  socket.on('error', () => undefined);
  void (async () => {
    try {
      for await (const message of new Decoder().decodeStream(socket)) {
        const option = (message as unknown[])[2] as { size?: number; chunk?: string } | undefined;
        entries += option?.size ?? 0;
        if (option?.chunk !== undefined) socket.write(encoder.encode({ ack: option.chunk }));
      }
    } catch {
      socket.destroy();
    }
  })();
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});

process.on('SIGTERM', () => {
  process.stdout.write(`${entries}\n`);
  process.exit(0);
});
