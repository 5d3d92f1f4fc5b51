/**
 * The dashboard's one page: HTML, CSS and a little JavaScript, shipped as
 * strings inside crude-link (no CDN, no build step: it works offline and in
 * the compiled binary). The script is served from the same origin, so the
 * Content-Security-Policy needs no inline script or style. It renders every
 * value from the history, the config and the log with `textContent` (never
 * as HTML), so a step that prints `<script>` shows it literally.
 *
 * @module
 */

/** The page, the same for the list of runs (`/`) and a run (`/runs/<id>`). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>crude-link</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">crude-link</a>
  <span id="config-path" class="muted"></span>
  <span id="live" class="live">connecting…</span>
</header>
<main>
  <p id="error" class="error banner" hidden></p>
  <section id="overview" class="cards" hidden>
    <div class="card">
      <h2>Scheduler</h2>
      <p id="scheduler"></p>
    </div>
    <div class="card">
      <h2>Schedule</h2>
      <p id="schedule-words"></p>
      <p id="schedule-cron" class="muted mono"></p>
      <ol id="next-fires" class="mono"></ol>
    </div>
    <div class="card">
      <h2>Config</h2>
      <p id="config-steps"></p>
      <p id="config-error" class="error" hidden></p>
      <p id="history-path" class="muted"></p>
      <details><summary>config file</summary><pre id="config-text"></pre></details>
    </div>
  </section>
  <section id="runs-view" hidden>
    <h1>Runs <span id="run-count" class="muted"></span></h1>
    <table id="runs">
      <thead><tr><th>run</th><th>status</th><th>trigger</th><th>started</th><th class="num">duration</th><th>failed step</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="runs-empty" class="empty" hidden>No runs recorded yet. They appear here as they start.</p>
    <nav class="pager"><a id="newer" href="/" hidden>← newest runs</a><a id="older" hidden>older runs →</a></nav>
  </section>
  <section id="run-view" hidden>
    <p class="back"><a href="/">← all runs</a></p>
    <h1><span id="run-id" class="mono"></span> <span id="run-status" class="badge"></span></h1>
    <p id="run-meta" class="muted"></p>
    <p id="run-failed" class="error" hidden></p>
    <h2>Steps</h2>
    <table id="steps">
      <thead><tr><th>step</th><th>status</th><th class="num">attempts</th><th class="num">duration</th><th>exit</th></tr></thead>
      <tbody></tbody>
    </table>
    <h2>Timeline</h2>
    <div id="timeline" class="timeline"></div>
    <h2>Output</h2>
    <div class="output-tools">
      <label>step <select id="out-step"><option value="">all steps</option></select></label>
      <label><input type="checkbox" id="out-own" checked> crude-link's own lines</label>
      <span class="legend"><span class="tag out">out</span> stdout <span class="tag err">err</span> stderr</span>
      <span id="out-note" class="muted"></span>
    </div>
    <div id="output" class="output mono" role="log" aria-live="polite"></div>
  </section>
</main>
</body>
</html>
`;

/** The page's style sheet. */
export const APP_CSS = `:root {
  --bg: #fbfbfa; --fg: #1d2125; --muted: #68707a; --line: #e2e4e8; --card: #ffffff;
  --ok: #1a7f37; --failed: #cf222e; --running: #0969da; --warn: #9a6700; --skip: #8c959f;
  --err-bg: #fff1f0; --out-bg: #ffffff; --own: #57606a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --fg: #e6e8eb; --muted: #9aa3ad; --line: #2b3138; --card: #161b22;
    --ok: #3fb950; --failed: #f85149; --running: #58a6ff; --warn: #d29922; --skip: #8b949e;
    --err-bg: #2a1215; --out-bg: #0d1117; --own: #9aa3ad;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.mono, pre, code { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
a { color: var(--running); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; color: var(--fg); }
.live { margin-left: auto; font-size: 12px; color: var(--muted); }
.live.on::before { content: "● "; color: var(--ok); }
.live.off::before { content: "● "; color: var(--failed); }
main { padding: 12px 20px 40px; max-width: 1200px; }
h1 { font-size: 20px; margin: 16px 0 8px; }
h1 .mono { font-size: 18px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 18px 0 6px; }
.card h2 { margin-top: 0; }
.muted { color: var(--muted); }
.error { color: var(--failed); }
#config-error { white-space: pre-wrap; font-size: 12.5px; }
.banner { border: 1px solid var(--failed); padding: 8px 12px; border-radius: 6px; background: var(--err-bg); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; margin-top: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card p { margin: 4px 0; }
.card ol { margin: 4px 0; padding-left: 20px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 320px; overflow: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.exit, td.failed { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.s-ok { color: var(--ok); }
.s-failed, .s-aborted { color: var(--failed); }
.s-running { color: var(--running); }
.s-interrupted { color: var(--warn); }
.s-skipped, .s-not-run, .s-other { color: var(--skip); }
.empty { padding: 16px; text-align: center; color: var(--muted); border: 1px dashed var(--line); border-radius: 8px; }
.pager { display: flex; gap: 20px; margin-top: 10px; }
.timeline { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.tl-row { display: grid; grid-template-columns: 180px 1fr; align-items: center; gap: 8px; height: 24px; }
.tl-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12.5px; }
.tl-track { position: relative; height: 16px; background: var(--bg); border-radius: 3px; }
.tl-bar { position: absolute; top: 2px; height: 12px; min-width: 2px; border-radius: 3px; background: var(--ok); }
.tl-bar.s-failed, .tl-bar.s-aborted { background: var(--failed); }
.tl-bar.s-running { background: var(--running); }
.tl-bar.s-interrupted { background: var(--warn); }
.tl-bar.s-other { background: var(--skip); }
.tl-axis { position: relative; height: 18px; margin-left: 188px; font-size: 11px; color: var(--muted); }
.tl-tick { position: absolute; top: 2px; transform: translateX(-50%); white-space: nowrap; }
.tl-tick.first { transform: none; }
.tl-tick.last { transform: translateX(-100%); }
.output-tools { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin-bottom: 6px; font-size: 13px; }
.legend { color: var(--muted); }
.output { background: var(--out-bg); border: 1px solid var(--line); border-radius: 8px; max-height: 60vh; min-height: 80px; overflow: auto; padding: 4px 0; }
.line { display: grid; grid-template-columns: 92px 130px 34px 1fr; gap: 8px; padding: 0 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
.line.err { background: var(--err-bg); }
.line.skipped { display: block; font-style: italic; }
.line.own { color: var(--own); }
.line .ts, .line .step { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tag { display: inline-block; font-size: 10.5px; padding: 0 4px; border-radius: 3px; height: 16px; line-height: 16px; align-self: start; margin-top: 1px; text-align: center; }
.tag.out { color: var(--muted); border: 1px solid var(--line); }
.tag.err { color: #fff; background: var(--failed); }
.tag.own { color: var(--muted); }
[hidden] { display: none !important; }
`;

