/**
 * One line per step as it finishes: time since the command started, what the step belongs to
 * (a stack), the step, its outcome and duration. Long commands are never silent for minutes,
 * and steps of concurrent jobs interleave readably.
 */
export class Progress {
  private readonly started = Date.now();
  /** Every finished step, for the summary table. */
  readonly steps: { subject: string; name: string; outcome: string; seconds: number }[] = [];

  constructor(private readonly subjectWidth = 14) {}

  /** Seconds since the command started. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Runs `fn` as step `name` of `subject`, and prints its outcome when it ends (and rethrows a failure). */
  async step<T>(subject: string, name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const result = await fn();
      this.line(subject, name, "ok", (Date.now() - started) / 1000);
      return result;
    } catch (error) {
      this.line(subject, name, "FAILED", (Date.now() - started) / 1000);
      throw error;
    }
  }

  /** A line about `subject` that is not a timed step. */
  note(subject: string, text: string): void {
    console.log(`${this.prefix(subject)} ${text}`);
  }

  /** The summary table's rows: subject, step, outcome, seconds; then the total. */
  summary(): string[][] {
    return [...this.steps.map((s) => [s.subject, s.name, s.outcome, s.seconds.toFixed(1)]), ["total", "", "", this.elapsed().toFixed(1)]];
  }

  /** Prints a step timed elsewhere (one that ran concurrently, or whose failure is a result rather than an error). */
  report(subject: string, name: string, outcome: string, seconds: number): void {
    this.line(subject, name, outcome, seconds);
  }

  private line(subject: string, name: string, outcome: string, seconds: number): void {
    this.steps.push({ subject, name, outcome, seconds });
    console.log(`${this.prefix(subject)} ${name.padEnd(32)} ${outcome.padEnd(6)} ${seconds.toFixed(1).padStart(6)} s`);
  }

  private prefix(subject: string): string {
    return `[${this.elapsed().toFixed(0).padStart(5)} s] ${subject.padEnd(this.subjectWidth)}`;
  }
}
