/** The dashboard's stylesheet, served from the module (no CDN, no web fonts). */
export const CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --text: #1c2330; --muted: #5d6778; --border: #dde1e8;
  --accent: #2f6fde; --ok: #1f9d55; --warn: #c27c0e; --bad: #d64545; --info: #6b5fd3; --neutral: #8a94a6;
  --code: #f0f2f5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11151c; --panel: #1a2029; --text: #e4e8ef; --muted: #9aa5b8; --border: #2c3442;
    --accent: #6b9cff; --ok: #3ecf7c; --warn: #f0ad3c; --bad: #ff6b6b; --info: #a192ff; --neutral: #8a94a6;
    --code: #141920;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 18px; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--border); position: sticky; top: 0; z-index: 2; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 16px; color: var(--text); }
header.top nav { display: flex; gap: 4px; flex-wrap: wrap; }
header.top nav a { padding: 6px 10px; border-radius: 6px; color: var(--muted); }
header.top nav a.active { background: var(--bg); color: var(--text); font-weight: 600; }
header.top .spacer { flex: 1; }
.live { color: var(--muted); font-size: 12px; display: flex; align-items: center; gap: 8px; }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ok); display: inline-block; }
.live.paused .dot { background: var(--neutral); }
.live.error .dot { background: var(--bad); }
main { padding: 18px 20px 40px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 14px; }
h2 { font-size: 15px; margin: 0 0 10px; }
.banner { padding: 8px 12px; border-radius: 6px; background: var(--panel); border: 1px solid var(--border); color: var(--muted); margin-bottom: 14px; font-size: 13px; }
.banner.warn { border-color: var(--warn); color: var(--warn); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; margin-bottom: 18px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; display: block; color: var(--text); }
.card:hover { text-decoration: none; border-color: var(--accent); }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; margin-bottom: 18px; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 14px; margin-bottom: 16px; overflow-x: auto; }
.panel-head { display: flex; align-items: center; justify-content: space-between; gap: 10px; margin-bottom: 8px; flex-wrap: wrap; }
.panel-head h2 { margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
td.num, th.num { text-align: right; }
tr.clickable { cursor: pointer; }
tr.clickable:hover td { background: var(--bg); }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
td.err { color: var(--bad); max-width: 380px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.empty { color: var(--muted); padding: 18px 8px; text-align: center; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--neutral); white-space: nowrap; }
.badge.queued { background: var(--info); }
.badge.processing { background: var(--accent); }
.badge.done, .badge.active { background: var(--ok); }
.badge.cancelled, .badge.stopped { background: var(--neutral); }
.badge.dead_letter, .badge.stale { background: var(--bad); }
.badge.paused, .badge.stopping { background: var(--warn); }
form.filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: flex-end; margin-bottom: 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
input, select, button { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 5px 9px; }
input[type=checkbox] { padding: 0; }
button { cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: not-allowed; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
.actions { display: flex; gap: 6px; flex-wrap: wrap; }
.pager { display: flex; gap: 10px; align-items: center; margin-top: 10px; color: var(--muted); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; word-break: break-all; }
pre { background: var(--code); border: 1px solid var(--border); border-radius: 6px; padding: 10px; overflow: auto; max-height: 420px; margin: 0; font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
pre.error { color: var(--bad); }
.chart svg { width: 100%; height: auto; display: block; }
.chart .axis { stroke: var(--border); stroke-width: 1; }
.chart .grid { stroke: var(--border); stroke-width: 1; stroke-dasharray: 3 3; }
.chart text { fill: var(--muted); font-size: 10px; }
.chart .s-completed { fill: var(--ok); }
.chart .s-dead { fill: var(--bad); }
.chart .s-enqueued { stroke: var(--info); fill: none; stroke-width: 2; }
.chart .s-rate { stroke: var(--bad); fill: none; stroke-width: 2; }
.chart .dot-rate { fill: var(--bad); }
.legend { display: flex; gap: 14px; color: var(--muted); font-size: 12px; margin-top: 6px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .completed { background: var(--ok); } .legend .dead { background: var(--bad); } .legend .enqueued { background: var(--info); } .legend .rate { background: var(--bad); }
.agebar { height: 6px; border-radius: 3px; background: var(--warn); min-width: 2px; }
.agecell { display: flex; align-items: center; gap: 8px; min-width: 160px; }
.agecell .agebar-wrap { flex: 1; background: var(--bg); border-radius: 3px; }
.toast { position: fixed; right: 16px; bottom: 16px; padding: 10px 14px; border-radius: 8px; background: var(--panel); border: 1px solid var(--border); box-shadow: 0 4px 16px rgba(0,0,0,.15); max-width: 420px; z-index: 5; }
.toast.error { border-color: var(--bad); color: var(--bad); }
.toast.ok { border-color: var(--ok); }
.muted { color: var(--muted); }
.range { display: flex; gap: 4px; }
.range button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
`;
