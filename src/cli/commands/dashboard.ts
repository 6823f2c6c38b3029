import { defineCommand } from "citty";
import { createDashboard } from "../../dashboard/index.ts";
import { envList, LOOPBACK_HOSTS } from "../../dashboard/security.ts";
import { buildApp, dbArgs, errorMessage, intFlag, redactUrl, stringFlag } from "../app.ts";
import { CliError } from "../exit.ts";
import { flushOutput, note, out } from "../output.ts";

const LOOPBACK_BINDS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** `soniq dashboard`: serve the web UI, the JSON API and /metrics until SIGINT/SIGTERM. */
export const dashboard = defineCommand({
  meta: { name: "dashboard", description: "Serve the web dashboard, its JSON API and Prometheus /metrics" },
  args: {
    host: {
      type: "string",
      valueHint: "addr",
      description: "interface to bind (default 127.0.0.1; binding elsewhere without SONIQ_DASHBOARD_API_KEY prints a warning)",
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
    try {
      await app.ensureInitialized();
      await app.getQueueStats();
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(`cannot read the queue at ${redactUrl(app.settings.databaseUrl)}: ${errorMessage(error)} (did you run \`soniq setup\`?)`);
    }

    const loopback = LOOPBACK_BINDS.has(host.toLowerCase());
    const envHosts = envList(process.env.SONIQ_DASHBOARD_ALLOWED_HOSTS);
    let dash;
    try {
      dash = createDashboard(app, {
        ...(basePath !== undefined ? { basePath } : {}),
        // On a loopback bind only localhost names are answered: a web page cannot reach the
        // dashboard through DNS rebinding. Extend with SONIQ_DASHBOARD_ALLOWED_HOSTS.
        allowedHosts: envHosts.length ? envHosts : loopback ? [...LOOPBACK_HOSTS] : null,
      });
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(errorMessage(error));
    }

    let server: ReturnType<typeof Bun.serve>;
    try {
      server = Bun.serve({ hostname: host, port, fetch: (req) => dash.fetch(req) });
    } catch (error) {
      await app.close().catch(() => {});
      throw new CliError(`cannot listen on ${host}:${port}: ${errorMessage(error)}`);
    }
    const shownHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    out(`Soniq dashboard on http://${shownHost}:${server.port}${dash.basePath}/`);
    out(`  database: ${redactUrl(app.settings.databaseUrl)} (${app.backend.kind})`);
    out(`  mode: ${dash.writeEnabled ? "read/write" : "read-only (set SONIQ_DASHBOARD_WRITE_ENABLED=1 to allow replay, delete, pause, trigger)"}`);
    out(`  auth: ${dash.authRequired ? "API key required (X-API-Key header or the login form)" : "none (set SONIQ_DASHBOARD_API_KEY to require a key)"}`);
    out(`  metrics: http://${shownHost}:${server.port}${dash.basePath}/metrics`);
    if (!loopback && !dash.authRequired) {
      note(`warning: the dashboard listens on ${host} without an API key: anyone who can reach this port can read your jobs${dash.writeEnabled ? " and change them" : ""}. Set SONIQ_DASHBOARD_API_KEY.`);
    }
    await flushOutput();

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    note("soniq dashboard: stopping");
    await server.stop(true);
    await app.close().catch(() => {});
  },
});
