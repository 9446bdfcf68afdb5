import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Run by `make build` after tsc: removes what tsc emitted for sources that no longer exist. tsc
 * never deletes outputs, so a test removed or renamed in test/ would otherwise go on running from
 * dist/ (mocha runs dist/test/**), and a deleted module would stay importable.
 */
const COMPILED = /\.js(\.map)?$/;

/** Removes `dist`'s compiled files whose `.ts` source under `root` is gone, and directories left empty. */
export function pruneOutputs(dist: string, root: string, directory = dist): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const compiled = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      pruneOutputs(dist, root, compiled);
      if (readdirSync(compiled).length === 0) rmSync(compiled, { recursive: true });
    } else if (COMPILED.test(entry.name) && !existsSync(path.join(root, path.relative(dist, compiled)).replace(COMPILED, '.ts'))) {
      rmSync(compiled);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  pruneOutputs(path.join(root, 'dist'), root);
}
