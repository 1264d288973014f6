/**
 * `npm run local-aws`: starts the local AWS (patched moto) in the foreground, makes in it what
 * the README's first deploy makes before an environment (the state bucket, the images stacks,
 * every image the definitions name), and prints what to export so `npx cdktf deploy <env>`
 * deploys there. Ctrl-C stops it; everything it held is gone.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../src/config/load";
import { applyBootstrap, applyImagesAndPush } from "./lib/bootstrap";
import { startLocalAws } from "./lib/local-aws";
import { ENVIRONMENTS_DIR, EXAMPLES_DIR, ROOT, synthAll, terraformEnv } from "./lib/terraform";

const WORK_DIR = join(ROOT, ".local", "local-aws");

async function main(): Promise<void> {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const localAws = await startLocalAws();
  const outDir = join(WORK_DIR, "cdktf.out");
  await synthAll(outDir, { LOCAL_AWS_ENDPOINT: localAws.endpoint });
  const env = terraformEnv();
  const { stateBucket } = await applyBootstrap(outDir, join(WORK_DIR, "bootstrap.tfstate"), env);
  // Then the README's next steps: the images stacks, and every image the definitions name.
  await synthAll(outDir, { LOCAL_AWS_ENDPOINT: localAws.endpoint, TF_STATE_BUCKET: stateBucket });
  const pushed = await applyImagesAndPush(outDir, loadEnvironments(ENVIRONMENTS_DIR, EXAMPLES_DIR), env, localAws.endpoint);

  const exports = [
    `LOCAL_AWS_ENDPOINT=${localAws.endpoint}`,
    `TF_STATE_BUCKET=${stateBucket}`,
    ...(env.TF_CLI_CONFIG_FILE ? [`TF_CLI_CONFIG_FILE=${env.TF_CLI_CONFIG_FILE}`] : []),
  ];
  console.log(`Local AWS at ${localAws.endpoint}: state bucket ${stateBucket}, the images stacks, ${pushed} images. In another shell:

  export ${exports.join(" ")}
  npx cdktf deploy dev --auto-approve --skip-provider-lock
  npx cdktf destroy dev --auto-approve

Ctrl-C here stops it.`);
  const stop = () => void localAws.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
