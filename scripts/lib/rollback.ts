/**
 * Release history and rollback targets, from the versions of an environment's release parameters
 * (`/<prefix>/release/<repository>`): SSM keeps every value the pipeline recorded, with its time.
 */

export interface ParameterVersion {
  readonly version: number;
  readonly value: string;
  readonly modified: Date;
}

export interface Release {
  /** The parameter version that recorded it. */
  readonly version: number;
  /** The commit id (or, for the first, the definition's tag) the images carry. */
  readonly tag: string;
  readonly at: Date;
}

/** A pipeline's tag: a commit id; anything else is a definition's own tag (the parameter's first value). */
export const COMMIT_ID = /^[0-9a-f]{7,40}$/;

/** Releases, newest first: each version whose value differs from the one before it (a rerun of a commit records no new release). */
export function releaseHistory(versions: readonly ParameterVersion[]): Release[] {
  const ordered = [...versions].sort((a, b) => a.version - b.version);
  const releases: Release[] = [];
  for (const v of ordered) if (releases.at(-1)?.tag !== v.value) releases.push({ version: v.version, tag: v.value, at: v.modified });
  return releases.reverse();
}

/**
 * The release to go back to: the newest one before the current (`to` unset), or the one `to`
 * names (a tag, or a commit id's prefix of 7 or more characters). Explains why there is none.
 */
export function rollbackTarget(history: readonly Release[], to?: string): { target: Release } | { error: string } {
  const [current] = history;
  if (!current) return { error: "no release is recorded yet" };
  if (to === undefined) {
    const previous = history.find((r) => r.tag !== current.tag);
    return previous ? { target: previous } : { error: `only one release is recorded (${current.tag}); there is nothing to go back to` };
  }
  const matches = [...new Set(history.filter((r) => r.tag === to || (to.length >= 7 && r.tag.startsWith(to))).map((r) => r.tag))];
  if (matches.length === 0) return { error: `no recorded release is ${to}; npm run rollback -- <environment> --list shows them` };
  if (matches.length > 1) return { error: `${to} matches ${matches.length} releases (${matches.join(", ")}); give more of the commit id` };
  if (matches[0] === current.tag) return { error: `${current.tag} is the current release already` };
  return { target: history.find((r) => r.tag === matches[0])! };
}
