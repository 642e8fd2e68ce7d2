#!/usr/bin/env node
// The package's `tributary` bin. The CLI is TypeScript run through ts-node, as every script of this package is.
require("ts-node").register({
  transpileOnly: true,
  project: require("node:path").join(__dirname, "..", "..", "tsconfig.json"),
});
require("./index.ts");
