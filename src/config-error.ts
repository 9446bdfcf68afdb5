/**
 * A configuration problem found at start-up. The CLI prints its message alone (no stack) and
 * exits with code 2, so the message must name the option and say what is wrong with it.
 * `pointsToHelp` is false for a problem --help cannot solve (a file argument that is missing).
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly pointsToHelp = true,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
