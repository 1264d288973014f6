import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { ElasticacheParameterGroup } from "@cdktf/provider-aws/lib/elasticache-parameter-group";
import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { ElasticacheUser } from "@cdktf/provider-aws/lib/elasticache-user";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { EnvironmentInput } from "../src/config/schema";
import {
  byPath,
  cache,
  committedEnvironment,
  committedStack,
  containerOf,
  database,
  ref,
  type Resource,
  resourcesOf,
  SETTINGS,
  statementsOf,
  synthEnvironment,
  synthInput,
  type TerraformJson,
  validInput,
  withData,
  worker,
} from "./helpers";

const PASSWORD_REF = "${ephemeral.aws_secretsmanager_random_password.database_master-password.random_password}";

function isolatedSubnetRefs(tf: TerraformJson): string[] {
  return Object.entries(tf.resource.aws_subnet)
    .filter(([, s]) => (s.tags as Record<string, string>).Tier === "isolated")
    .map(([name]) => `\${aws_subnet.${name}.id}`);
}

function ingressRules(tf: TerraformJson, securityGroupRef: string): Resource[] {
  return resourcesOf(tf, "aws_vpc_security_group_ingress_rule").filter((r) => r.security_group_id === securityGroupRef);
}

describe("dev's data stores", () => {
  const { json, parsed } = committedStack("dev");
  const primary = byPath(parsed, "aws_db_instance", "database/primary");
  const keyArn = ref(parsed, "aws_kms_key", "data-key", "arn");

  it("is one small, encrypted, private PostgreSQL 16 instance on autoscaling gp3", () => {
    expect(resourcesOf(parsed, "aws_db_instance")).toHaveLength(1);
    expect(primary).toMatchObject({
      engine: "postgres",
      engine_version: "16",
      instance_class: "db.t4g.micro",
      allocated_storage: 20,
      max_allocated_storage: 80,
      storage_type: "gp3",
      storage_encrypted: true,
      kms_key_id: keyArn,
      publicly_accessible: false,
      multi_az: false,
      copy_tags_to_snapshot: true,
      backup_retention_period: 7,
      backup_window: "03:00-04:00",
      maintenance_window: "mon:04:30-mon:05:30",
      deletion_protection: false,
      skip_final_snapshot: true,
      performance_insights_enabled: true,
      performance_insights_kms_key_id: keyArn,
      monitoring_interval: 60,
      monitoring_role_arn: ref(parsed, "aws_iam_role", "database/monitoring-role", "arn"),
      enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
    });
    expect(primary.lifecycle).toBeUndefined();
    expect(byPath(parsed, "aws_db_subnet_group", "database/subnets").subnet_ids).toEqual(isolatedSubnetRefs(parsed));
  });

  it("turns storage autoscaling off with maxAllocatedStorageGb 0, for storage too large for its 10 % margin", () => {
    const input = withData({ database: { ...database, allocatedStorageGb: 60000, maxAllocatedStorageGb: 0 } });
    const large = byPath(synthInput("dev", input).parsed, "aws_db_instance", "database/primary");
    expect(large).toMatchObject({ allocated_storage: 60000, max_allocated_storage: 0 });
  });

  it("applies a new engine version, major ones too, in the apply that asks for it", () => {
    for (const instance of resourcesOf(committedStack("staging").parsed, "aws_db_instance"))
      expect(instance).toMatchObject({ allow_major_version_upgrade: true, apply_immediately: true });
  });

  it("forces TLS and logs slow queries, DDL and connections", () => {
    expect(json).toHaveResourceWithProperties(DbParameterGroup, {
      family: "postgres16",
      parameter: expect.arrayContaining([
        { name: "rds.force_ssl", value: "1", apply_method: "immediate" },
        { name: "log_min_duration_statement", value: "1000", apply_method: "immediate" },
        { name: "log_statement", value: "ddl", apply_method: "immediate" },
        { name: "log_connections", value: "1", apply_method: "immediate" },
      ]),
    });
  });

  it("keeps the exported logs with retention, created before the instance", () => {
    const logs = resourcesOf(parsed, "aws_cloudwatch_log_group").filter((g) => String(g.name).startsWith("/aws/rds/"));
    expect(logs.map((g) => [g.name, g.retention_in_days])).toEqual([
      ["/aws/rds/instance/webapp-dev-db/postgresql", 30],
      ["/aws/rds/instance/webapp-dev-db/upgrade", 30],
    ]);
    expect(primary.depends_on).toHaveLength(2);
  });

  it("writes the master password write-only, from an ephemeral resource, never as a value", () => {
    expect(primary).toMatchObject({ password_wo: PASSWORD_REF, password_wo_version: 1 });
    expect(primary).not.toHaveProperty("password");
    expect(primary).not.toHaveProperty("manage_master_user_password");
    expect((parsed as unknown as { ephemeral: unknown }).ephemeral).toEqual({
      aws_secretsmanager_random_password: { "database_master-password": { password_length: 32, exclude_punctuation: true } },
    });
    const credentials = byPath(parsed, "aws_secretsmanager_secret_version", "database/credentials-value");
    expect(credentials).toEqual(
      expect.objectContaining({
        secret_string_wo: `\${jsonencode({"username" = "app", "password" = ${PASSWORD_REF.slice(2, -1)}})}`,
        secret_string_wo_version: 1,
        lifecycle: { create_before_destroy: true },
      }),
    );
    expect(credentials).not.toHaveProperty("secret_string");
    // The ephemeral reference is the only place a password value could come from.
    expect(json.split("ephemeral.aws_secretsmanager_random_password").length - 1).toBe(2);
  });

  it("encrypts the credentials secret with the data key and publishes where to connect as parameters", () => {
    expect(resourcesOf(parsed, "aws_secretsmanager_secret")).toEqual([
      expect.objectContaining({ name: "webapp-dev/database/credentials", kms_key_id: keyArn, recovery_window_in_days: 0 }),
    ]);
    const parameters = resourcesOf(parsed, "aws_ssm_parameter")
      .filter((p) => String(p.name).startsWith("/webapp-dev/database/"))
      .map((p) => [p.name, p.type, p.value]);
    expect(parameters.sort()).toEqual([
      ["/webapp-dev/database/host", "String", ref(parsed, "aws_db_instance", "database/primary", "address")],
      ["/webapp-dev/database/name", "String", "app"],
      ["/webapp-dev/database/port", "String", "5432"],
    ]);
  });

  it("admits only the services that connect to it, on 5432", () => {
    const sg = ref(parsed, "aws_security_group", "database/sg");
    const rules = ingressRules(parsed, sg);
    expect(rules.map((r) => r.referenced_security_group_id).sort()).toEqual(
      [ref(parsed, "aws_security_group", "service-api/sg"), ref(parsed, "aws_security_group", "service-worker/sg")].sort(),
    );
    for (const rule of rules) expect(rule).toMatchObject({ from_port: 5432, to_port: 5432, ip_protocol: "tcp" });
    expect(rules.some((r) => "cidr_ipv4" in r)).toBe(false);
    expect(resourcesOf(parsed, "aws_vpc_security_group_egress_rule").some((r) => r.security_group_id === sg)).toBe(false);
    expect(byPath(parsed, "aws_vpc_security_group_egress_rule", "service-api/egress-postgresql")).toMatchObject({
      referenced_security_group_id: sg,
      from_port: 5432,
    });
  });

  it("is one encrypted Redis 7.1 node with RBAC by IAM, an LRU parameter group and both logs", () => {
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      engine: "redis",
      engine_version: "7.1",
      node_type: "cache.t4g.micro",
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
      at_rest_encryption_enabled: "true",
      kms_key_id: keyArn,
      transit_encryption_enabled: true,
      user_group_ids: [`\${aws_elasticache_user_group.${Object.keys(parsed.resource.aws_elasticache_user_group)[0]}.user_group_id}`],
      snapshot_retention_limit: 0,
      port: 6379,
      log_delivery_configuration: [
        {
          destination: "/aws/vendedlogs/elasticache/webapp-dev-cache/slow-log",
          destination_type: "cloudwatch-logs",
          log_format: "json",
          log_type: "slow-log",
        },
        {
          destination: "/aws/vendedlogs/elasticache/webapp-dev-cache/engine-log",
          destination_type: "cloudwatch-logs",
          log_format: "json",
          log_type: "engine-log",
        },
      ].map((c) => ({ ...c, destination: expect.stringContaining("aws_cloudwatch_log_group.") })),
    });
    expect(json).toHaveResourceWithProperties(ElasticacheParameterGroup, {
      family: "redis7",
      parameter: [{ name: "maxmemory-policy", value: "allkeys-lru" }],
    });
    expect(byPath(parsed, "aws_elasticache_subnet_group", "cache/subnets").subnet_ids).toEqual(isolatedSubnetRefs(parsed));
  });

  it("changes the eviction policy in place: only the parameter differs, never what forces a new group", () => {
    const group = (policy: string) =>
      resourcesOf(
        synthInput("dev", withData({ cache: { ...cache, maxmemoryPolicy: policy } } as Partial<EnvironmentInput>)).parsed,
        "aws_elasticache_parameter_group",
      )[0];
    const [lru, noEviction] = [group("allkeys-lru"), group("noeviction")];
    expect({ ...noEviction, parameter: lru.parameter }).toEqual(lru);
    expect(noEviction.parameter).toEqual([{ name: "maxmemory-policy", value: "noeviction" }]);
  });

  it("has a disabled default user and an IAM-authenticated application user, and no password", () => {
    expect(json).toHaveResourceWithProperties(ElasticacheUser, {
      user_name: "default",
      access_string: "off -@all",
      authentication_mode: { type: "no-password-required" },
    });
    expect(json).toHaveResourceWithProperties(ElasticacheUser, {
      user_id: "webapp-dev-app",
      user_name: "webapp-dev-app",
      authentication_mode: { type: "iam" },
    });
    expect(json).not.toMatch(/"(auth_token|passwords)"/);
  });

  it("gives connecting services the database as secrets and the cache as plain endpoints", () => {
    const api = containerOf(parsed, "api");
    const credentials = ref(parsed, "aws_secretsmanager_secret", "database/credentials", "arn");
    const parameter = (key: string) => ref(parsed, "aws_ssm_parameter", `database/connection-${key}`, "arn");
    expect(api.secrets).toEqual([
      { name: "DATABASE_HOST", valueFrom: parameter("host") },
      { name: "DATABASE_PORT", valueFrom: parameter("port") },
      { name: "DATABASE_NAME", valueFrom: parameter("name") },
      { name: "DATABASE_USER", valueFrom: `${credentials}:username::` },
      { name: "DATABASE_PASSWORD", valueFrom: `${credentials}:password::` },
    ]);
    expect((api.environment as { name: string }[]).filter((e) => e.name.startsWith("DATABASE_"))).toEqual([]);
    expect(api.environment).toEqual(
      expect.arrayContaining([
        { name: "REDIS_HOST", value: expect.stringContaining("primary_endpoint_address") },
        { name: "REDIS_USER", value: expect.stringContaining("aws_elasticache_user.") },
        { name: "REDIS_TLS", value: "true" },
      ]),
    );
    const scheduler = containerOf(parsed, "scheduler");
    expect(scheduler.secrets).toEqual([]);
    expect((scheduler.environment as { name: string }[]).map((e) => e.name)).toContain("REDIS_HOST");
    const frontend = containerOf(parsed, "frontend");
    expect(JSON.stringify(frontend)).not.toMatch(/DATABASE_|REDIS_/);
  });

  it("lets execution roles read only the database secrets and task roles connect only to the cache", () => {
    const execution = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-api/execution-policy"));
    expect(execution).toEqual(
      expect.arrayContaining([
        {
          Sid: "ReadDatabaseSettings",
          Effect: "Allow",
          Action: "ssm:GetParameters",
          Resource: ["host", "port", "name"].map((key) => ref(parsed, "aws_ssm_parameter", `database/connection-${key}`, "arn")),
        },
        {
          Sid: "ReadDatabaseCredentials",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: ref(parsed, "aws_secretsmanager_secret", "database/credentials", "arn"),
        },
        {
          Sid: "DecryptDatabaseCredentials",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: keyArn,
          Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } },
        },
      ]),
    );
    for (const service of ["api", "worker", "scheduler"]) {
      const task = statementsOf(byPath(parsed, "aws_iam_role_policy", `service-${service}/task-policy`));
      expect(task).toContainEqual({
        Sid: "ConnectToCache",
        Effect: "Allow",
        Action: "elasticache:Connect",
        Resource: [
          ref(parsed, "aws_elasticache_replication_group", "cache/replication-group", "arn"),
          ref(parsed, "aws_elasticache_user", "cache/app-user", "arn"),
        ],
      });
    }
    const frontendExecution = statementsOf(byPath(parsed, "aws_iam_role_policy", "service-frontend/execution-policy"));
    expect(frontendExecution.map((s) => s.Sid)).not.toContain("ReadDatabaseCredentials");
  });

  it("encrypts with a rotating customer key and outputs endpoints and secret ARNs", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(Object.keys(parsed.output ?? {})).toEqual(
      expect.arrayContaining([
        "database_writer_address",
        "database_reader_addresses",
        "database_connection_parameter_arns",
        "database_credentials_secret_arn",
        "cache_primary_endpoint",
        "cache_reader_endpoint",
      ]),
    );
  });
});

