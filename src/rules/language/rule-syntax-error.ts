/**
 * A malformed path, condition or rule. Loaders turn it into a ConfigError that names the flag or
 * file and the rule, so the agent refuses to start instead of running with a rule that never fires.
 */
export class RuleSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}
