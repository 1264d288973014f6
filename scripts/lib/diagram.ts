import { MANAGED_POLICIES } from "../../src/constructs/cdn-distribution";
import type { StackJson } from "./terraform";
import { composeServices } from "./user-data";

/**
 * A Mermaid flowchart of one synthesized stack, read from its Terraform JSON (not drawn by
 * hand): the VPC's subnets by tier and AZ, the internet's entry points, the load balancer's
 * routes, the services or the single host, the data stores, and every security-group edge
 * between them with its port.
 */

interface Node {
  readonly id: string;
  readonly label: string;
  readonly shape: "box" | "round" | "cylinder";
}

const REF = /^\$\{(aws_[a-z0-9_]+)\.([\w-]+)\.[a-z_]+\}$/;

/** The resource a `${type.name.attr}` reference points at, as `type.name`. */
function target(reference: unknown): string | undefined {
  const match = typeof reference === "string" ? REF.exec(reference) : null;
  return match ? `${match[1]}.${match[2]}` : undefined;
}

function all(tf: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(tf.resource[type] ?? {}).map(([name, r]) => [`${type}.${name}`, r]);
}

/** A Mermaid id from a resource address, without cdktf's hash suffix. */
const nodeId = (address: string) => address.replace(/_[0-9A-F]{8}$/, "").replace(/[^A-Za-z0-9]/g, "_");
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

