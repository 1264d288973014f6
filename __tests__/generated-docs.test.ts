import { join } from "node:path";
import { COST_PAGE, estimateStacks, summary, unpricedList } from "../scripts/cost";
import { total, usd } from "../src/cost/estimate";
import { diagramBlock, diagramPages, exampleStacks, README_DIAGRAM } from "../scripts/diagram";
import { renderDiagram } from "../scripts/lib/diagram";
import { blockNames, readBlock, readMarkdown } from "../scripts/lib/markdown-blocks";
import { readStack } from "../scripts/lib/terraform";
import { committedStacksDir, ENVIRONMENT_STACKS, EXAMPLES_DIR } from "./helpers";

const stacksDir = committedStacksDir();
const environments = ENVIRONMENT_STACKS;
const pages = Object.entries(diagramPages(environments, exampleStacks(EXAMPLES_DIR)));
const placed = pages.flatMap(([page, stacks]) => stacks.map((stack) => [page, stack] as const));

describe("the docs' generated parts are current (npm run diagram, npm run cost)", () => {
  it.each(placed)("%s: the %s diagram", (page, stack) => {
    expect(readBlock(readMarkdown(page), `diagram:${stack}`, page)).toBe(diagramBlock(join(stacksDir, stack)));
  });

  it("every stack's diagram is on a page, the README shows dev's, and no page holds a diagram no stack has", () => {
    expect(new Set(placed.map(([, stack]) => stack))).toEqual(new Set(environments));
    expect(placed).toContainEqual(["README.md", README_DIAGRAM]);
    for (const [page, stacks] of pages) {
      const diagrams = blockNames(readMarkdown(page)).filter((name) => name.startsWith("diagram:"));
      expect([page, diagrams.sort()]).toEqual([page, stacks.map((stack) => `diagram:${stack}`).sort()]);
    }
  });

  it("the cost summary, and the list of what it leaves out", () => {
    expect(readBlock(readMarkdown(COST_PAGE), "cost", COST_PAGE)).toBe(summary(estimateStacks(stacksDir, environments)));
    expect(readBlock(readMarkdown(COST_PAGE), "cost-unpriced", COST_PAGE)).toBe(unpricedList());
  });

  it("the examples page's estimates are npm run cost's", () => {
    const rows = [...readMarkdown("docs/examples.md").matchAll(/^\| `([a-z-]+)` +\|.*\| \$(\d+\.\d\d) \//gm)];
    const stacks = [...exampleStacks(EXAMPLES_DIR)];
    expect(rows.map((r) => r[1]).sort()).toEqual(stacks.sort());
    const estimates = new Map(estimateStacks(stacksDir, stacks).map(([stack, items]) => [stack, usd(total(items))]));
    for (const [, stack, figure] of rows) expect([stack, `$${figure}`]).toEqual([stack, estimates.get(stack)]);
  });
});

describe("the diagram", () => {
  const tf = readStack(join(stacksDir, "dev"));
  const diagram = renderDiagram(tf);

  it("draws the subnets by tier and AZ, the load balancer's routes and the security-group edges", () => {
    expect(diagram).toContain('subgraph isolated["isolated subnets: us-east-1a 10.10.80.0/21, us-east-1b 10.10.88.0/21"]');
    expect(diagram).toContain('aws_lb_alb -.->|"/api/*"| aws_ecs_service_service_api_service');
    expect(diagram).toContain('aws_ecs_service_service_worker_service -->|"5432"| aws_db_instance_database_primary');
    expect(diagram).toContain('internet -->|"80"| aws_lb_alb');
  });

  it("draws the web ACL between the internet and the load balancer it protects", () => {
    const bluegreen = renderDiagram(readStack(join(stacksDir, "bluegreen")));
    expect(bluegreen).toContain('waf{{"AWS WAF ex-bluegreen-web"}}');
    expect(bluegreen).toContain("internet --> waf");
    expect(bluegreen).toContain('waf -->|"80"| aws_lb_alb');
    expect(bluegreen).not.toContain("internet -->|");
  });

  it("draws CloudFront, behind its web ACL, as the load balancer's only way in", () => {
    const prod = renderDiagram(readStack(join(stacksDir, "prod")));
    expect(prod).toContain('cdn[["CloudFront app.example.com<br/>cached: /assets/*"]]');
    expect(prod).toContain("internet --> waf");
    expect(prod).toContain("waf --> cdn");
    expect(prod).toContain('cdn -->|"443"| aws_lb_alb');
    expect(prod).not.toMatch(/(internet|waf) -->\|/);
  });

  it("draws a stack without NAT with its interface endpoints in the private subnets", () => {
    const bluegreen = renderDiagram(readStack(join(stacksDir, "bluegreen")));
    expect(bluegreen).toContain('aws_vpc_endpoint_interface("VPC endpoints<br/>ecr.api, ecr.dkr, logs, secretsmanager, ssm")');
    expect(bluegreen).not.toContain("NAT");
  });

  it("follows the stack: a service removed from the definition leaves the diagram", () => {
    const withoutWorker = {
      resource: {
        ...tf.resource,
        aws_ecs_service: Object.fromEntries(Object.entries(tf.resource.aws_ecs_service).filter(([name]) => !name.includes("worker"))),
      },
    };
    expect(renderDiagram(withoutWorker)).not.toContain("worker");
  });
});
