/** `npm run test:local-aws`: the local AWS patch layer's own tests (pytest, in the managed virtualenv). */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureVenv, VENV_PYTHON } from "./lib/local-aws";
import { ROOT } from "./lib/terraform";

ensureVenv()
  .then(() => {
    const result = spawnSync(VENV_PYTHON, ["-m", "pytest", "-q", join(ROOT, "local-aws")], { stdio: "inherit", cwd: ROOT });
    process.exitCode = result.status ?? 1;
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
