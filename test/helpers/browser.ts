/**
 * A Chromium for the browser tests, found without the network:
 *
 * 1. `SONIQ_CHROMIUM=/path/to/chrome` when set (it must exist);
 * 2. a system Chromium or Chrome: common paths, then `chromium`, `chromium-browser`,
 *    `google-chrome`, `google-chrome-stable` on PATH;
 * 3. Playwright's own download (`bunx playwright install chromium`), if one is there;
 * 4. the headless Chromium shipped inside the `@sparticuz/chromium` dev dependency (Linux x64): its
 *    brotli files are unpacked once into node_modules/.cache/ (about 3 s), with the NSS libraries and
 *    fonts it ships used when the system lacks them. `bun install` brings it; nothing is downloaded.
 *
 * None found: `findChromium()` throws one message that says what was tried and how to fix it.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const REPO = join(import.meta.dir, "../..");

export interface FoundChromium {
  executablePath: string;
  /** Extra environment for the browser process (library and font paths), merged over process.env. */
  env: Record<string, string>;
  /** Where it came from, for the log line. */
  source: string;
}

const SYSTEM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/opt/google/chrome/chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];
const PATH_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A system Chromium or Chrome, or null. */
export function systemChromium(): string | null {
  for (const path of SYSTEM_PATHS) if (executable(path)) return path;
  for (const name of PATH_NAMES) {
    const path = Bun.which(name);
    if (path && executable(path)) return path;
  }
  return null;
}

/** The Chromium `playwright install` would have downloaded for this playwright-core, if it is there. */
async function playwrightChromium(): Promise<string | null> {
  try {
    const { chromium } = await import("playwright-core");
    const path = chromium.executablePath();
    return path && executable(path) ? path : null;
  } catch {
    return null;
  }
}

/** The bin/ directory and version of the installed @sparticuz/chromium, or null. */
function sparticuzPackage(): { bin: string; version: string } | null {
  try {
    const require = createRequire(join(REPO, "package.json"));
    const pkgJson = require.resolve("@sparticuz/chromium/package.json");
    const version = JSON.parse(readFileSync(pkgJson, "utf8")).version as string;
    const bin = join(dirname(pkgJson), "bin");
    return existsSync(join(bin, "chromium.br")) ? { bin, version } : null;
  } catch {
    return null;
  }
}

/**
 * Unpack @sparticuz/chromium's files (once per version) into node_modules/.cache/soniq-chromium-<version>/:
 * `chromium`, `al2023/lib` (NSS), `fonts/`. The package's own `inflate` writes into the temp
 * directory, so a child process runs it with TMPDIR pointing at a staging directory, renamed when done.
 */
async function unpackSparticuz(bin: string, version: string): Promise<string> {
  const dir = join(REPO, "node_modules/.cache", `soniq-chromium-${version}`);
  if (executable(join(dir, "chromium"))) return dir;
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const script = `import { inflate } from "@sparticuz/chromium";
for (const file of ["chromium.br", "al2023.tar.br", "fonts.tar.br"]) await inflate(${JSON.stringify(bin)} + "/" + file);`;
  const proc = Bun.spawn([process.execPath, "-e", script], { cwd: REPO, env: { ...process.env, TMPDIR: staging }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || !executable(join(staging, "chromium"))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`could not unpack @sparticuz/chromium ${version} from ${bin} (exit ${code}):\n${out}${err}`);
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process unpacked it first: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!executable(join(dir, "chromium"))) throw error;
  }
  return dir;
}

/** Libraries the binary cannot find on this system (`ldd` reports them "not found"); null without ldd. */
function missingLibraries(binary: string): string[] | null {
  try {
    const result = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) return null;
    return result.stdout
      .toString()
      .split("\n")
      .filter((line) => line.includes("not found"))
      .map((line) => line.trim().split(/\s+/)[0]!);
  } catch {
    return null;
  }
}

async function sparticuzChromium(): Promise<FoundChromium | null> {
  if (process.platform !== "linux" || process.arch !== "x64") return null;
  const pkg = sparticuzPackage();
  if (!pkg) return null;
  const dir = await unpackSparticuz(pkg.bin, pkg.version);
  const executablePath = join(dir, "chromium");
  const env: Record<string, string> = {};
  const missing = missingLibraries(executablePath);
  if (missing === null || missing.length > 0) {
    // The package's NSS build (from Amazon Linux 2023) fills in what the system lacks.
    env.LD_LIBRARY_PATH = [join(dir, "al2023/lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  }
  if (!existsSync("/etc/fonts/fonts.conf") && !process.env.FONTCONFIG_PATH) env.FONTCONFIG_PATH = join(dir, "fonts");
  return { executablePath, env, source: `@sparticuz/chromium ${pkg.version} (unpacked in ${dir}${env.LD_LIBRARY_PATH ? ", with its own NSS libraries" : ""})` };
}

/** A Chromium to drive, or an Error saying what was tried. `prefer: "npm"` skips the system's (tests of this helper). */
export async function findChromium(options: { prefer?: "system" | "npm" } = {}): Promise<FoundChromium> {
  const explicit = process.env.SONIQ_CHROMIUM;
  if (explicit) {
    if (!executable(explicit)) throw new Error(`SONIQ_CHROMIUM=${explicit} is not an executable file.`);
    return { executablePath: explicit, env: {}, source: `SONIQ_CHROMIUM (${explicit})` };
  }
  if (options.prefer !== "npm") {
    const system = systemChromium();
    if (system) return { executablePath: system, env: {}, source: `system (${system})` };
    const playwright = await playwrightChromium();
    if (playwright) return { executablePath: playwright, env: {}, source: `Playwright's download (${playwright})` };
  }
  const shipped = await sparticuzChromium();
  if (shipped) return shipped;
  throw new Error(
    "No Chromium for the browser tests. Tried: SONIQ_CHROMIUM (unset); " +
      `${SYSTEM_PATHS.join(", ")}; ${PATH_NAMES.join(", ")} on PATH; Playwright's download; ` +
      `the @sparticuz/chromium dev dependency (${process.platform}/${process.arch}: ${process.platform === "linux" && process.arch === "x64" ? "not installed: run `bun install`" : "ships Linux x64 only"}). ` +
      "Install one (`apt-get install -y chromium`, or `bunx playwright install chromium`), point SONIQ_CHROMIUM at one, " +
      "or set SONIQ_SKIP_BROWSER_TESTS=1 to skip the browser tests.",
  );
}

/** Flags for a headless Chromium in a container (root, no GPU, no background traffic). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
