import { readFileSync } from "node:fs";
import { join } from "node:path";
import { estimateStacks, summary } from "../scripts/cost";
import { renderDiagram } from "../scripts/lib/diagram";
import { readStack } from "../scripts/lib/terraform";
import { readBlock } from "../scripts/lib/readme";
import { committedStacksDir, ENVIRONMENT_STACKS } from "./helpers";

const stacksDir = committedStacksDir();
const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const environments = ENVIRONMENT_STACKS;

describe("the README's generated parts are current (npm run diagram, npm run cost)", () => {
  it.each(environments)("the %s diagram", (stack) => {
    expect(readBlock(readme, `diagram:${stack}`)).toBe("```mermaid\n" + renderDiagram(readStack(join(stacksDir, stack))) + "```\n");
  });

  it("the cost summary", () => {
    expect(readBlock(readme, "cost")).toBe(summary(estimateStacks(stacksDir, environments)));
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
