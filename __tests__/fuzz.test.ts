import fc from "fast-check";
import { Testing } from "cdktf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/config/errors";
import { loadEnvironments } from "../src/config/load";
import { EnvironmentStack } from "../src/stacks/environment-stack";
import { api, SECRET_ARN, SETTINGS, validInput, withServices, worker } from "./helpers";
import { scratchDir } from "./scratch";

/** Names a JavaScript object already answers to: a lookup by any of them must not pass as "known". */
const PROTOTYPE_NAMES = ["constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "prototype", "__defineGetter__"];

/**
 * Reads `definition` from a file, as the app does, and builds its stack. Returns what happened:
 * the stack's JSON, or the ConfigError; anything else thrown fails the property.
 */
function build(definition: unknown): { json: string } | { error: ConfigError } {
  const dir = scratchDir("fuzz-");
  writeFileSync(join(dir, "dev.json"), JSON.stringify(definition));
  try {
    const [env] = loadEnvironments(dir);
    return { json: Testing.synth(new EnvironmentStack(Testing.app(), env, SETTINGS)) };
  } catch (error) {
    if (error instanceof ConfigError) return { error };
    throw error;
  }
}

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,22}$/);
const service = fc.record(
  {
    name: fc.oneof(name, fc.constantFrom(...PROTOTYPE_NAMES, "alb", "db", "proxy")),
    role: fc.constantFrom("web", "worker", "scheduler", "batch"),
    image: fc.record({
      tag: fc.constantFrom("1.0.0", "latest", "bad tag", "x".repeat(130)),
      repository: fc.option(name, { nil: undefined }),
    }),
    cpu: fc.constantFrom(256, 512, 1024, 300),
    memory: fc.constantFrom(512, 1024, 2048, 3000),
    port: fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
    routing: fc.option(
      fc.record({
        paths: fc.array(fc.constantFrom("/", "/a*", "/api/*", "/x?y", "no-slash"), { maxLength: 7 }),
        priority: fc.integer({ min: 0, max: 60000 }),
      }),
      { nil: undefined },
    ),
    environment: fc.dictionary(fc.constantFrom("LOG_LEVEL", "MODE", "API_TOKEN", ...PROTOTYPE_NAMES), fc.string({ maxLength: 20 })),
    secrets: fc.dictionary(
      fc.constantFrom("DB", "MODE", ...PROTOTYPE_NAMES),
      fc.constantFrom(SECRET_ARN, "arn:aws:ssm:us-east-1:123456789012:parameter/x", "nope"),
    ),
    deployment: fc.constantFrom("rolling", "blueGreen"),
    desiredCount: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
    connectsTo: fc.subarray(["database", "cache"]),
    exec: fc.boolean(),
  },
  { requiredKeys: ["name", "role", "image", "cpu", "memory"] },
);
const definition = fc.record(
  {
    project: fc.oneof(fc.constantFrom("webapp", "a", "aws-shop", "sg", "internal"), name),
    region: fc.constantFrom("us-east-1", "eu-north-1", "ap-northeast-1", "mars-1"),
    network: fc.record({
      vpcCidr: fc.constantFrom("10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/24", "10.1.2.0/16"),
      azCount: fc.integer({ min: 0, max: 7 }),
      natStrategy: fc.constantFrom("single", "perAz", undefined),
    }),
    services: fc.array(service, { maxLength: 70 }),
    database: fc.option(
      fc.record({
        instanceClass: fc.constantFrom("db.t4g.micro", "db.t4g.4xlarge", "db.r6g.large", "db.x9.huge"),
        engineVersion: fc.constantFrom("16", "16.4", "16.0", "17", "12"),
        readReplicas: fc.integer({ min: 0, max: 6 }),
        backupWindow: fc.constantFrom("03:00-04:00", "23:50-00:10", "03:00-03:10"),
        username: fc.constantFrom("app", "user", "a_very_long_user_name"),
      }),
      { nil: undefined },
    ),
    cache: fc.option(
      fc.record({ nodeType: fc.constantFrom("cache.t4g.micro", "cache.t4g.large"), nodes: fc.integer({ min: 0, max: 7 }) }),
      {
        nil: undefined,
      },
    ),
    tags: fc.dictionary(fc.constantFrom("team", "aws:x", "Project", ...PROTOTYPE_NAMES), fc.string({ maxLength: 10 })),
  },
  { requiredKeys: ["project", "region", "network"] },
);

