import { Testing } from "cdktf";

// Adds cdktf's toHaveResource / toHaveResourceWithProperties matchers to expect.
Testing.setupJest();