export function renderDiagram(tf: StackJson): string {
  const nodes = new Map<string, Node & { readonly tier?: string }>();
  /** Security group → the nodes that use it (a database primary and its replicas share one). */
  const owners = new Map<string, string[]>();
  const ownersOf = (group: unknown) => owners.get(target(group) ?? "") ?? [];
  const edges = new Set<string>();
  const add = (address: string, label: string, shape: Node["shape"], tier?: string) => {
    nodes.set(address, { id: nodeId(address), label, shape, ...(tier ? { tier } : {}) });
  };
  const own = (address: string, groups: unknown) => {
    for (const group of list(groups)) {
      const sg = target(group);
      if (sg) owners.set(sg, [...(owners.get(sg) ?? []), address]);
    }
  };

  const subnets = all(tf, "aws_subnet").map(([, s]) => ({
    tier: String((s.tags as Record<string, string>).Tier),
    az: String(s.availability_zone),
    cidr: String(s.cidr_block),
  }));
  const vpc = all(tf, "aws_vpc")[0]?.[1];

  for (const [address, lb] of all(tf, "aws_lb")) {
    add(address, `ALB ${String(lb.name)}`, "box", "public");
    own(address, lb.security_groups);
  }
  for (const [address, nat] of all(tf, "aws_nat_gateway")) {
    add(
      address,
      `NAT gateway ${String((nat.tags as Record<string, string>).Name)
        .split("-")
        .slice(-3)
        .join("-")}`,
      "round",
      "public",
    );
  }
  // Interface endpoints, drawn as one node: where the private subnets reach AWS without NAT.
  const interfaceEndpoints = all(tf, "aws_vpc_endpoint").filter(([, e]) => e.vpc_endpoint_type === "Interface");
  if (interfaceEndpoints.length)
    add(
      "aws_vpc_endpoint.interface",
      `VPC endpoints<br/>${interfaceEndpoints.map(([, e]) => String(e.service_name).split(".").slice(3).join(".")).join(", ")}`,
      "round",
      "private",
    );
  const taskSizes = new Map(all(tf, "aws_ecs_task_definition").map(([address, t]) => [address, `${t.cpu} CPU / ${t.memory} MiB`]));
  for (const [address, svc] of all(tf, "aws_ecs_service")) {
    const size = taskSizes.get(target(svc.task_definition) ?? "") ?? "";
    add(address, `ECS ${String(svc.name)}<br/>${size}`, "box", "private");
    own(address, (svc.network_configuration as Record<string, unknown>)?.security_groups);
  }
  for (const [address, host] of all(tf, "aws_instance")) {
    // A NAT instance forwards (no source/destination check); the private subnets' default route leads to it.
    if (host.source_dest_check === false) {
      add(address, `NAT instance ${String(host.instance_type)}`, "round", "public");
      continue;
    }
    const containers = Object.keys(composeServices(String(host.user_data ?? "")));
    add(address, `EC2 ${String(host.instance_type)}<br/>docker compose: ${containers.join(", ")}`, "box", "public");
    own(address, host.vpc_security_group_ids);
  }
  for (const [address, db] of all(tf, "aws_db_instance")) {
    const role = db.replicate_source_db ? "read replica" : db.multi_az ? "primary, Multi-AZ" : "primary";
    add(address, `RDS PostgreSQL ${String(db.identifier)}<br/>${String(db.instance_class)}, ${role}`, "cylinder", "isolated");
    own(address, db.vpc_security_group_ids);
  }
  for (const [address, cache] of all(tf, "aws_elasticache_replication_group")) {
    add(
      address,
      `ElastiCache ${String(cache.engine)} ${String(cache.replication_group_id)}<br/>${String(cache.num_cache_clusters)} × ${String(cache.node_type)}`,
      "cylinder",
      "isolated",
    );
    own(address, cache.security_group_ids);
  }
  for (const [address, volume] of all(tf, "aws_ebs_volume")) {
    add(address, `EBS data volume<br/>${String(volume.size)} GiB gp3, daily snapshots`, "cylinder", "public");
  }
  for (const [, attachment] of all(tf, "aws_volume_attachment")) {
    const volume = target(attachment.volume_id);
    const instance = target(attachment.instance_id);
    if (volume && instance) edges.add(`${nodeId(instance)} --- ${nodeId(volume)}`);
  }

  // A web ACL on the load balancer, or on the distribution in front of it: the internet's requests pass it first.
  const webAcl = all(tf, "aws_wafv2_web_acl")[0]?.[1];
  const protectedByWaf = new Set(all(tf, "aws_wafv2_web_acl_association").map(([, a]) => target(a.resource_arn)));
  const distribution = all(tf, "aws_cloudfront_distribution")[0]?.[1];
  // Who may reach whom: every ingress rule, from the internet, CloudFront's prefix list or another group's owner.
  let internet = distribution !== undefined;
  for (const [, rule] of all(tf, "aws_vpc_security_group_ingress_rule")) {
    const port = rule.from_port === rule.to_port ? String(rule.from_port) : `${rule.from_port}-${rule.to_port}`;
    for (const to of ownersOf(rule.security_group_id)) {
      if (rule.cidr_ipv4 === "0.0.0.0/0") {
        internet = true;
        edges.add(`${protectedByWaf.has(to) ? "waf" : "internet"} -->|"${port}"| ${nodeId(to)}`);
      } else if (rule.prefix_list_id && distribution) {
        edges.add(`cdn -->|"${port}"| ${nodeId(to)}`);
      } else if (rule.cidr_ipv4) {
        edges.add(`admins(["${String(rule.cidr_ipv4)}"]) -->|"${port}"| ${nodeId(to)}`);
      } else {
        for (const from of ownersOf(rule.referenced_security_group_id)) edges.add(`${nodeId(from)} -->|"${port}"| ${nodeId(to)}`);
      }
    }
  }

  // The load balancer's routes: each listener rule's conditions, to the service behind its target group.
  const serviceOfTargetGroup = new Map<string, string>();
  for (const [address, svc] of all(tf, "aws_ecs_service")) {
    for (const lb of list(svc.load_balancer)) {
      const group = target((lb as Record<string, unknown>).target_group_arn);
      if (group) serviceOfTargetGroup.set(group, address);
    }
  }
  const listenerLb = new Map(
    all(tf, "aws_lb_listener").map(([address, l]) => [address, { lb: target(l.load_balancer_arn), port: l.port }]),
  );
  for (const [, rule] of all(tf, "aws_lb_listener_rule")) {
    const listener = listenerLb.get(target(rule.listener_arn) ?? "");
    const action = list(rule.action)[0] as Record<string, unknown> | undefined;
    const service = serviceOfTargetGroup.get(target(action?.target_group_arn) ?? "");
    if (!listener?.lb || !service || listener.port === 8443) continue;
    const patterns = list(rule.condition).flatMap((c) => {
      const condition = c as Record<string, { values?: string[] }>;
      return [...(condition.path_pattern?.values ?? []), ...(condition.host_header?.values ?? [])];
    });
    edges.add(`${nodeId(listener.lb)} -.->|"${patterns.join(" ")}"| ${nodeId(service)}`);
  }

  const lines = ["flowchart LR"];
  if (internet) lines.push('  internet(("Internet"))');
  const wafInFront = webAcl && (protectedByWaf.size > 0 || distribution?.web_acl_id !== undefined);
  if (internet && wafInFront) {
    lines.push(`  waf{{"AWS WAF ${String(webAcl.name)}"}}`);
    edges.add("internet --> waf");
  }
  if (distribution) {
    const cached = list(distribution.ordered_cache_behavior)
      .map((b) => b as Record<string, unknown>)
      .filter((b) => b.cache_policy_id !== MANAGED_POLICIES.cachingDisabled)
      .map((b) => String(b.path_pattern));
    lines.push(`  cdn[["CloudFront ${list(distribution.aliases).join(" ")}${cached.length ? `<br/>cached: ${cached.join(" ")}` : ""}"]]`);
    edges.add(`${wafInFront ? "waf" : "internet"} --> cdn`);
  }
  lines.push(`  subgraph vpc["VPC ${String(vpc?.cidr_block ?? "")}"]`);
  for (const tier of ["public", "private", "isolated"]) {
    const tierSubnets = subnets.filter((s) => s.tier === tier);
    if (tierSubnets.length === 0) continue;
    lines.push(`    subgraph ${tier}["${tier} subnets: ${tierSubnets.map((s) => `${s.az} ${s.cidr}`).join(", ")}"]`);
    for (const node of [...nodes.values()].filter((n) => n.tier === tier)) lines.push(`      ${shape(node)}`);
    lines.push("    end");
  }
  lines.push("  end");
  lines.push(...[...edges].sort().map((e) => `  ${e}`));
  return `${lines.join("\n")}\n`;
}

function shape(node: Node): string {
  const label = `"${node.label}"`;
  if (node.shape === "cylinder") return `${node.id}[(${label})]`;
  if (node.shape === "round") return `${node.id}(${label})`;
  return `${node.id}[${label}]`;
}
