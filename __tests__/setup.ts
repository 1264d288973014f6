import { Testing } from "cdktf";
import { removeScratchDirs } from "./scratch";

// Adds cdktf's toHaveResource / toHaveResourceWithProperties matchers to expect.
Testing.setupJest();

afterAll(removeScratchDirs);
