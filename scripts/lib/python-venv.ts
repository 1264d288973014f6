import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process";
import { ROOT } from "./terraform";

/**
 * Creates `.local/<name>` from a pinned requirements file, or refreshes it when the file changed,
 * and returns its python. The project installs its Python tools itself: nothing is assumed on
 * the machine but python3.
 */
export async function ensurePythonVenv(name: string, requirements: string, log: (line: string) => void = console.log): Promise<string> {
  const venv = join(ROOT, ".local", name);
  const python = join(venv, "bin", "python");
  const digest = createHash("sha256").update(readFileSync(requirements)).digest("hex");
  const stamp = join(venv, ".requirements.sha256");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return python;
  log(`installing ${requirements.slice(ROOT.length + 1)} into ${venv}`);
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", "--clear", venv]],
    [python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements]],
  ];
  for (const [command, args] of steps) {
    const result = await run(command, args);
    if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
  }
  writeFileSync(stamp, digest);
  return python;
}
