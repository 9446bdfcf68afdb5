import { createRequire } from 'node:module';
import kafkajs, { type CompressionTypes } from 'kafkajs';
import type { CompressionChoice } from './kafka-sink-config.js';

const require = createRequire(import.meta.url);
// kafkajs is CommonJS whose exports Node cannot list for ESM: take them from the default export.
const { CompressionCodecs, CompressionTypes: CompressionType } = kafkajs;

const COMPRESSION_TYPES: Record<CompressionChoice, CompressionTypes> = {
  none: CompressionType.None,
  gzip: CompressionType.GZIP,
  snappy: CompressionType.Snappy,
  zstd: CompressionType.ZSTD,
};

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

interface ZstdSimple {
  compress(data: Uint8Array, level: number): Uint8Array | null;
  decompress(data: Uint8Array): Uint8Array | null;
}

/** Level 3 is zstd's own default: most of the ratio for little CPU. */
const ZSTD_LEVEL = 3;

/**
 * Makes kafkajs able to write (and, for consumers in tests, read) the chosen codec, and returns
 * kafkajs' type for it. gzip is built in; snappy comes from kafkajs-snappy (pure-JS snappyjs);
 * zstd from zstd-codec (zstd compiled to WebAssembly), so no codec needs a native build.
 */
export async function enableCompression(choice: CompressionChoice): Promise<CompressionTypes> {
  if (choice === 'snappy') {
    CompressionCodecs[CompressionType.Snappy] = require('kafkajs-snappy') as () => Codec;
  } else if (choice === 'zstd') {
    const zstd = await loadZstd();
    const codec: Codec = {
      compress: async (encoder) => Buffer.from(orThrow(zstd.compress(encoder.buffer, ZSTD_LEVEL), 'compress')),
      decompress: async (buffer) => Buffer.from(orThrow(zstd.decompress(buffer), 'decompress')),
    };
    CompressionCodecs[CompressionType.ZSTD] = () => codec;
  }
  return COMPRESSION_TYPES[choice];
}

let zstdLoading: Promise<ZstdSimple> | undefined;

function loadZstd(): Promise<ZstdSimple> {
  zstdLoading ??= new Promise((resolve) => {
    const { ZstdCodec } = require('zstd-codec') as {
      ZstdCodec: { run(callback: (binding: { Simple: new () => ZstdSimple }) => void): void };
    };
    ZstdCodec.run((binding) => resolve(new binding.Simple()));
  });
  return zstdLoading;
}

function orThrow(result: Uint8Array | null, operation: string): Uint8Array {
  if (result === null) throw new Error(`zstd ${operation} failed`);
  return result;
}
