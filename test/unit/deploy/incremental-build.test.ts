import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pruneOutputs } from '../../../scripts/prune-dist.js';
import { REPO_ROOT } from './repo-root.js';

const tsconfig = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { incremental?: boolean; outDir: string; tsBuildInfoFile?: string };
};
const makefile = readFileSync(path.join(REPO_ROOT, 'Makefile'), 'utf8');
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

  it('compiles the WebAssembly JSON scan module and copies the built-in rules next to the compiled code on every build', () => {
    assert.match(
      buildScript,
      /^tsc -p tsconfig\.json && asc src\/pipeline\/json-object-scan\.as\.ts [^&]*--outFile dist\/src\/pipeline\/json-object-scan\.wasm && cp src\/rules\/detection\/builtin-rules\.yaml dist\/src\/rules\/detection\/$/,
    );
  });

  it('removes what tsc emitted for a deleted source, so a deleted test does not go on running from dist/', () => {
    const build = /^build:.*\n((?:\t.*\n)+)/m.exec(makefile)![1]!;
    assert.match(build, /\tnpm run --silent build\n\t\$\(NODE\) dist\/scripts\/prune-dist\.js\n/);
    const root = mkdtempSync(path.join(tmpdir(), 'kaf-prune-'));
    const dist = path.join(root, 'dist');
    for (const file of ['src/kept.ts', 'dist/src/kept.js', 'dist/src/kept.js.map', 'dist/src/gone.js', 'dist/src/gone.js.map', 'dist/test/old/gone.test.js']) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), '');
    }
    writeFileSync(path.join(dist, 'src', 'rules.yaml'), 'copied by the build, not compiled');
    pruneOutputs(dist, root);
    assert.deepEqual(readdirSync(dist, { recursive: true }).map(String).sort(), ['src', 'src/kept.js', 'src/kept.js.map', 'src/rules.yaml']);
  });
});