/**
 * The page's script. Plain ES5-ish JavaScript in a string: no backticks or
 * template placeholders inside, since it lives in a template literal here.
 */
export const APP_JS = String.raw`"use strict";
(function () {
  var MAX_LINES = 20000;
  var STATUSES = ["ok", "failed", "aborted", "running", "interrupted", "skipped", "not-run"];
  var offset = 0;
  var runId = null;
  var runsCursor = null;
  var rowsById = {};
  var asOf = {};
  var lineIds = new Set();
  var lastRun = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function statusClass(s) { return "s-" + (STATUSES.indexOf(s) >= 0 ? s : "other"); }
  function badge(s) { return el("span", "badge " + statusClass(s), s === "not-run" ? "not run" : s); }
  // The server's clock, from the browser's monotonic one: a change of the
  // browser's wall clock does not move running durations.
  function clientNow() { return performance.timeOrigin + performance.now(); }
  function setNow(ms) { if (typeof ms === "number") offset = ms - clientNow(); }
  function serverNow() { return clientNow() + offset; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function fmtDuration(ms) {
    if (!isFinite(ms) || ms < 0) ms = 0;
    var centis = Math.round(ms / 10);
    if (centis < 6000) return Math.floor(centis / 100) + "." + pad(centis % 100) + "s";
    var s = Math.round(ms / 1000);
    if (s < 3600) return Math.floor(s / 60) + "m " + pad(s % 60) + "s";
    var m = Math.round(ms / 60000);
    return Math.floor(m / 60) + "h " + pad(m % 60) + "m";
  }
  function showError(text) {
    var e = $("error");
    if (!text) { e.hidden = true; return; }
    e.textContent = text;
    e.hidden = false;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
          setNow(body.now);
          return body;
        });
      });
  }
  function runLink(id) {
    var a = el("a", "mono", id);
    a.setAttribute("href", "/runs/" + encodeURIComponent(id));
    return a;
  }
  function isGoing(run) { return run.status === "running" && run.endedAt === null; }
  function runDuration(run) {
    if (isGoing(run)) return Math.max(0, serverNow() - Date.parse(run.startedAt));
    return run.durationMs;
  }

  // ---- overview -----------------------------------------------------------
  function renderOverview(o) {
    $("overview").hidden = false;
    $("config-path").textContent = o.config.path;
    document.title = "crude-link · " + o.config.path.split("/").pop();
    renderScheduler(o.scheduler, !!o.schedule);
    var words = $("schedule-words"), cron = $("schedule-cron"), next = $("next-fires");
    next.textContent = "";
    if (o.schedule) {
      words.textContent = o.schedule.words;
      cron.textContent = o.schedule.cron;
      o.schedule.next.forEach(function (t) { next.appendChild(el("li", null, t)); });
      if (o.schedule.next.length === 0) words.textContent += " — no further fire time";
    } else {
      words.textContent = o.scheduleError ? "cannot compute: " + o.scheduleError :
        o.config.error ? "unknown: the config does not load" : "no cron section: the pipeline runs when started";
      cron.textContent = "";
    }
    $("config-steps").textContent = o.config.steps.length ?
      o.config.steps.length + (o.config.steps.length === 1 ? " step: " : " steps: ") + o.config.steps.join(" → ") : "";
    var ce = $("config-error");
    ce.hidden = !o.config.error;
    ce.textContent = o.config.error || "";
    $("config-text").textContent = o.config.text;
    $("history-path").textContent = "history " + o.history.path + " · log " + o.log.path +
      (o.history.live ? "" : " · read-only file system: not following changes");
  }
  function renderScheduler(s, scheduled) {
    var p = $("scheduler");
    p.textContent = "";
    var state = el("span", "badge " + (s.state === "running" ? "s-ok" : s.state === "stale" ? "s-interrupted" : "s-other"));
    state.textContent = s.state === "running" ? "running" :
      s.state === "elsewhere" ? "on another machine" : "not running";
    p.appendChild(state);
    var text = "";
    if (s.state === "running") text = " pid " + s.pid + " since " + fmtTime(s.since);
    else if (s.state === "stale") text = " stale lock: its scheduler, pid " + s.pid + " (since " + fmtTime(s.since) + "), is gone (killed, or the machine restarted); nothing needs cleaning up";
    else if (s.state === "elsewhere") text = " pid " + s.pid + " on " + s.hostname + " since " + fmtTime(s.since);
    else text = scheduled ? " no crude-link --non-interactive holds this config's schedule" : " (the config has no schedule)";
    p.appendChild(document.createTextNode(text));
  }
  function loadOverview() {
    return getJSON("/api/overview").then(renderOverview).catch(function (e) { showError(e.message); });
  }

  // ---- runs ---------------------------------------------------------------
  function fillRunRow(tr, run) {
    tr.textContent = "";
    var id = el("td"); id.appendChild(runLink(run.id)); tr.appendChild(id);
    var st = el("td"); st.appendChild(badge(run.status)); tr.appendChild(st);
    tr.appendChild(el("td", null, run.trigger));
    tr.appendChild(el("td", null, fmtTime(run.startedAt)));
    var dur = el("td", "num duration", fmtDuration(runDuration(run)));
    tr.appendChild(dur);
    var failed = el("td", "failed");
    if (run.failedStep) {
      failed.appendChild(el("strong", null, run.failedStep.name));
      if (run.failedStep.exit) failed.appendChild(document.createTextNode(": " + run.failedStep.exit));
    } else if (run.runningSteps.length) {
      failed.appendChild(el("span", "muted", "running " + run.runningSteps.join(", ")));
    }
    tr.appendChild(failed);
    tr._run = run;
  }
  function putRun(run, now, prepend) {
    if (asOf[run.id] !== undefined && asOf[run.id] > now) return;
    asOf[run.id] = now;
    var tr = rowsById[run.id];
    var body = document.querySelector("#runs tbody");
    if (!tr) {
      if (!prepend) return;
      tr = el("tr");
      tr.setAttribute("data-run", run.id);
      rowsById[run.id] = tr;
      var first = body.firstChild;
      while (first && first._run && first._run.startedAt > run.startedAt) first = first.nextSibling;
      body.insertBefore(tr, first);
    }
    fillRunRow(tr, run);
    $("runs-empty").hidden = true;
  }
  function loadRuns() {
    var url = "/api/runs" + (runsCursor ? "?before=" + encodeURIComponent(runsCursor) : "");
    return getJSON(url).then(function (page) {
      var body = document.querySelector("#runs tbody");
      page.runs.forEach(function (run) {
        if (!rowsById[run.id]) {
          var tr = el("tr");
          tr.setAttribute("data-run", run.id);
          rowsById[run.id] = tr;
          body.appendChild(tr);
        }
        putRun(run, page.now, false);
      });
      $("runs-empty").hidden = page.runs.length > 0 || body.children.length > 0;
      $("run-count").textContent = "(" + page.count + ")";
      var older = $("older");
      if (page.next) {
        older.setAttribute("href", "/?before=" + encodeURIComponent(page.next));
        older.hidden = false;
      } else older.hidden = true;
      $("newer").hidden = !runsCursor;
    }).catch(function (e) { showError(e.message); });
  }
  function onRuns(data) {
    setNow(data.now);
    data.runs.forEach(function (run) { putRun(run, data.now, !runsCursor); });
    if (typeof data.count === "number") $("run-count").textContent = "(" + data.count + ")";
  }

  // ---- one run -------------------------------------------------------------
  function renderRun(run) {
    lastRun = run;
    document.title = "crude-link · " + run.id + " · " + run.status;
    $("run-id").textContent = run.id;
    var st = $("run-status");
    st.className = "badge " + statusClass(run.status);
    st.textContent = run.status;
    $("run-meta").textContent = "trigger " + run.trigger + " · started " + fmtTime(run.startedAt) +
      " · " + (isGoing(run) ? "running for " + fmtDuration(runDuration(run)) : "took " + fmtDuration(run.durationMs)) +
      " · pid " + run.pid + " on " + run.hostname + " · " + run.configPath;
    var f = $("run-failed");
    f.hidden = !run.failedStep;
    f.textContent = run.failedStep ? "failed step " + run.failedStep.name + (run.failedStep.exit ? ": " + run.failedStep.exit : "") : "";
    var body = document.querySelector("#steps tbody");
    body.textContent = "";
    var select = $("out-step");
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    run.steps.forEach(function (s) {
      var tr = el("tr");
      tr.setAttribute("data-step", s.name);
      tr.appendChild(el("td", "mono", s.name));
      var c = el("td"); c.appendChild(badge(s.status)); tr.appendChild(c);
      tr.appendChild(el("td", "num", s.attempts.length));
      tr.appendChild(el("td", "num", s.attempts.length ? fmtDuration(s.durationMs) : "-"));
      tr.appendChild(el("td", "exit", s.exit));
      body.appendChild(tr);
      var o = el("option", null, s.name);
      o.value = s.name;
      select.appendChild(o);
    });
    select.value = chosen;
    renderTimeline(run);
  }
  function renderTimeline(run) {
    var box = $("timeline");
    box.textContent = "";
    var t0 = Date.parse(run.startedAt);
    var t1 = isGoing(run) ? serverNow() : t0 + run.durationMs;
    run.steps.forEach(function (s) {
      s.attempts.forEach(function (a) {
        var end = Date.parse(a.startedAt) + a.durationMs;
        if (a.outcome === "running") end = Math.max(end, serverNow());
        if (end > t1) t1 = end;
      });
    });
    var span = Math.max(1, t1 - t0);
    run.steps.forEach(function (s) {
      var row = el("div", "tl-row");
      row.appendChild(el("span", "tl-name mono", s.name));
      var track = el("div", "tl-track");
      s.attempts.forEach(function (a) {
        var start = Date.parse(a.startedAt);
        var dur = a.outcome === "running" ? Math.max(a.durationMs, serverNow() - start) : a.durationMs;
        var status = a.outcome === "running" ? "running" : a.outcome === "interrupted" ? "interrupted" :
          a.exit === "" ? "ok" : "failed";
        var bar = el("div", "tl-bar " + statusClass(status));
        bar.style.left = (100 * (start - t0) / span) + "%";
        bar.style.width = Math.max(0.3, 100 * dur / span) + "%";
        bar.setAttribute("title", s.name + " attempt " + a.attempt + ": " + fmtDuration(dur) +
          " from +" + fmtDuration(start - t0) + (a.exit ? " · " + a.exit : ""));
        bar.setAttribute("data-step", s.name);
        track.appendChild(bar);
      });
      row.appendChild(track);
      box.appendChild(row);
    });
    var axis = el("div", "tl-axis");
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f, i) {
      var t = el("span", "tl-tick" + (i === 0 ? " first" : i === 4 ? " last" : ""), "+" + fmtDuration(span * f));
      t.style.left = (100 * f) + "%";
      axis.appendChild(t);
    });
    box.appendChild(axis);
  }
  function lineElement(l) {
    var own = l.stream === "-";
    var d = el("div", "line " + (l.stream === "stderr" ? "err" : own ? "own" : "out"));
    d.setAttribute("data-step", l.step === null ? "" : l.step);
    d.setAttribute("data-id", l.id);
    d.appendChild(el("span", "ts", l.ts ? l.ts.slice(11, 23) : ""));
    d.appendChild(el("span", "step", l.step === null ? "" : l.step));
    d.appendChild(el("span", "tag " + (l.stream === "stderr" ? "err" : own ? "own" : "out"),
      l.stream === "stderr" ? "err" : own ? "›" : "out"));
    d.appendChild(el("span", "text", l.text));
    applyFilter(d);
    return d;
  }
  function applyFilter(d) {
    var step = $("out-step").value;
    var own = $("out-own").checked;
    var isOwn = d.classList.contains("own");
    d.hidden = (!own && isOwn) || (step !== "" && d.getAttribute("data-step") !== step && !(isOwn && d.getAttribute("data-step") === ""));
  }
  function atBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 40; }
  function appendLines(lines) {
    var box = $("output");
    var follow = atBottom(box);
    var frag = document.createDocumentFragment();
    lines.forEach(function (l) {
      if (lineIds.has(l.id)) return;
      lineIds.add(l.id);
      frag.appendChild(lineElement(l));
    });
    box.appendChild(frag);
    while (box.children.length > MAX_LINES) {
      lineIds.delete(box.firstChild.getAttribute("data-id"));
      box.removeChild(box.firstChild);
    }
    if (follow) box.scrollTop = box.scrollHeight;
  }
  function setOutput(data) {
    var box = $("output");
    var later = [];
    var inSnapshot = new Set(data.lines.map(function (l) { return l.id; }));
    Array.prototype.forEach.call(box.children, function (d) {
      if (!inSnapshot.has(d.getAttribute("data-id"))) later.push(d);
    });
    box.textContent = "";
    lineIds = new Set();
    appendLines(data.lines);
    later.forEach(function (d) { lineIds.add(d.getAttribute("data-id")); box.appendChild(d); });
    box.scrollTop = box.scrollHeight;
    var note = "";
    if (data.total > data.lines.length) note = "showing the last " + data.lines.length + " of " + data.total + " lines";
    if (!data.hasStart && data.total > 0) note += (note ? "; " : "") + "the start of this run was rotated out of " + data.logFile;
    if (data.total === 0) note = "no lines of this run in " + data.logFile + " (interactive runs print to the terminal, not the log)";
    $("out-note").textContent = note;
  }
  function loadRun() {
    return Promise.all([
      getJSON("/api/runs/" + encodeURIComponent(runId)).then(function (d) { renderRun(d.run); }),
      getJSON("/api/runs/" + encodeURIComponent(runId) + "/output").then(setOutput),
    ]).then(function () { showError(""); }).catch(function (e) { showError(e.message); });
  }

  // ---- live -----------------------------------------------------------------
  function connect() {
    if (!window.EventSource) return;
    var live = $("live");
    var es = new EventSource("/api/events" + (runId ? "?run=" + encodeURIComponent(runId) : ""));
    es.addEventListener("hello", function (e) {
      var d = JSON.parse(e.data);
      setNow(d.now);
      live.textContent = "live";
      live.className = "live on";
      // Read again now that changes are followed: nothing falls between the two.
      if (runId) loadRun(); else { loadRuns(); loadOverview(); }
    });
    es.addEventListener("runs", function (e) {
      var d = JSON.parse(e.data);
      if (!runId) { onRuns(d); loadOverview(); }
    });
    es.addEventListener("run", function (e) {
      var d = JSON.parse(e.data);
      setNow(d.now);
      if (runId && d.run.id === runId) renderRun(d.run);
    });
    es.addEventListener("output", function (e) {
      var d = JSON.parse(e.data);
      if (d.skipped > 0) {
        var note = el("div", "line own skipped", "… " + d.skipped + " lines printed too fast to follow; reload for what the log still has");
        note.setAttribute("data-step", "");
        note.setAttribute("data-id", "skipped-" + d.lines[0].id);
        $("output").appendChild(note);
      }
      appendLines(d.lines);
    });
    es.addEventListener("scheduler", function (e) {
      var d = JSON.parse(e.data);
      if (!runId) renderScheduler(d.scheduler, $("schedule-cron").textContent !== "");
    });
    es.onerror = function () {
      live.textContent = "reconnecting…";
      live.className = "live off";
    };
  }
  function tick() {
    if (runId) {
      if (lastRun && isGoing(lastRun)) {
        renderTimeline(lastRun);
        $("run-meta").textContent = $("run-meta").textContent.replace(/running for [^·]+/, "running for " + fmtDuration(runDuration(lastRun)) + " ");
      }
      return;
    }
    Object.keys(rowsById).forEach(function (id) {
      var tr = rowsById[id];
      if (tr._run && isGoing(tr._run)) tr.querySelector(".duration").textContent = fmtDuration(runDuration(tr._run));
    });
  }

  function start() {
    var m = /^\/runs\/([^/]+)\/?$/.exec(location.pathname);
    if (m) {
      runId = decodeURIComponent(m[1]);
      $("run-view").hidden = false;
      $("out-step").addEventListener("change", function () { Array.prototype.forEach.call($("output").children, applyFilter); });
      $("out-own").addEventListener("change", function () { Array.prototype.forEach.call($("output").children, applyFilter); });
      getJSON("/api/overview").then(function (o) { $("config-path").textContent = o.config.path; }).catch(function () {});
      loadRun();
    } else {
      runsCursor = new URLSearchParams(location.search).get("before");
      $("runs-view").hidden = false;
      loadRuns();
      loadOverview();
      setInterval(loadOverview, 30000);
    }
    connect();
    setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
`;
