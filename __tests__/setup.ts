import { Testing } from "cdktf";
import { sep } from "node:path";
import { removeScratchDirs } from "./scratch";

// cdktf records a stack trace for every token it creates, to show if the token is misused. Jest
// maps each trace through source maps, which made a synth three times slower under jest than in
// the CLI. Traces taken inside cdktf's own code keep V8's format; every other one, a failing
// test's included, is still mapped to the TypeScript source.
const CDKTF_LIB = `${sep}node_modules${sep}cdktf${sep}lib${sep}`;
const mappedStackTrace = Error.prepareStackTrace;
Error.prepareStackTrace = (error, frames) =>
  frames[0]?.getFileName()?.includes(CDKTF_LIB)
    ? [String(error), ...frames.map((frame) => `    at ${String(frame)}`)].join("\n")
    : mappedStackTrace?.(error, frames);

// Adds cdktf's toHaveResource / toHaveResourceWithProperties matchers to expect.
Testing.setupJest();

afterAll(removeScratchDirs);
