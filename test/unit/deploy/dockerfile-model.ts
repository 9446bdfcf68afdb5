import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, JSONInstruction, ModifiableInstruction, PropertyInstruction, type Instruction } from 'dockerfile-ast';
import { REPO_ROOT } from './repo-root.js';

/** One instruction of a stage, reduced to what the deployment tests look at. */
export interface DockerInstruction {
  keyword: string;
  /** The arguments as written, continuation lines joined, e.g. `npm ci --omit=dev`. */
  text: string;
  /** The exec-form array for CMD/ENTRYPOINT/RUN written as JSON; undefined for shell form. */
  execForm: string[] | undefined;
  /** `--from=…` and other flags, by name. */
  flags: Record<string, string>;
  /** Whitespace-separated arguments, flags left out (COPY sources and destination). */
  args: string[];
  /** ENV, LABEL and ARG settings, quotes removed. */
  properties: Record<string, string>;
}

export interface DockerStage {
  /** The `AS` name, if any. */
  name: string | undefined;
  image: string;
  instructions: DockerInstruction[];
}

export const DOCKERFILE_PATH = path.join(REPO_ROOT, 'Dockerfile');
export const DOCKERIGNORE_PATH = path.join(REPO_ROOT, '.dockerignore');

export function readDockerfile(): string {
  return readFileSync(DOCKERFILE_PATH, 'utf8');
}

/** The Dockerfile's stages in build order, parsed by dockerfile-ast (the VS Code Docker parser). */
export function dockerStages(content = readDockerfile()): DockerStage[] {
  const parsed = DockerfileParser.parse(content);
  const stages: DockerStage[] = [];
  for (const instruction of parsed.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = parsed.getFROMs()[stages.length]!;
      stages.push({ name: from.getBuildStage() ?? undefined, image: from.getImage() ?? '', instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage) stage.instructions.push(describe(instruction));
  }
  return stages;
}

function describe(instruction: Instruction): DockerInstruction {
  const flags: Record<string, string> = {};
  if (instruction instanceof ModifiableInstruction) {
    for (const flag of instruction.getFlags()) flags[flag.getName()] = flag.getValue() ?? '';
  }
  const properties: Record<string, string> = {};
  if (instruction instanceof PropertyInstruction) {
    for (const property of instruction.getProperties()) properties[property.getName()] = unquote(property.getUnescapedValue() ?? '');
  }
  const execForm =
    instruction instanceof JSONInstruction && instruction.getJSONStrings().length > 0
      ? instruction.getJSONStrings().map((jsonString) => jsonString.getJSONValue())
      : undefined;
  return {
    keyword: instruction.getKeyword(),
    text: instruction.getArgumentsContent() ?? '',
    execForm,
    flags,
    args: instruction.getArguments().map((argument) => argument.getValue()),
    properties,
  };
}

function unquote(value: string): string {
  return /^"[^]*"$/.test(value) ? value.slice(1, -1) : value;
}

/** The `.dockerignore` patterns, comments and blank lines dropped. */
export function dockerignorePatterns(): string[] {
  return readFileSync(DOCKERIGNORE_PATH, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}
