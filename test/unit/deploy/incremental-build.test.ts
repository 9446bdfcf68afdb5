import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './repo-root.js';

const tsconfig = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { incremental?: boolean; outDir: string; tsBuildInfoFile?: string };
};
const buildScript = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;

describe('make build', () => {
  it('compiles incrementally, so make run and make test do not recompile what did not change', () => {
    assert.equal(tsconfig.compilerOptions.incremental, true);
  });

  it('keeps its build state inside dist/: a deleted dist/ (make clean) is rebuilt in full, not trusted as up to date', () => {
    const outDir = path.resolve(REPO_ROOT, tsconfig.compilerOptions.outDir);
    const buildInfo = path.resolve(REPO_ROOT, tsconfig.compilerOptions.tsBuildInfoFile ?? '');
    assert.ok(buildInfo.startsWith(`${outDir}${path.sep}`), `${buildInfo} is under ${outDir}`);
  });

  it('still copies the built-in rules next to the compiled code on every build', () => {
    assert.match(buildScript, /^tsc -p tsconfig\.json && cp src\/rules\/detection\/builtin-rules\.yaml dist\/src\/rules\/detection\/$/);
  });
});
