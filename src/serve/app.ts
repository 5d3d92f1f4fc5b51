/**
 * The dashboard as a request handler: the page, its assets, the JSON API
 * under `/api/`, and Server-Sent Events for what changes while it is open.
 * Read-only: only GET and HEAD are answered. It reaches the machine only
 * through the sources, the clock and the liveness check it is given, so
 * tests call {@link Dashboard.handle} in-process with `Request`s.
 *
 * Safety, on every response: a strict Content-Security-Policy (script and
 * style only from this origin, nothing inline, no frames), `nosniff`, no
 * referrer. With a token, a request must carry it (cookie set from a
 * `?token=` link, or `Authorization: Bearer`), compared in constant time.
 * Without one (loopback only), the Host header must name this machine, so
 * a web page cannot reach the dashboard by pointing a name of its own at
 * 127.0.0.1 (DNS rebinding).
 *
 * @module
 */

import type { Trigger } from "../cron/trigger.ts";
import type { Clock, HistoryMark } from "../ports.ts";
import { type LogLine, parseLogLine, runAtStart, RunAttributor, runOutput } from "./log_lines.ts";
import { APP_CSS, APP_JS, PAGE_HTML } from "./page.ts";
import type { ConfigRuns } from "./runs.ts";
import type { LogFollower, LogSource, SchedulerSource } from "./source.ts";
import {
  formatCursor,
  type Liveness,
  parseCursor,
  runDetail,
  runSignature,
  type RunSummary,
  runSummary,
  type SchedulerView,
  schedulerView,
  scheduleView,
} from "./views.ts";

/** The config as last read (it is read again for each overview: it may change). */
export interface ConfigInfo {
  /** The config file's absolute path. */
  path: string;
  /** Its text ("" when it could not be read). */
  text: string;
  /** Its steps' names ([] when it does not load). */
  stepNames: string[];
  /** Its schedule, when it has one. */
  trigger?: Trigger;
  /** Why it does not load now, when it does not. */
  error?: string;
}

/** What the dashboard reads and how it is protected. */
export interface DashboardDeps {
  /** The config's runs in the history. */
  runs: ConfigRuns;
  /** The log file. */
  log: LogSource;
  /** The schedule lock. */
  scheduler: SchedulerSource;
  /** Reads the config (again). */
  config(): ConfigInfo;
  /** The history database's path, to show. */
  historyPath: string;
  /** Time, for durations of what is running and for polling. */
  clock: Clock;
  /** Is a process of this machine alive (runs and locks left by a dead crude-link). */
  live: Liveness;
  /** Every request must carry it, when given. */
  token?: string;
  /** Says what went wrong where nobody sees a response (a broken event stream). */
  warn(text: string): void;
  /** How often live updates look for changes (default 250 ms). */
  pollMs?: number;
  /** At most this many event streams at once (default 32). */
  maxClients?: number;
}

/** The dashboard. */
export interface Dashboard {
  /** Answers one request. */
  handle(request: Request): Promise<Response>;
  /** Ends every event stream and stops following the history and the log. */
  close(): void;
  /** How many event streams are open. */
  readonly clients: number;
}

/** The cookie a `?token=` link sets. */
export const TOKEN_COOKIE = "crude-link-token";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const DEFAULT_OUTPUT = 5000;
const MAX_OUTPUT = 50_000;
/** A client that lets this much of its stream queue up unread is dropped. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** At most this many output lines go in one event: a page shows its last 20,000 lines anyway. */
const MAX_OUTPUT_BATCH = 2000;
const KEEPALIVE_MS = 15_000;

function respond(
  body: BodyInit | null,
  status: number,
  contentType: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": contentType, ...extra },
  });
}

function json(value: unknown, status = 200): Response {
  return respond(JSON.stringify(value), status, "application/json; charset=utf-8");
}

function problem(status: number, error: string, hint?: string): Response {
  return json(hint ? { error, hint } : { error }, status);
}

/** Compares two secrets in time that does not depend on where they differ. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

function cookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when the Host header names this machine (loopback). */
export function isLocalHostHeader(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return LOCAL_HOSTS.has(h) || h.endsWith(".localhost");
}

