/** A definition the app refuses to build; its message names the environment and the field. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function problem(environment: string, field: string, message: string): string {
  return `environment "${environment}": ${field || "(top level)"}: ${message}`;
}
