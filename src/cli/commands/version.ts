import { defineCommand } from "citty";
import { VERSION } from "../../version.ts";
import { out } from "../output.ts";

/** `soniq version`: the library version this CLI was built from. */
export const version = defineCommand({
  meta: { name: "version", description: "Print the Soniq version" },
  args: {},
  run() {
    out(VERSION);
  },
});
