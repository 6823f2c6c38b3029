#!/usr/bin/env bun
/**
 * The `soniq` command line (see docs/cli.md). Also the entry of the single-file binary
 * (`bun run build` -> dist/soniq).
 *
 * Job modules that `soniq worker` loads at run time `import { Soniq } from "soniq"`. The
 * plugin below hands them this very copy of the library, so the compiled binary needs no
 * node_modules next to the job modules, and `instanceof Soniq` (how the worker finds the
 * app the modules built) holds. It is registered before any job module is imported.
 */
import * as lib from "../src/index.ts";
import { runAndExit } from "../src/cli/main.ts";

Bun.plugin({
  name: "soniq-self",
  setup(build) {
    build.module("soniq", () => ({ exports: lib as unknown as Record<string, unknown>, loader: "object" }));
  },
});

await runAndExit(process.argv.slice(2));
