import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Testing } from "cdktf";
import { resolveEnvironment } from "../src/config/environment";
import { ConfigError } from "../src/config/errors";
import { imageStacks } from "../src/config/image-stacks";
import { ImagesStack } from "../src/stacks/images-stack";
import { api, committedStack, resourcesOf, SETTINGS, type TerraformJson, validInput, withServices, worker } from "./helpers";

describe("the images stacks: one per project and region, shared by its environments", () => {
  it("webapp-images holds every repository webapp's environments run from, nothing per environment", () => {
    const { json, parsed } = committedStack("webapp-images");
    expect(resourcesOf(parsed, "aws_ecr_repository").map((r) => r.name)).toEqual(["webapp/api", "webapp/frontend"]);
    expect(json).toHaveResourceWithProperties(EcrRepository, {
      name: "webapp/api",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "KMS" }],
      force_delete: false,
    });
    const rules = JSON.parse(resourcesOf(parsed, "aws_ecr_lifecycle_policy")[0].policy as string).rules;
    expect(
      rules.map((r: { selection: { tagStatus: string; countNumber: number } }) => [r.selection.tagStatus, r.selection.countNumber]),
    ).toEqual([
      ["untagged", 7],
      ["any", 200],
    ]);
    expect(parsed.terraform.backend.s3).toMatchObject({ key: "webapp-images/terraform.tfstate" });
    expect(Object.keys(parsed.output!)).toEqual(["repository_urls"]);
  });

  it("the examples' project has its own", () => {
    const names = resourcesOf(committedStack("ex-images").parsed, "aws_ecr_repository").map((r) => r.name);
    expect(names).toContain("ex/api");
    expect(names.every((n) => String(n).startsWith("ex/"))).toBe(true);
  });

  it("lets a deliberate ALLOW_DESTROY synth delete repositories that still hold images", () => {
    const [config] = imageStacks([resolveEnvironment("dev", withServices([api]))]);
    const stack = (allowDestroy: boolean) =>
      JSON.parse(Testing.synth(new ImagesStack(Testing.app(), config, { ...SETTINGS, allowDestroy }))) as TerraformJson;
    expect(resourcesOf(stack(false), "aws_ecr_repository")[0].force_delete).toBe(false);
    expect(resourcesOf(stack(true), "aws_ecr_repository")[0].force_delete).toBe(true);
  });

  it("a project in two regions gets one stack in each, named after it", () => {
    const stacks = imageStacks([
      resolveEnvironment("dev", withServices([api, { ...worker, connectsTo: [] }])),
      resolveEnvironment("dr", { ...withServices([api]), region: "us-west-2" }),
      resolveEnvironment("quiet", validInput()),
    ]);
    expect(stacks.map((s) => [s.name, s.region, s.repositories])).toEqual([
      ["webapp-images-us-east-1", "us-east-1", ["api", "worker"]],
      ["webapp-images-us-west-2", "us-west-2", ["api"]],
    ]);
  });

  it("an environment named like its project's images stack is refused", () => {
    expect(() => imageStacks([resolveEnvironment("webapp-images", withServices([api]))])).toThrow(ConfigError);
    expect(() => imageStacks([resolveEnvironment("webapp-images", withServices([api]))])).toThrow(
      'environment "webapp-images": (file): "webapp-images" is the name of the project\'s images stack; rename the definition',
    );
  });
});
