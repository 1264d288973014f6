import { releaseHistory, rollbackTarget, type ParameterVersion } from "../scripts/lib/rollback";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 12, minute));
const A = "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000";
const B = "bbbb1111bbbb1111bbbb1111bbbb1111bbbb1111";
const C = "cccc2222cccc2222cccc2222cccc2222cccc2222";

// As SSM returns a release parameter's history: the definition's tag first, then each recorded commit (B twice: a rerun).
const versions: ParameterVersion[] = [
  { version: 1, value: "1.0.0", modified: at(0) },
  { version: 2, value: A, modified: at(10) },
  { version: 3, value: B, modified: at(20) },
  { version: 4, value: B, modified: at(25) },
  { version: 5, value: C, modified: at(30) },
];

describe("the release history", () => {
  it("lists each release once, newest first, with the version and time that recorded it", () => {
    expect(releaseHistory([...versions].reverse())).toEqual([
      { version: 5, tag: C, at: at(30) },
      { version: 3, tag: B, at: at(20) },
      { version: 2, tag: A, at: at(10) },
      { version: 1, tag: "1.0.0", at: at(0) },
    ]);
  });
});

describe("the release a rollback goes back to", () => {
  const history = releaseHistory(versions);

  it("is the one before the current by default", () => {
    expect(rollbackTarget(history)).toEqual({ target: { version: 3, tag: B, at: at(20) } });
  });

  it("is the one --to names, by its commit id or a prefix of 7 or more characters", () => {
    expect(rollbackTarget(history, A)).toMatchObject({ target: { tag: A } });
    expect(rollbackTarget(history, "aaaa000")).toMatchObject({ target: { tag: A } });
    expect(rollbackTarget(history, "1.0.0")).toMatchObject({ target: { tag: "1.0.0" } });
  });

  it("says why there is none: unknown, too short to tell, the current one, or nothing before it", () => {
    expect(rollbackTarget(history, "dddd000")).toEqual({ error: expect.stringContaining("no recorded release is dddd000") });
    expect(rollbackTarget(history, "aaaa")).toEqual({ error: expect.stringContaining("no recorded release is aaaa") });
    expect(rollbackTarget(history, C)).toEqual({ error: `${C} is the current release already` });
    expect(rollbackTarget(releaseHistory(versions.slice(0, 1)))).toEqual({ error: expect.stringContaining("nothing to go back to") });
    expect(rollbackTarget([])).toEqual({ error: "no release is recorded yet" });
  });

  it("refuses a prefix two releases share", () => {
    const twins = releaseHistory([
      { version: 1, value: "abcdef1000", modified: at(0) },
      { version: 2, value: "abcdef1999", modified: at(1) },
      { version: 3, value: C, modified: at(2) },
    ]);
    expect(rollbackTarget(twins, "abcdef1")).toEqual({ error: expect.stringContaining("matches 2 releases") });
  });
});
