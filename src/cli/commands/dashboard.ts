import { defineCommand } from "citty";
import { createDashboard } from "../../dashboard/index.ts";
import { forceExit, onShutdownSignals } from "../../core/signals.ts";
import { envList, isLoopbackAddress, LOOPBACK_HOSTS } from "../../dashboard/security.ts";
import { buildApp, dbArgs, errorMessage, intFlag, redactUrl, stringFlag } from "../app.ts";
import { CliError } from "../exit.ts";
import { flushOutput, note, out } from "../output.ts";

/** The Host names a loopback bind answers to: the localhost names and the bound address itself (127.0.0.2, ...). */
function loopbackHosts(host: string): string[] {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  const own = bare.includes(":") ? `[${bare}]` : bare;
  return LOOPBACK_HOSTS.includes(own) ? [...LOOPBACK_HOSTS] : [...LOOPBACK_HOSTS, own];
}

/** `soniq dashboard`: serve the web UI, the JSON API and /metrics until SIGINT/SIGTERM/SIGHUP. */
export const dashboard = defineCommand({
  meta: { name: "dashboard", description: "Serve the web dashboard, its JSON API and Prometheus /metrics" },
  args: {
    host: {
      type: "string",
      valueHint: "addr",
      description:
        "interface to bind (default 127.0.0.1); elsewhere without SONIQ_DASHBOARD_API_KEY the dashboard is read-only (with a warning), and write mode refuses to start",
    },
    port: { type: "string", valueHint: "n", description: "port, 0 for any free one (default 6161)" },
    "base-path": { type: "string", valueHint: "path", description: "serve under this path prefix, e.g. /admin/queue (default: /)" },
    ...dbArgs,
  },
  async run({ args }) {
    const host = stringFlag(args.host, "--host") ?? "127.0.0.1";
    const port = intFlag(args.port, "--port", { min: 0, max: 65535 }) ?? 6161;
    const basePath = stringFlag(args["base-path"], "--base-path");
    const app = buildApp(args);

    const loopback = host.toLowerCase() === "localhost" || isLoopbackAddress(host);
    const envHosts = envList(process.env.SONIQ_DASHBOARD_ALLOWED_HOSTS);
    let dash;
    try {
      dash = createDashboard(app, {
        ...(basePath !== undefined ? { basePath } : {}),
        // On a loopback bind only localhost names are answered: a web page cannot reach the
        // dashboard through DNS rebinding. Extend with SONIQ_DASHBOARD_ALLOWED_HOSTS.
        allowedHosts: envHosts.length ? envHosts : loopback ? loopbackHosts(host) : null,
      });
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(errorMessage(error));
    }
    // Fail closed: writes without a key are only ever accepted from loopback clients, so on any
    // other interface they would be refused anyway; say so now rather than serve a broken mode.
    if (!loopback && dash.writeEnabled && !dash.authRequired) {
      await app.close().catch(() => {});
      throw new CliError(
        `refusing to serve writes on ${host} without an API key: set SONIQ_DASHBOARD_API_KEY (e.g. $(openssl rand -hex 24)), ` +
          "or bind loopback (--host 127.0.0.1), or drop SONIQ_DASHBOARD_WRITE_ENABLED for a read-only dashboard",
      );
    }

    try {
      await app.ensureInitialized();
      await app.getQueueStats();
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(`cannot read the queue at ${redactUrl(app.settings.databaseUrl)}: ${errorMessage(error)} (did you run \`soniq setup\`?)`);
    }

    // First SIGINT/SIGTERM/SIGHUP: stop serving and exit 0. Second: exit 130 at once. Installed
    // before the URL is printed, so a signal right after it never finds the default handler.
    let requestStop!: () => void;
    const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
    onShutdownSignals({
      onFirst: () => requestStop(),
      onSecond(signal) {
        note(`soniq dashboard: second ${signal}, exiting now`);
        forceExit(() => flushOutput());
      },
    });

    let server: ReturnType<typeof Bun.serve>;
    try {
      // The server is passed on so the dashboard sees each client's address (keyless writes: loopback only).
      server = Bun.serve({ hostname: host, port, fetch: (req, srv) => dash.fetch(req, srv) });
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(`cannot listen on ${host}:${port}: ${errorMessage(error)}`);
    }
    const shownHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    out(`Soniq dashboard on http://${shownHost}:${server.port}${dash.basePath}/`);
    out(`  database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind})`);
    out(
      `  mode: ${
        dash.writeEnabled
          ? dash.authRequired
            ? "read/write"
            : "read/write from this machine only (set SONIQ_DASHBOARD_API_KEY to write from elsewhere)"
          : "read-only (set SONIQ_DASHBOARD_WRITE_ENABLED=1 to allow replay, delete, pause, trigger)"
      }`,
    );
    out(`  auth: ${dash.authRequired ? "API key required (X-API-Key header or the login form)" : "none (set SONIQ_DASHBOARD_API_KEY to require a key)"}`);
    out(`  metrics: http://${shownHost}:${server.port}${dash.basePath}/metrics`);
    if (!loopback && !dash.authRequired) {
      note(`warning: the dashboard listens on ${host} without an API key: anyone who can reach this port can read your jobs. Set SONIQ_DASHBOARD_API_KEY.`);
    }
    await flushOutput();

    await stopRequested;
    note("soniq dashboard: stopping");
    await server.stop(true);
    await app.close().catch(() => {});
  },
});