/** Definitions the app should build: many services of every role, data stores of every size. */
const validDefinition = fc
  .record({
    roles: fc.array(fc.constantFrom("web", "worker", "scheduler"), { maxLength: 60 }),
    replicas: fc.integer({ min: 0, max: 5 }),
    nodes: fc.integer({ min: 1, max: 6 }),
    withData: fc.boolean(),
    azCount: fc.integer({ min: 2, max: 3 }),
    production: fc.boolean(),
  })
  .map(({ roles, replicas, nodes, withData, azCount, production }) => {
    let web = 0;
    const services = roles.map((role, i) => {
      const isWeb = role === "web" && web++ < 50;
      return {
        name: `s${i}`,
        role: isWeb ? "web" : role === "scheduler" ? "scheduler" : "worker",
        image: { tag: "1.0.0" },
        cpu: 256,
        memory: 512,
        ...(isWeb ? { port: 8000, routing: { paths: [`/s${i}/*`], priority: i + 1 } } : {}),
        ...(withData && !isWeb ? { connectsTo: ["database", "cache"] } : {}),
      };
    });
    return {
      ...validInput(),
      production,
      network: { vpcCidr: "10.0.0.0/16", azCount, natStrategy: "perAz" },
      services,
      ...(withData
        ? {
            database: { instanceClass: "db.t4g.small", readReplicas: replicas, ...(production ? { backupRetentionDays: 7 } : {}) },
            cache: { nodeType: "cache.t4g.small", nodes },
          }
        : {}),
    };
  });

describe("any definition, however large or odd", () => {
  it("a valid one, of any size, synthesizes", () => {
    fc.assert(
      fc.property(validDefinition, (d) => {
        const result = build(d);
        if ("error" in result) throw new Error(`refused a valid definition: ${result.error.message}`);
        expect(JSON.parse(result.json)).toHaveProperty("resource");
      }),
      { numRuns: 10, seed: 20261130 },
    );
  });

  it("an odd one either synthesizes or is refused with a ConfigError naming the environment: never a crash", () => {
    fc.assert(
      fc.property(definition, (d) => {
        const result = build(d);
        if ("error" in result) expect(result.error.problems.every((p) => p.startsWith('environment "dev": '))).toBe(true);
        else expect(JSON.parse(result.json)).toHaveProperty("resource");
      }),
      { numRuns: 40, seed: 20261130 },
    );
  });

  it("keeps every record key named like an Object.prototype member, or refuses it: never drops it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROTOTYPE_NAMES), (key) => {
        const result = build(
          withServices(
            [
              { ...api, environment: { [key]: "v" } },
              { ...worker, connectsTo: [] },
            ],
            { tags: { [key]: "v" } },
          ),
        );
        if ("error" in result) return;
        const tf = JSON.parse(result.json) as {
          provider: { aws: { default_tags: { tags: Record<string, string> }[] }[] };
          resource: Record<string, Record<string, { container_definitions?: string }>>;
        };
        expect(Object.hasOwn(tf.provider.aws[0].default_tags[0].tags, key)).toBe(true);
        const containers = Object.values(tf.resource.aws_ecs_task_definition).flatMap((t) => JSON.parse(t.container_definitions!));
        expect(containers[0].environment).toContainEqual({ name: key, value: "v" });
      }),
      { numRuns: PROTOTYPE_NAMES.length * 2, seed: 1 },
    );
  });

  it("a large valid environment synthesizes", () => {
    const workers = Array.from({ length: 60 }, (_, i) => ({ ...worker, name: `worker-${i}`, connectsTo: [] }));
    const result = build({ ...validInput(), services: workers });
    expect("json" in result).toBe(true);
  });
});
