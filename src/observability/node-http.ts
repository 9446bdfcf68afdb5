/**
 * Node's `http` module, taken as CommonJS would. An ESM `import … from 'node:http'` copies every
 * export into the module namespace, which makes Node 24 evaluate the lazily defined ones (the
 * WebSocket and EventSource classes, from its bundled undici, and http2 with them) at start-up:
 * a noticeable part of every start's CPU, for classes the agent never uses.
 */
export const http = process.getBuiltinModule('node:http');
