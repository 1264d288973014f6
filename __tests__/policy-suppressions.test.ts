import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_STACKS, committedStackFile, resourcesOf } from "./helpers";

type Suppressed = { "//"?: { checkov?: { skip?: { id: string; reason: string }[] } } };

// Testing.synth drops the "//" metadata these live in; the app's own synth keeps it.
const stack = committedStackFile;

describe("policy suppressions", () => {
  it("are each listed in the security table of docs/security.md", () => {
    const page = readFileSync(join(__dirname, "..", "docs", "security.md"), "utf8");
    const start = page.indexOf("\n| check ");
    const end = page.indexOf("Also checked on every run");
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const table = page.slice(start, end);
    const ids = new Set(
      ALL_STACKS.flatMap((name) =>
        Object.values(stack(name).resource)
          .flatMap((byName) => Object.values(byName) as Suppressed[])
          .flatMap((r) => (r["//"]?.checkov?.skip ?? []).map((s) => s.id)),
      ),
    );
    expect(ids.size).toBeGreaterThan(15);
    expect([...ids].filter((id) => !new RegExp(`\\b${id}\\b`).test(table))).toEqual([]);
  });

  const parsed = stack("dev");
  const all = Object.values(parsed.resource).flatMap((byName) => Object.values(byName) as Suppressed[]);
  const entries = all.flatMap((r) => r["//"]?.checkov?.skip ?? []);

  it("are recorded on the resources they concern, each with a check id and a reason", () => {
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      expect(entry.id).toMatch(/^CKV2?_AWS_\d+$/);
      expect(entry.reason.length).toBeGreaterThan(20);
    }
    const [bucket] = resourcesOf(parsed, "aws_s3_bucket") as Suppressed[];
    expect(bucket["//"]?.checkov?.skip?.map((s) => s.id)).toEqual(["CKV_AWS_18", "CKV2_AWS_62", "CKV_AWS_144", "CKV_AWS_145"]);
  });

  it("follow the definition: a production database carries no deletion-protection suppression", () => {
    const prod = stack("prod");
    const [primary] = resourcesOf(prod, "aws_db_instance").filter((db) => !db.replicate_source_db) as Suppressed[];
    expect(primary["//"]?.checkov?.skip ?? []).toEqual([]);
    const [devPrimary] = resourcesOf(parsed, "aws_db_instance") as Suppressed[];
    expect(devPrimary["//"]?.checkov?.skip?.map((s) => s.id)).toEqual(["CKV_AWS_157", "CKV_AWS_293"]);
  });
});
