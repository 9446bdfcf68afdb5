// Runs @fluent-org/logger's FluentServer, an independent implementation of the Forward protocol's
// HELO/PING/PONG handshake (shared key, user authentication) and of TLS, for the forward sink's
// authentication tests. Started by scripts/forward-auth-server.sh, which installs the package into a
// cache directory and passes the settings as JSON in FORWARD_AUTH_SERVER_CONFIG:
//   { packageDir, port, sharedKey, serverHostname, users: {name: password}, tls: {key, cert, ca, requestCert}, output }
// Every entry received is appended to `output` as one JSON line: { tag, seconds, nanoseconds, record }.
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const config = JSON.parse(process.env.FORWARD_AUTH_SERVER_CONFIG ?? '{}');
const require = createRequire(path.join(config.packageDir, 'node_modules', 'index.js'));
const { FluentServer, EventTime } = require('@fluent-org/logger');

const users = config.users ?? {};
const server = new FluentServer({
  listenOptions: { host: '127.0.0.1', port: config.port },
  security: {
    serverHostname: config.serverHostname,
    sharedKey: config.sharedKey,
    authorize: Object.keys(users).length > 0,
    userDict: users,
  },
  tlsOptions: config.tls
    ? {
        key: readFileSync(config.tls.key),
        cert: readFileSync(config.tls.cert),
        ca: readFileSync(config.tls.ca),
        requestCert: config.tls.requestCert,
        rejectUnauthorized: config.tls.requestCert,
      }
    : undefined,
});

server.on('entry', (tag, time, record) => {
  const [seconds, nanoseconds] = time instanceof EventTime ? [time.epoch, time.nano] : [time, 0];
  appendFileSync(config.output, `${JSON.stringify({ tag, seconds, nanoseconds, record })}\n`);
});

await server.listen();
console.log(`listening on 127.0.0.1:${server.port}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