/** One open event stream. */
interface Client {
  send(event: string, data: unknown): void;
  comment(text: string): void;
  close(): void;
  /** The run whose page it shows, if any. */
  run?: string;
}

/** Creates the dashboard over its sources. */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const hub = new Hub(deps);

  async function authorize(request: Request, url: URL): Promise<Response | undefined> {
    if (!deps.token) {
      if (!isLocalHostHeader(url.hostname)) {
        return problem(
          403,
          `refused: the Host header '${url.host}' does not name this machine`,
          "open the dashboard as http://127.0.0.1:PORT/ or http://localhost:PORT/",
        );
      }
      return undefined;
    }
    const fromLink = url.searchParams.get("token");
    if (fromLink !== null) {
      if (!(await sameSecret(fromLink, deps.token))) {
        return problem(401, "refused: the token in the link is wrong");
      }
      url.searchParams.delete("token");
      const location = url.pathname + (url.search === "?" ? "" : url.search);
      return respond(null, 303, "text/plain; charset=utf-8", {
        location,
        "set-cookie": `${TOKEN_COOKIE}=${
          encodeURIComponent(deps.token)
        }; Path=/; HttpOnly; SameSite=Strict`,
      });
    }
    const auth = request.headers.get("authorization");
    const bearer = auth?.match(/^Bearer\s+(.+)$/i)?.[1].trim();
    const given = bearer ?? cookie(request, TOKEN_COOKIE);
    if (given !== undefined && await sameSecret(given, deps.token)) return undefined;
    const res = problem(
      401,
      "refused: this dashboard needs its token",
      "open the link with ?token=<token> once (it sets a cookie), or send 'Authorization: Bearer <token>'",
    );
    res.headers.set("www-authenticate", 'Bearer realm="crude-link"');
    return res;
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(
        JSON.stringify({ error: `${request.method} is not allowed: the dashboard is read-only` }),
        405,
        "application/json; charset=utf-8",
        { allow: "GET, HEAD" },
      );
    }
    const refused = await authorize(request, url);
    if (refused) return refused;
    const path = url.pathname;
    if (path === "/" || /^\/runs\/[^/]+\/?$/.test(path)) {
      return respond(PAGE_HTML, 200, "text/html; charset=utf-8");
    }
    if (path === "/app.js") return respond(APP_JS, 200, "text/javascript; charset=utf-8");
    if (path === "/app.css") return respond(APP_CSS, 200, "text/css; charset=utf-8");
    if (path === "/favicon.ico") return respond(null, 204, "text/plain");
    if (path === "/api/overview") return json(overview());
    if (path === "/api/runs") return runsPage(url);
    if (path === "/api/events") return hub.connect(url.searchParams.get("run") ?? undefined);
    const m = /^\/api\/runs\/([^/]+)(\/output)?$/.exec(path);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        return problem(400, "the run id in the address is not valid");
      }
      return m[2] ? runOutputResponse(id, url) : runResponse(id);
    }
    return problem(
      404,
      `nothing at '${path}'`,
      "the API is /api/overview, /api/runs, /api/runs/<id>, /api/runs/<id>/output, /api/events",
    );
  }

  function overview() {
    const nowMs = deps.clock.nowMs();
    const config = deps.config();
    let schedule = null;
    let scheduleError: string | undefined;
    if (config.trigger) {
      try {
        schedule = scheduleView(config.trigger, nowMs, 5);
      } catch (e) {
        scheduleError = e instanceof Error ? e.message : String(e);
      }
    }
    return {
      config: {
        path: config.path,
        text: config.text,
        steps: config.stepNames,
        error: config.error ?? null,
      },
      schedule,
      scheduleError: scheduleError ?? null,
      scheduler: schedulerView(deps.scheduler.read(), deps.scheduler.path, deps.live),
      history: { path: deps.historyPath, runs: deps.runs.count(), live: deps.runs.live },
      log: { path: deps.log.path },
      now: nowMs,
    };
  }

  function runsPage(url: URL): Response {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return problem(400, `limit '${limitText}' is not a whole number from 1 to ${MAX_PAGE}`);
    }
    const beforeText = url.searchParams.get("before");
    const before = beforeText === null ? undefined : parseCursor(beforeText);
    if (beforeText !== null && !before) {
      return problem(
        400,
        `before '${beforeText}' is not a page cursor`,
        "use the 'next' value of the page before",
      );
    }
    const nowMs = deps.clock.nowMs();
    const page = deps.runs.page(limit, before);
    return json({
      runs: page.runs.map((r) => runSummary(r, deps.live, nowMs)),
      count: deps.runs.count(),
      next: page.next ? formatCursor(page.next) : null,
      now: nowMs,
    });
  }

  function runResponse(id: string): Response {
    const records = deps.runs.run(id);
    if (!records) return problem(404, `no run '${id}' in the history of this config`);
    const nowMs = deps.clock.nowMs();
    return json({ run: runDetail(records, deps.live, nowMs), now: nowMs });
  }

  function runOutputResponse(id: string, url: URL): Response {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? DEFAULT_OUTPUT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_OUTPUT) {
      return problem(400, `limit '${limitText}' is not a whole number from 1 to ${MAX_OUTPUT}`);
    }
    if (!deps.runs.run(id)) return problem(404, `no run '${id}' in the history of this config`);
    const out = runOutput(deps.log.snapshot(), id, limit, deps.runs.runningIds());
    return json({ ...out, logFile: deps.log.path, now: deps.clock.nowMs() });
  }

  return {
    async handle(request: Request): Promise<Response> {
      let response: Response;
      try {
        response = await route(request);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        deps.warn(`could not answer ${request.method} ${new URL(request.url).pathname}: ${why}`);
        response = problem(
          503,
          `cannot read the history or the log now: ${why}`,
          "try again; if it persists, check the state folder",
        );
      }
      if (request.method === "HEAD") return await headOf(response);
      return response;
    },
    close: () => hub.close(),
    get clients() {
      return hub.size;
    },
  };
}

