/**
 * EventBridge Scheduler's recurring expressions, checked as AWS checks them (the Scheduler user
 * guide, "Schedule types"), so a definition that names one AWS would refuse fails at synth:
 * `rate(<n> minute|minutes|hour|hours|day|days)` and the six-field
 * `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`.
 */

export type RateUnit = "minute" | "hour" | "day";

export interface RateExpression {
  readonly kind: "rate";
  readonly value: number;
  readonly unit: RateUnit;
}

export interface CronExpression {
  readonly kind: "cron";
  readonly minutes: string;
  readonly hours: string;
  readonly dayOfMonth: string;
  readonly month: string;
  readonly dayOfWeek: string;
  readonly year: string;
}

export type ScheduleExpression = RateExpression | CronExpression;

export type Parsed = { readonly ok: true; readonly expression: ScheduleExpression } | { readonly ok: false; readonly reason: string };

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names AWS accepts for the values min, min+1, … */
  readonly names?: readonly string[];
  /** Forms beyond values, ranges, lists and increments that only this field takes. */
  readonly special?: RegExp;
}

const FIELDS: readonly FieldRule[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  // L: last day; nW: the weekday nearest day n; LW: the last weekday.
  { name: "day-of-month", min: 1, max: 31, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS },
  // L: Saturday; nL: the last day n of the month; n#k: the k-th day n of the month.
  { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS, special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/ },
  { name: "year", min: 1970, max: 2199 },
];

function value(rule: FieldRule, text: string): number | undefined {
  const named = rule.names?.indexOf(text) ?? -1;
  if (named >= 0) return rule.min + named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= rule.min && n <= rule.max ? n : undefined;
}

/** Why one cron field is refused, or undefined when AWS takes it. */
function fieldProblem(rule: FieldRule, field: string): string | undefined {
  const bad = `${rule.name} "${field}" is not a value ${rule.min}-${rule.max}${rule.names ? ` (or ${rule.names[0]}-${rule.names[rule.names.length - 1]})` : ""}, a range a-b, a list a,b, an increment a/n or *`;
  if (field === "*") return undefined;
  for (const item of field.split(",")) {
    if (rule.special?.test(item)) {
      if (field.includes(",")) return `${rule.name} "${field}": ${item} cannot be part of a list`;
      continue;
    }
    const [base, step, extra] = item.split("/");
    if (extra !== undefined) return bad;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1 && Number(step) <= rule.max)) return bad;
    if (base === "*" && step !== undefined) continue;
    const [from, to, more] = base.split("-");
    if (more !== undefined) return bad;
    const start = value(rule, from);
    if (start === undefined) return bad;
    if (to !== undefined) {
      const end = value(rule, to);
      if (end === undefined) return bad;
      if (end < start) return `${rule.name} "${field}": the range ${base} runs backwards`;
    }
  }
  return undefined;
}

function parseCron(body: string): Parsed {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    return {
      ok: false,
      reason: `cron(...) takes 6 fields (minutes hours day-of-month month day-of-week year), and this has ${fields.length}`,
    };
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields.map((f) => f.toUpperCase());
  if ((dayOfMonth === "?") === (dayOfWeek === "?"))
    return { ok: false, reason: "cron(...) needs ? in exactly one of day-of-month and day-of-week" };
  for (const [i, field] of [minutes, hours, dayOfMonth, month, dayOfWeek, year].entries()) {
    if (field === "?" && (i === 2 || i === 4)) continue;
    const problem = fieldProblem(FIELDS[i], field);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, expression: { kind: "cron", minutes, hours, dayOfMonth, month, dayOfWeek, year } };
}

function parseRate(body: string): Parsed {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) return { ok: false, reason: "rate(...) takes a whole number and minute(s), hour(s) or day(s), e.g. rate(15 minutes)" };
  const n = Number(match[1]);
  if (n < 1) return { ok: false, reason: "rate(...) runs at most once a minute: give 1 or more" };
  const unit = match[2].replace(/s$/, "") as RateUnit;
  if ((n === 1) !== (match[2] === unit))
    return { ok: false, reason: `rate(...) takes ${n === 1 ? `"1 ${unit}"` : `"${n} ${unit}s"`}: the unit is singular for 1 only` };
  return { ok: true, expression: { kind: "rate", value: n, unit } };
}

/** Parses a recurring EventBridge Scheduler expression (not the one-time at(...)). */
export function parseScheduleExpression(text: string): Parsed {
  const match = /^(cron|rate)\((.*)\)$/.exec(text);
  if (!match) return { ok: false, reason: 'must be cron(...) or rate(...), e.g. "cron(0 3 * * ? *)" or "rate(1 hour)"' };
  return match[1] === "cron" ? parseCron(match[2]) : parseRate(match[2]);
}

/** The shortest interval a rate runs at, in minutes. */
export function rateMinutes(rate: RateExpression): number {
  return rate.value * { minute: 1, hour: 60, day: 1440 }[rate.unit];
}