describe("prod's data stores", () => {
  const { json, parsed } = committedStack("prod");
  const primary = byPath(parsed, "aws_db_instance", "database/primary");
  const replica = byPath(parsed, "aws_db_instance", "database/replica-1");

  it("has a protected Multi-AZ primary with 30 days of backups and a final snapshot", () => {
    expect(primary).toMatchObject({
      instance_class: "db.t4g.small",
      allocated_storage: 50,
      max_allocated_storage: 200,
      multi_az: true,
      backup_retention_period: 30,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "webapp-prod-db-final",
      lifecycle: { prevent_destroy: true },
    });
  });

  it("has a read replica of the primary, encrypted and monitored the same way", () => {
    expect(replica).toMatchObject({
      identifier: "webapp-prod-db-replica-1",
      replicate_source_db: ref(parsed, "aws_db_instance", "database/primary", "identifier"),
      storage_encrypted: true,
      kms_key_id: primary.kms_key_id,
      parameter_group_name: primary.parameter_group_name,
      vpc_security_group_ids: primary.vpc_security_group_ids,
      monitoring_interval: 60,
      monitoring_role_arn: primary.monitoring_role_arn,
      performance_insights_enabled: true,
      enabled_cloudwatch_logs_exports: ["postgresql", "upgrade"],
      publicly_accessible: false,
      deletion_protection: true,
    });
    for (const field of ["username", "password_wo", "db_name", "manage_master_user_password"]) expect(replica).not.toHaveProperty(field);
    const logNames = resourcesOf(parsed, "aws_cloudwatch_log_group").map((g) => g.name);
    expect(logNames).toContain("/aws/rds/instance/webapp-prod-db-replica-1/postgresql");
    expect(byPath(parsed, "aws_ssm_parameter", "database/connection-replica-hosts").value).toBe(
      `\${join(",", [${ref(parsed, "aws_db_instance", "database/replica-1", "address").slice(2, -1)}])}`,
    );
    expect(containerOf(parsed, "api").secrets).toContainEqual({
      name: "DATABASE_REPLICA_HOSTS",
      valueFrom: ref(parsed, "aws_ssm_parameter", "database/connection-replica-hosts", "arn"),
    });
  });

  it("has a Multi-AZ Redis with failover, snapshots and a final snapshot, protected from destroy", () => {
    expect(json).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      num_cache_clusters: 2,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      node_type: "cache.t4g.small",
      snapshot_retention_limit: 5,
      snapshot_window: "03:00-05:00",
      final_snapshot_identifier: "webapp-prod-cache-final",
      lifecycle: { prevent_destroy: true },
    });
  });

  it("protects the key and the credentials, and keeps deleted credentials 30 days", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, { lifecycle: { prevent_destroy: true } });
    expect(byPath(parsed, "aws_secretsmanager_secret", "database/credentials")).toMatchObject({
      recovery_window_in_days: 30,
      lifecycle: { prevent_destroy: true },
    });
  });

  it("lifts the protections, but keeps the final snapshots, with ALLOW_DESTROY", () => {
    const { parsed: teardown } = synthEnvironment(committedEnvironment("prod"), { ...SETTINGS, allowDestroy: true });
    const db = byPath(teardown, "aws_db_instance", "database/primary");
    expect(db).toMatchObject({ deletion_protection: false, skip_final_snapshot: false });
    expect(db.lifecycle).toBeUndefined();
    const redis = resourcesOf(teardown, "aws_elasticache_replication_group")[0];
    expect(redis.lifecycle).toBeUndefined();
    expect(redis.final_snapshot_identifier).toBe("webapp-prod-cache-final");
  });
});

