import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import { GIVEN_AS, type ParsedArgs } from './option-group.js';

/**
 * Readers that turn a raw option value into a typed one or throw a ConfigError naming the option
 * as it was given, in one style: `KAF_SINK: "nosuch" is not one of file, stdout, kafka, forward`.
 */

/** The option as the user gave it (`--flag` or `KAF_FLAG`), for error messages. */
export function givenAs(argv: ParsedArgs, flag: string): string {
  return argv[GIVEN_AS]?.[flag] ?? `--${flag}`;
}

export function optionalString(argv: ParsedArgs, flag: string): string | undefined {
  const value = argv[flag];
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return optionalString({ ...argv, [flag]: value[value.length - 1] }, flag);
  return String(value);
}

export function requiredString(argv: ParsedArgs, flag: string): string {
  const value = optionalString(argv, flag);
  if (value === undefined) throw new ConfigError(`--${flag} is required (or set ${envName(flag)})`);
  return value;
}

export function integer(argv: ParsedArgs, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = requiredString(argv, flag);
  if (!/^\s*-?\d+\s*$/.test(raw)) throw new ConfigError(`${givenAs(argv, flag)}: "${raw}" is not an integer`);
  return inRange(argv, flag, Number(raw), min, max, '');
}

/** Sizes accept plain bytes or a KiB/MiB/GiB suffix (`512KiB`, `4MiB`), as operators write them. */
export function byteSize(argv: ParsedArgs, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = requiredString(argv, flag);
  const match = /^\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB|k|m|g)?\s*$/i.exec(raw);
  if (!match) throw new ConfigError(`${givenAs(argv, flag)}: "${raw}" is not a size (such as 1048576, 512KiB or 4MiB)`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return inRange(argv, flag, Number(match[1]) * factor, min, max, ' bytes');
}

function inRange(argv: ParsedArgs, flag: string, value: number, min: number, max: number, unit: string): number {
  if (value < min || value > max) {
    throw new ConfigError(`${givenAs(argv, flag)}: ${value}${unit} is not between ${min} and ${max}${unit}`);
  }
  return value;
}

export function oneOf<T extends string>(argv: ParsedArgs, flag: string, allowed: readonly T[]): T {
  const raw = requiredString(argv, flag);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${givenAs(argv, flag)}: "${raw}" is not one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

const TRUE_WORDS = /^(true|1|yes|on)$/i;
const FALSE_WORDS = /^(false|0|no|off)$/i;

/** true/false, 1/0, yes/no, on/off in any case; anything else is an error, never a silent false. */
export function boolean(argv: ParsedArgs, flag: string): boolean {
  const value = argv[flag];
  if (typeof value === 'boolean') return value;
  const raw = optionalString(argv, flag);
  if (raw === undefined) return false;
  if (TRUE_WORDS.test(raw.trim())) return true;
  if (FALSE_WORDS.test(raw.trim())) return false;
  throw new ConfigError(`${givenAs(argv, flag)}: "${raw}" is not a boolean (true/false, 1/0, yes/no, on/off)`);
}

/** A comma-separated list (flags may also be repeated); empty entries are dropped. */
export function stringList(argv: ParsedArgs, flag: string): string[] {
  const value = argv[flag];
  const parts = (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((entry) =>
    String(entry).split(','),
  );
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/**
 * A secret given either inline (`--x`) or as a file (`--x-file`, e.g. a mounted Secret). The
 * file wins, so a Secret volume can override a ConfigMap default; trailing newlines are trimmed
 * because `kubectl create secret --from-file` keeps them.
 */
export function secret(argv: ParsedArgs, flag: string): string | undefined {
  const file = optionalString(argv, `${flag}-file`);
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`${givenAs(argv, `${flag}-file`)}: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  return optionalString(argv, flag);
}

/**
 * The text of a PEM file named by `--flag` (CA bundle, certificate, key), read at start-up so a
 * wrong path or a file that is not PEM stops the agent before it reads any event.
 */
export function pemFile(argv: ParsedArgs, flag: string): string | undefined {
  const file = optionalString(argv, flag);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${givenAs(argv, flag)}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${givenAs(argv, flag)}: ${file} is not a PEM file (no -----BEGIN line)`);
  return text;
}

/** The environment variable that sets a flag: `--kafka-brokers` ⇄ `KAF_KAFKA_BROKERS`. */
export function envName(flag: string): string {
  return `KAF_${flag.replace(/-/g, '_').toUpperCase()}`;
}
