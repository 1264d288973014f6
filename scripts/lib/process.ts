import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Set when the command outlived its `timeoutSeconds` and was stopped. */
  readonly timedOut?: boolean;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Stops the command after this long: SIGINT first (Terraform then cancels, saves its state and
   * releases its lock), SIGKILL if it is still there 30 s later. The result has `timedOut` set.
   * @default no limit
   */
  readonly timeoutSeconds?: number;
}

/** What `run` starts, exposed to a caller that signals it at a moment of its choosing. */
export interface Running {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly result: Promise<RunResult>;
}

/** Starts a command, capturing its output; the result never rejects on a non-zero exit or a timeout. */
export function start(command: string, args: readonly string[], options: RunOptions = {}): Running {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  const result = new Promise<RunResult>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    if (options.timeoutSeconds !== undefined)
      timers.push(
        setTimeout(() => {
          timedOut = true;
          child.kill("SIGINT");
          timers.push(setTimeout(() => child.kill("SIGKILL"), 30_000));
        }, options.timeoutSeconds * 1000),
      );
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      timers.forEach(clearTimeout);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, seconds, ...(timedOut ? { timedOut } : {}) });
    });
  });
  return { child, result };
}

/** Runs a command to completion, capturing its output; never throws on a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return start(command, args, options).result;
}

/** Maps items through `fn` with at most `limit` in flight, keeping their order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Prints rows as an aligned plain-text table. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}
