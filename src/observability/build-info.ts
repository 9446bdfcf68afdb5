import { readFileSync } from 'node:fs';

/** What the running agent was built from, for the `build_info` gauge. */
export interface BuildInfo {
  version: string;
  /** The source revision the image was built from (the Dockerfile's REVISION), or `unknown`. */
  revision: string;
  nodeVersion: string;
}

/**
 * Read from the package.json beside dist/ (in a checkout and in the image alike) and from the
 * `revision` file the image's build stage writes into dist/src; a checkout has no such file.
 */
export function buildInfo(): BuildInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  let revision = 'unknown';
  try {
    revision = readFileSync(new URL('../revision', import.meta.url), 'utf8').trim() || 'unknown';
  } catch {
    // Not an image build: the revision is not known.
  }
  return { version: pkg.version, revision, nodeVersion: process.version };
}