describe("password management", () => {
  const base = withData(
    { database },
    [worker].map((w) => ({ ...w, connectsTo: ["database"] })),
  );

  it("rotates by bumping passwordVersion: only the write-only versions change", () => {
    const before = synthInput("dev", base).parsed;
    const after = synthInput("dev", { ...base, database: { ...database, passwordVersion: 2 } } as EnvironmentInput).parsed;
    expect(byPath(after, "aws_db_instance", "database/primary").password_wo_version).toBe(2);
    expect(byPath(after, "aws_secretsmanager_secret_version", "database/credentials-value").secret_string_wo_version).toBe(2);
    const withoutVersions = (tf: TerraformJson) =>
      JSON.stringify(tf).replace(/"(password_wo_version|secret_string_wo_version)":\d+/g, '"$1":"?"');
    expect(withoutVersions(after)).toBe(withoutVersions(before));
  });

  it("with rdsManaged, RDS keeps the password in its own secret under the data key", () => {
    const { parsed, json } = synthInput("dev", {
      ...base,
      database: { ...database, passwordManagement: "rdsManaged" },
    } as EnvironmentInput);
    expect(byPath(parsed, "aws_db_instance", "database/primary")).toMatchObject({
      manage_master_user_password: true,
      master_user_secret_kms_key_id: ref(parsed, "aws_kms_key", "data-key", "arn"),
    });
    expect(json).not.toContain("ephemeral");
    expect(json).not.toContain("password_wo");
    expect(resourcesOf(parsed, "aws_secretsmanager_secret")).toEqual([]);
    expect(containerOf(parsed, "worker").secrets).toContainEqual({
      name: "DATABASE_PASSWORD",
      valueFrom: expect.stringContaining(".master_user_secret[0].secret_arn}:password::"),
    });
  });

  it("creates nothing for data stores an environment does not define", () => {
    const { json, parsed } = synthInput("dev", validInput());
    expect(json).not.toHaveResource(DbInstance);
    expect(json).not.toHaveResource(ElasticacheReplicationGroup);
    expect(resourcesOf(parsed, "aws_kms_alias").map((a) => a.name)).toEqual(["alias/webapp-dev-telemetry"]);
  });
});
