/**
 * `npm run status -- <environment>`: what is running, read from the live account (or the local
 * AWS with LOCAL_AWS_ENDPOINT): per ECS service its deployment state, running/desired tasks, the
 * last events, why its recently stopped tasks stopped, and its log group's last error lines; on a
 * single host, its last health report and each container's last error lines. Exits 1 when a
 * service is not steady, or runs an older revision than its family's newest (a rollback).
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { EnvironmentConfig } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { loadEnvironments } from "../src/config/load";
import { clientConfig } from "./lib/aws-clients";
import { printTable } from "./lib/process";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR } from "./lib/terraform";

const ERROR_LINES = "?ERROR ?Error ?error ?FATAL ?Fatal ?panic ?Traceback ?Exception";

async function lastErrorLines(logs: CloudWatchLogsClient, logGroupName: string, limit = 5): Promise<string[]> {
  try {
    const found = await logs.send(
      new FilterLogEventsCommand({ logGroupName, filterPattern: ERROR_LINES, startTime: Date.now() - 24 * 3600_000 }),
    );
    return (found.events ?? []).slice(-limit).map((e) => `${new Date(e.timestamp ?? 0).toISOString()} ${String(e.message).trim()}`);
  } catch (error) {
    return [`(cannot read ${logGroupName}: ${(error as Error).message})`];
  }
}

/** Why the service's recently stopped tasks stopped, newest first (ECS keeps them about an hour). */
async function stoppedReasons(ecs: ECSClient, cluster: string, family: string): Promise<string[]> {
  const listed = await ecs.send(new ListTasksCommand({ cluster, family, desiredStatus: "STOPPED" }));
  if (!listed.taskArns?.length) return [];
  const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: listed.taskArns.slice(0, 10) }));
  return (described.tasks ?? []).map((task) => {
    const containers = (task.containers ?? [])
      .filter((c) => c.reason || (c.exitCode !== undefined && c.exitCode !== 0))
      .map((c) => `${c.name}: ${c.reason ?? `exit ${c.exitCode}`}`);
    return [`revision ${revision(task.taskDefinitionArn)}: ${task.stoppedReason ?? task.stopCode ?? "stopped"}`, ...containers].join("; ");
  });
}

/** Steady: one deployment, not failed, all desired tasks running. */
function steady(service: Service): boolean {
  const deployments = service.deployments ?? [];
  return deployments.length <= 1 && deployments.every((d) => d.rolloutState !== "FAILED") && service.runningCount === service.desiredCount;
}

const revision = (arn: string | undefined) => Number(arn?.split(":").pop());

/** The family's newest revision: what the last deploy registered, which the service should run. */
async function newestRevision(ecs: ECSClient, family: string): Promise<number> {
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
  return described.taskDefinition?.revision ?? 0;
}

async function ecsStatus(env: EnvironmentConfig): Promise<boolean> {
  const ecs = new ECSClient(clientConfig(env.region));
  const logs = new CloudWatchLogsClient(clientConfig(env.region));
  const cluster = env.namePrefix;
  const names = env.services.map((s) => `${env.namePrefix}-${s.name}`);
  const described = await ecs.send(new DescribeServicesCommand({ cluster, services: names }));
  const rows: string[][] = [];
  const details: string[] = [];
  let healthy = true;
  for (const svc of env.services) {
    const name = `${env.namePrefix}-${svc.name}`;
    const service = described.services?.find((s) => s.serviceName === name);
    if (!service) {
      healthy = false;
      rows.push([svc.name, "MISSING", "-", "-", "-"]);
      continue;
    }
    const running = revision(service.taskDefinition);
    const newest = await newestRevision(ecs, name);
    const state = !steady(service) ? "NOT STEADY" : running < newest ? "ROLLED BACK" : "steady";
    healthy &&= state === "steady";
    const deployments = (service.deployments ?? []).map((d) => `${d.status} ${d.rolloutState ?? ""} rev ${revision(d.taskDefinition)}`);
    rows.push([
      svc.name,
      state,
      `${service.runningCount}/${service.desiredCount}`,
      running < newest ? `rev ${running} (newest ${newest})` : `rev ${running}`,
      deployments.join(", ") || "-",
    ]);
    const events = (service.events ?? []).slice(0, 3).map((e) => `  event: ${e.message}`);
    const stopped = (await stoppedReasons(ecs, cluster, name)).map((r) => `  stopped task: ${r}`);
    const errors = (await lastErrorLines(logs, `/ecs/${env.namePrefix}/${svc.name}`)).map((l) => `  log: ${l}`);
    if (events.length + stopped.length + errors.length > 0) details.push(`${svc.name}:`, ...events, ...stopped, ...errors);
  }
  printTable(["service", "state", "running/desired", "task definition", "deployments"], rows);
  if (details.length) console.log(`\n${details.join("\n")}`);
  return healthy;
}

async function hostStatus(env: EnvironmentConfig): Promise<boolean> {
  const ssm = new SSMClient(clientConfig(env.region));
  const logs = new CloudWatchLogsClient(clientConfig(env.region));
  let healthy = false;
  try {
    const report = await ssm.send(new GetParameterCommand({ Name: `/${env.namePrefix}/host/health` }));
    console.log(`last health report: ${report.Parameter?.Value}`);
    healthy = (JSON.parse(report.Parameter?.Value ?? "{}") as { status?: string }).status === "healthy";
  } catch (error) {
    console.log(`no health report yet (${(error as Error).message})`);
  }
  for (const svc of env.services) {
    const errors = await lastErrorLines(logs, `/host/${env.namePrefix}/${svc.name}`);
    if (errors.length) console.log(`${svc.name}:\n${errors.map((l) => `  log: ${l}`).join("\n")}`);
  }
  return healthy;
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
  const env = environments.find((e) => e.name === name);
  if (!env) {
    console.error(`usage: npm run status -- <environment>\n  environments: ${environments.map((e) => e.name).join(", ")}`);
    process.exitCode = 2;
    return;
  }
  console.log(`${env.name} (${env.region}${process.env.LOCAL_AWS_ENDPOINT ? `, local AWS ${process.env.LOCAL_AWS_ENDPOINT}` : ""})`);
  const healthy = env.singleHost ? await hostStatus(env) : await ecsStatus(env);
  if (!healthy) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
