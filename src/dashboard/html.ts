/** The dashboard's two HTML documents: the app shell and the login form. Nothing here embeds data. */
import { VERSION } from "../version.ts";
import { escapeHtml } from "./security.ts";

export function shellPage(options: { basePath: string; writeEnabled: boolean; authenticated: boolean; pollMs: number }): string {
  const base = escapeHtml(options.basePath);
  const v = escapeHtml(VERSION);
  const nav = [
    ["overview", "Overview"],
    ["jobs", "Jobs"],
    ["dead-letter", "Dead letters"],
    ["workers", "Workers"],
    ["schedules", "Schedules"],
  ]
    .map(([key, label]) => `<a href="#/${key}" data-page="${key}">${label}</a>`)
    .join("");
  const logout = options.authenticated
    ? `<form method="post" action="${base}/logout"><button type="submit">Log out</button></form>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Soniq Dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/app.css?v=${v}">
<script src="${base}/assets/app.js?v=${v}" defer></script>
</head>
<body data-base="${base}" data-write="${options.writeEnabled ? "true" : "false"}" data-poll="${options.pollMs}">
<header class="top">
<a class="brand" href="#/overview">Soniq</a>
<nav>${nav}</nav>
<span class="spacer"></span>
<span id="live" class="live"><span class="dot"></span><span id="live-text">connecting…</span></span>
<button id="pause" type="button">Pause live</button>
<span class="muted">${options.writeEnabled ? "read/write" : "read-only"}</span>
${logout}
</header>
<main id="app"><noscript>The Soniq dashboard needs JavaScript. The JSON API is under ${base}/api/.</noscript></main>
</body>
</html>
`;
}

export function loginPage(options: { basePath: string; error?: string }): string {
  const base = escapeHtml(options.basePath);
  const error = options.error ? `<p class="error">${escapeHtml(options.error)}</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Soniq Dashboard</title>
<link rel="icon" href="data:,">
<style>
:root { color-scheme: light dark; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; display: flex; min-height: 100vh; margin: 0; align-items: center; justify-content: center; background: Canvas; color: CanvasText; }
form { border: 1px solid color-mix(in srgb, CanvasText 20%, transparent); border-radius: 10px; padding: 24px 28px; width: 320px; }
h1 { font-size: 18px; margin: 0 0 14px; }
label { display: block; font-size: 13px; margin-bottom: 6px; }
input, button { font: inherit; width: 100%; padding: 7px 9px; border-radius: 6px; border: 1px solid color-mix(in srgb, CanvasText 30%, transparent); box-sizing: border-box; }
button { margin-top: 12px; cursor: pointer; }
.error { color: #d64545; font-size: 13px; }
</style>
</head>
<body>
<form method="post" action="${base}/login">
<h1>Soniq Dashboard</h1>
${error}
<label for="api_key">API key</label>
<input id="api_key" name="api_key" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
