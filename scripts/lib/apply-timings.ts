/**
 * Where an apply or destroy spends its time: terraform prints "<address>: Creation complete after
 * 1m20s" (or Modifications, Destruction) for every resource; this sums those per resource type.
 */

export interface TypeTiming {
  readonly type: string;
  /** Seconds summed over every resource of the type, creations, modifications and destructions. */
  readonly seconds: number;
  readonly count: number;
  readonly maxSeconds: number;
}

const COMPLETE = /^(?:module\.\S+\.)?(aws_[a-z0-9_]+)\.\S+: (?:Creation|Modifications|Destruction) complete after (?:(\d+)m)?(\d+)s/;

/** Per resource type, the time terraform reported for it in `output` (one or more commands' output). */
export function timingsByType(output: string): Map<string, { seconds: number; count: number; maxSeconds: number }> {
  const byType = new Map<string, { seconds: number; count: number; maxSeconds: number }>();
  for (const line of output.split("\n")) {
    const match = COMPLETE.exec(line);
    if (!match) continue;
    const seconds = Number(match[2] ?? 0) * 60 + Number(match[3]);
    const entry = byType.get(match[1]) ?? { seconds: 0, count: 0, maxSeconds: 0 };
    entry.seconds += seconds;
    entry.count += 1;
    entry.maxSeconds = Math.max(entry.maxSeconds, seconds);
    byType.set(match[1], entry);
  }
  return byType;
}

/** The `limit` resource types that took longest over all of `outputs`. */
export function slowestTypes(outputs: readonly string[], limit = 10): TypeTiming[] {
  const total = new Map<string, { seconds: number; count: number; maxSeconds: number }>();
  for (const output of outputs) {
    for (const [type, t] of timingsByType(output)) {
      const entry = total.get(type) ?? { seconds: 0, count: 0, maxSeconds: 0 };
      total.set(type, {
        seconds: entry.seconds + t.seconds,
        count: entry.count + t.count,
        maxSeconds: Math.max(entry.maxSeconds, t.maxSeconds),
      });
    }
  }
  return [...total.entries()]
    .map(([type, t]) => ({ type, ...t }))
    .sort((a, b) => b.seconds - a.seconds || a.type.localeCompare(b.type))
    .slice(0, limit);
}
