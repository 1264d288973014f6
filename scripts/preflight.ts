/**
 * `npm run preflight -- <environment>`: what a deploy needs that Terraform does not create, read
 * from the live account (or the local AWS with LOCAL_AWS_ENDPOINT): the project's image
 * repositories, and in them every image the environment deploys (its release's tag when a
 * pipeline delivers it, else its definition's). One line per image; exits 1, saying what to do,
 * when one is missing. A plan would also stop there, but with the provider's terse message.
 */
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { imageStacks, repositoryName } from "../src/config/image-stacks";
import { loadEnvironments } from "../src/config/load";
import { clientConfig } from "./lib/aws-clients";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR } from "./lib/terraform";

/** The tag a delivered repository's release parameter records, or undefined before its first release. */
async function releasedTag(ssm: SSMClient, parameter: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
  } catch (error) {
    if ((error as { name?: string }).name === "ParameterNotFound") return undefined;
    throw error;
  }
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const environments = loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR);
  const env = environments.find((e) => e.name === name);
  if (!env) {
    console.error(`usage: npm run preflight -- <environment>\n  environments: ${environments.map((e) => e.name).join(", ")}`);
    process.exitCode = 2;
    return;
  }
  const imagesStack = imageStacks(environments).find((s) => s.project === env.project && s.region === env.region);
  const ecr = new ECRClient(clientConfig(env.region));
  const ssm = new SSMClient(clientConfig(env.region));
  const delivered = new Set(env.delivery?.builds.map((b) => b.repository) ?? []);
  const images = new Map<string, string>();
  for (const service of env.services) {
    const repo = service.image.repository;
    const tag = delivered.has(repo)
      ? ((await releasedTag(ssm, `/${env.namePrefix}/release/${repo}`)) ?? service.image.tag)
      : service.image.tag;
    images.set(`${repo}:${tag}`, repo);
  }
  const problems: string[] = [];
  for (const [image, repo] of images) {
    const repository = repositoryName(env.project, repo);
    const tag = image.slice(repo.length + 1);
    try {
      await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }));
      console.log(`ok       ${repository}:${tag}`);
    } catch (error) {
      const code = (error as { name?: string }).name;
      const problem =
        code === "RepositoryNotFoundException"
          ? `repository ${repository} does not exist: deploy the ${imagesStack?.name ?? "images"} stack first (see README, First deploy)`
          : code === "ImageNotFoundException"
            ? `image ${image} is not in ${repository}: push it first (see README, First deploy)`
            : `cannot read ${repository}:${tag}: ${(error as Error).message}`;
      console.log(`MISSING  ${problem}`);
      problems.push(problem);
    }
  }
  if (problems.length > 0) {
    console.error(`\n${env.name} cannot deploy yet:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exitCode = 1;
  } else console.log(`\n${env.name}: every image it deploys is pushed`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
