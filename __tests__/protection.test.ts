import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  committedEnvironment,
  committedStack,
  ENVIRONMENTS_DIR,
  type Resource,
  SETTINGS,
  synthEnvironment,
  synthInput,
  type TerraformJson,
} from "./helpers";

/**
 * What production must refuse to lose, by resource type: `prevent_destroy` on everything that
 * holds data or the keys to it, and the service's own deletion protection where it has one.
 */
const STATEFUL: Record<string, (resource: Resource) => void> = {
  aws_db_instance: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true }, deletion_protection: true }),
  // ElastiCache has no deletion-protection setting; prevent_destroy is the guard.
  aws_elasticache_replication_group: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true } }),
  aws_kms_key: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true }, deletion_window_in_days: 30 }),
  aws_s3_bucket: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true } }),
  aws_secretsmanager_secret: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true }, recovery_window_in_days: 30 }),
  aws_ebs_volume: (r) => expect(r).toMatchObject({ lifecycle: { prevent_destroy: true } }),
  aws_lb: (r) => expect(r).toMatchObject({ enable_deletion_protection: true }),
  // A repository with images refuses deletion unless force_delete is set.
  aws_ecr_repository: (r) => expect(r).toMatchObject({ force_delete: false }),
};

const singleHostProduction = () =>
  synthInput("edge", { ...JSON.parse(readFileSync(join(ENVIRONMENTS_DIR, "single-host.json"), "utf8")), production: true }).parsed;

const production: [string, TerraformJson][] = [
  ["prod", committedStack("prod").parsed],
  ["a production single host", singleHostProduction()],
  // Images outlive every environment; their repositories live beside them, always protected.
  ["webapp-images", committedStack("webapp-images").parsed],
];

describe("production's stateful resources", () => {
  it.each(production)("%s: every one is protected", (_name, tf) => {
    for (const [type, check] of Object.entries(STATEFUL)) for (const resource of Object.values(tf.resource[type] ?? {})) check(resource);
  });

  it("the table is exercised: every stateful type occurs in a production stack", () => {
    const present = new Set(production.flatMap(([, tf]) => Object.keys(tf.resource)));
    expect(Object.keys(STATEFUL).filter((type) => !present.has(type))).toEqual([]);
  });

  it("an ALLOW_DESTROY synth lifts every prevent_destroy, for a deliberate teardown", () => {
    const { json } = synthEnvironment(committedEnvironment("prod"), { ...SETTINGS, allowDestroy: true });
    expect(json).not.toContain("prevent_destroy");
  });
});
