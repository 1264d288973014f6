import { join } from "node:path";
import { renderDiagram } from "../scripts/lib/diagram";
import { readStack } from "../scripts/lib/terraform";
import { committedStacksDir } from "./helpers";

describe("the diagram's security-group edges", () => {
  it.each(["staging", "prod"])("%s: a group shared by the database primary and its replica draws an edge to each", (stack) => {
    const diagram = renderDiagram(readStack(join(committedStacksDir(), stack)));
    for (const service of ["api", "worker"]) {
      for (const database of ["database_primary", "database_replica_1"]) {
        expect(diagram).toMatch(new RegExp(`aws_ecs_service_service_${service}_service -->\\|"5432"\\| aws_db_instance_${database}\\b`));
      }
    }
  });
});