/**
 * The answer to HEAD: the GET answer's status and headers with no body, and
 * its length in `content-length` (an event stream has none: it is closed).
 */
async function headOf(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  if (headers.get("content-type")?.startsWith("text/event-stream")) await response.body?.cancel();
  else headers.set("content-length", String((await response.arrayBuffer()).byteLength));
  return new Response(null, { status: response.status, headers });
}

/**
 * The event streams, and the one loop that follows the history, the lock
 * and the log for all of them while at least one is open.
 */
class Hub {
  readonly #deps: DashboardDeps;
  readonly #clients = new Set<Client>();
  readonly #stop = new AbortController();
  #running = false;
  #mark: HistoryMark | undefined;
  /** Runs recorded as running: re-read every second, so their end (or their crude-link's death) shows. */
  #open = new Set<string>();
  #sent = new Map<string, string>();
  #scheduler = "";
  #follower: LogFollower | undefined;
  #attributor = new RunAttributor();
  #ticks = 0;
  #lastKeepalive = 0;

  constructor(deps: DashboardDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#clients.size;
  }

  connect(run: string | undefined): Response {
    if (this.#clients.size >= (this.#deps.maxClients ?? 32)) {
      return problem(503, "too many open dashboards", "close some tabs and reload");
    }
    const encoder = new TextEncoder();
    let client!: Client;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        const write = (text: string) => {
          if (closed) return;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) {
            client.close();
            return;
          }
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            client.close();
          }
        };
        client = {
          run,
          send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
          comment: (text) => write(`: ${text}\n\n`),
          close: () => {
            if (closed) return;
            closed = true;
            this.#clients.delete(client);
            try {
              controller.close();
            } catch {
              // Cancelled by the client already.
            }
          },
        };
      },
      cancel: () => client.close(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }));
    this.#clients.add(client);
    try {
      this.#prepare(run);
    } catch (e) {
      client.close();
      throw e;
    }
    client.comment("crude-link dashboard");
    client.send("hello", { now: this.#deps.clock.nowMs(), run: run ?? null });
    if (!this.#running) this.#loop();
    return respond(stream, 200, "text/event-stream; charset=utf-8", {
      "x-accel-buffering": "no",
    });
  }

  /** Takes the starting points for a new stream: the history's mark, and the log's position. */
  #prepare(run: string | undefined): void {
    if (!this.#mark) {
      this.#mark = this.#deps.runs.mark();
      this.#open = new Set(this.#deps.runs.runningIds());
    }
    if (run !== undefined && !this.#follower) {
      const { follower, existing } = this.#deps.log.follow();
      this.#follower = follower;
      const texts = existing.map((l) => l.text);
      this.#attributor = new RunAttributor(runAtStart(texts, [...this.#open]));
      for (const text of texts) this.#attributor.feed(text);
    }
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const pollMs = this.#deps.pollMs ?? 250;
    try {
      while (this.#clients.size > 0 && !this.#stop.signal.aborted) {
        await this.#deps.clock.sleep(pollMs, this.#stop.signal);
        if (this.#clients.size === 0 || this.#stop.signal.aborted) break;
        try {
          this.#tick();
        } catch (e) {
          this.#deps.warn(
            `live updates: ${e instanceof Error ? e.message : String(e)}; trying again`,
          );
        }
      }
    } finally {
      this.#running = false;
      this.#idle();
    }
  }

  /** Nobody watches: stop following, and start afresh for the next one. */
  #idle(): void {
    if (this.#clients.size > 0) return;
    this.#follower?.close();
    this.#follower = undefined;
    this.#mark = undefined;
    this.#sent.clear();
    this.#scheduler = "";
  }

  #tick(): void {
    this.#ticks++;
    const deps = this.#deps;
    const nowMs = deps.clock.nowMs();
    const everySecond = this.#ticks % Math.max(1, Math.round(1000 / (deps.pollMs ?? 250))) === 0;
    if (this.#mark && deps.runs.live) {
      const changes = deps.runs.changes(this.#mark, everySecond ? this.#open : []);
      this.#mark = changes.mark;
      const changed: RunSummary[] = [];
      for (const records of changes.runs) {
        const detail = runDetail(records, deps.live, nowMs);
        if (records.run.status === "running" && detail.status === "running") {
          this.#open.add(detail.id);
        } else this.#open.delete(detail.id);
        const signature = runSignature(detail);
        if (this.#sent.get(detail.id) === signature) continue;
        this.#sent.set(detail.id, signature);
        changed.push(runSummary(records, deps.live, nowMs));
        for (const c of this.#clients) {
          if (c.run === detail.id) c.send("run", { run: detail, now: nowMs });
        }
      }
      if (changed.length > 0) {
        this.#broadcast("runs", { runs: changed, count: deps.runs.count(), now: nowMs });
      }
    }
    if (everySecond) {
      const scheduler: SchedulerView = schedulerView(
        deps.scheduler.read(),
        deps.scheduler.path,
        deps.live,
      );
      const text = JSON.stringify(scheduler);
      if (text !== this.#scheduler) {
        if (this.#scheduler !== "") this.#broadcast("scheduler", { scheduler, now: nowMs });
        this.#scheduler = text;
      }
    }
    this.#followLog();
    if (nowMs - this.#lastKeepalive >= KEEPALIVE_MS) {
      this.#lastKeepalive = nowMs;
      for (const c of this.#clients) c.comment("keep-alive");
    }
  }

  #followLog(): void {
    const watched = new Set([...this.#clients].map((c) => c.run).filter((r) => r !== undefined));
    if (watched.size === 0) {
      this.#follower?.close();
      this.#follower = undefined;
      return;
    }
    if (!this.#follower) this.#prepare([...watched][0]);
    const lines = this.#follower!.poll();
    if (lines.length === 0) return;
    const byRun = new Map<string, LogLine[]>();
    for (const raw of lines) {
      const run = this.#attributor.feed(raw.text);
      if (run === undefined || !watched.has(run)) continue;
      let list = byRun.get(run);
      if (!list) byRun.set(run, list = []);
      list.push(parseLogLine(raw));
    }
    for (const [run, mine] of byRun) {
      // A step that prints faster than anyone reads: send the latest lines, and say how many were left out.
      const lines = mine.length > MAX_OUTPUT_BATCH ? mine.slice(-MAX_OUTPUT_BATCH) : mine;
      const data = { lines, skipped: mine.length - lines.length };
      for (const c of this.#clients) if (c.run === run) c.send("output", data);
    }
  }

  #broadcast(event: string, data: unknown): void {
    for (const c of this.#clients) c.send(event, data);
  }

  close(): void {
    this.#stop.abort();
    for (const c of [...this.#clients]) c.close();
    this.#idle();
  }
}
