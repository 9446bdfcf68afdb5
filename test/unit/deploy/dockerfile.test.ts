import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { AGENT_NODE_FLAGS } from '../../../bench/agent-node-flags.js';
import { dockerignorePatterns, dockerStages, readDockerfile, type DockerStage } from './dockerfile-model.js';
import { REPO_ROOT } from './repo-root.js';

/** Every rule dockerfile-utils knows, raised to error: a warning is a failure here. */
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const BUILD_IMAGE = /^node:(24)(-[a-z]+)?(-slim)?$/;
const RUNTIME_IMAGE = /^gcr\.io\/distroless\/nodejs(24)-debian(1[3-9])(@sha256:[0-9a-f]{64})?$/;

function instructions(stage: DockerStage, keyword: string) {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

describe('Dockerfile', () => {
  const stages = dockerStages();
  const runtime = stages[stages.length - 1]!;
  const stageNamed = (name: string | undefined): DockerStage | undefined => stages.find((stage) => stage.name === name);

  it('passes the dockerfile-utils linter with every rule at error level', () => {
    const diagnostics = validate(readDockerfile(), STRICT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(diagnostics, []);
  });

  it('builds on a Node 24 image and runs on the distroless Node 24 image (the major the tests run)', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const stage of stages.slice(0, -1)) assert.match(stage.image, BUILD_IMAGE, `stage ${stage.name}`);
    const runtimeMatch = RUNTIME_IMAGE.exec(runtime.image);
    assert.ok(runtimeMatch, `runtime image ${runtime.image}`);
    for (const stage of stages.slice(0, -1)) {
      assert.equal(BUILD_IMAGE.exec(stage.image)![1], runtimeMatch[1], `${stage.name} and the runtime share a Node major`);
    }
    const provisioned = /^NODE_VERSION=(\d+)\./m.exec(readFileSync(path.join(REPO_ROOT, 'scripts/node24.sh'), 'utf8'));
    assert.equal(provisioned?.[1], runtimeMatch[1], 'make provisions the Node major the image runs');
    assert.equal(process.versions.node.split('.')[0], runtimeMatch[1], 'the tests run on the Node major the image runs');
  });

  it('copies into the runtime image only prod dependencies, compiled code, package.json and the license notices', () => {
    const copies = instructions(runtime, 'COPY');
    const sources = copies.map((copy) => `${copy.flags.from ?? 'context'}:${copy.args.slice(0, -1).join(' ')}`);
    assert.deepEqual(sources.sort(), ['build:/app/dist/src', 'context:LICENSE THIRD-PARTY-NOTICES.md', 'context:package.json', 'prod-deps:/app/node_modules']);
    const prodDeps = stageNamed('prod-deps')!;
    const installs = instructions(prodDeps, 'RUN').map((run) => run.text);
    assert.ok(installs.length > 0 && installs.every((command) => /\bnpm ci\b.*--omit=dev\b/.test(command)), installs.join('; '));
  });

  it('builds the Kafka native addon from source in the stage whose node_modules the runtime takes', () => {
    const installs = instructions(stageNamed('prod-deps')!, 'RUN').map((run) => run.text);
    assert.ok(installs.some((command) => /npm ci\b.*&& bash scripts\/kafka-addon\.sh install$/.test(command)), installs.join('; '));
  });

  it('installs from the lock file everywhere (npm ci, never npm install) and never uses ADD', () => {
    for (const stage of stages) {
      for (const run of instructions(stage, 'RUN')) assert.doesNotMatch(run.text, /\bnpm (install|i)\b/);
      assert.deepEqual(instructions(stage, 'ADD'), [], `ADD in ${stage.name ?? 'runtime'}`);
    }
  });

  it('runs the agent with exec-form ENTRYPOINT/CMD and NODE_ENV=production, without a HEALTHCHECK', () => {
    const [entrypoint] = instructions(runtime, 'ENTRYPOINT');
    const [cmd, ...extraCmds] = instructions(runtime, 'CMD');
    assert.deepEqual(extraCmds, []);
    assert.deepEqual(entrypoint?.execForm, ['/nodejs/bin/node', ...AGENT_NODE_FLAGS]);
    assert.deepEqual(cmd?.execForm, ['/app/dist/src/cli.js', 'run']);
    const env = Object.assign({}, ...instructions(runtime, 'ENV').map((instruction) => instruction.properties));
    assert.equal(env.NODE_ENV, 'production');
    for (const stage of stages) assert.deepEqual(instructions(stage, 'HEALTHCHECK'), []);
  });

  it('starts node with the V8 flags the benchmark measured, as the bin shebang and make run do', () => {
    const shebang = readFileSync(path.join(REPO_ROOT, 'src/cli.ts'), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
    const demo = readFileSync(path.join(REPO_ROOT, 'scripts/run-demo.sh'), 'utf8');
    assert.match(demo, new RegExp(`node ${AGENT_NODE_FLAGS.join(' ')} "\\$repo_root/dist/src/cli.js" run`));
  });

  it('carries the OCI labels, with version and revision settable at build time', () => {
    const labels = Object.assign({}, ...instructions(runtime, 'LABEL').map((instruction) => instruction.properties));
    for (const name of ['title', 'description', 'licenses', 'version', 'revision']) {
      assert.ok(labels[`org.opencontainers.image.${name}`], `org.opencontainers.image.${name}`);
    }
    assert.equal(labels['org.opencontainers.image.version'], '${VERSION}');
    assert.equal(labels['org.opencontainers.image.revision'], '${REVISION}');
    assert.equal(labels['org.opencontainers.image.licenses'], 'Apache-2.0');
  });

  it('.dockerignore excludes everything except what the Dockerfile copies from the context', () => {
    const patterns = dockerignorePatterns();
    assert.equal(patterns[0], '*', 'an allow-list starts by excluding everything');
    const allowed = new Set(patterns.slice(1).map((pattern) => pattern.replace(/^!/, '').replace(/\/$/, '')));
    assert.ok(patterns.slice(1).every((pattern) => pattern.startsWith('!')));
    const contextSources = stages.flatMap((stage) =>
      instructions(stage, 'COPY')
        .filter((copy) => copy.flags.from === undefined)
        .flatMap((copy) => copy.args.slice(0, -1)),
    );
    assert.deepEqual([...allowed].sort(), [...new Set(contextSources)].sort());
  });
});
