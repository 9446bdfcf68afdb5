import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's compiled place (`dist/test/unit/deploy/`). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
