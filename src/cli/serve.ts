/**
 * `crude-link serve`: a read-only web dashboard of the config's runs, their
 * steps and their output, live while a scheduler runs them.
 *
 * @module
 */

import { loadHost } from "../app/host.ts";
import { readConfig } from "../config/load.ts";
import { UsageError, UserError } from "../errors.ts";
import { historyPathIn, lockPathFor, sha256, stateDirFor } from "../history/state.ts";
import { absolute, basename } from "../path.ts";
import {
  FsError,
  type HistoryStore,
  ListenError,
  type ListeningServer,
  type StopSignal,
  type System,
} from "../ports.ts";
import { type ConfigInfo, createDashboard } from "../serve/app.ts";
import { openLogSource } from "../serve/log_files.ts";
import { ConfigRuns } from "../serve/runs.ts";
import { openHistory } from "./history_file.ts";

/** The flags of `serve`. */
export interface ServeFlags {
  /** The pipeline's YAML file. */
  configFile: string;
  /** Where the run history and locks live. */
  stateDir?: string;
  /** The log file whose lines the run pages show. */
  logFile: string;
  /** The address to listen on. */
  host: string;
  /** The port to listen on, as given (0 picks a free one). */
  port: string;
  /** The token every request must carry (else CRUDE_LINK_TOKEN). */
  token?: string;
}

/** The default port. */
export const DEFAULT_PORT = 8787;

/** Addresses that only this machine reaches: anything else needs a token. */
const LOOPBACK = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/** The shortest token accepted. */
const MIN_TOKEN = 16;

/** True when `host` is reachable from this machine only (127.0.0.1, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

/** Reads `--port`: a whole number from 0 to 65535. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) {
    throw new UsageError(
      `--port '${text}' is not a port number`,
      `give a whole number from 1 to 65535 (default ${DEFAULT_PORT}), or 0 for any free port`,
    );
  }
  return Number(text);
}

/** Checks the address and the token together; returns the token to require, if any. */
export function checkAccess(host: string, token: string | undefined): string | undefined {
  if (host.trim() === "") {
    throw new UsageError("--host is empty", "give an address such as 127.0.0.1 (the default)");
  }
  if (token !== undefined && token.length < MIN_TOKEN) {
    throw new UsageError(
      `the token is too short (${token.length} characters; at least ${MIN_TOKEN})`,
      "make one with: openssl rand -hex 16",
    );
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new UsageError(
      `listening on '${host}' would show the dashboard to other machines, so it needs a token`,
      "set CRUDE_LINK_TOKEN (e.g. export CRUDE_LINK_TOKEN=$(openssl rand -hex 16)) or pass --token; " +
        "or keep --host 127.0.0.1 and reach it with ssh -L 8787:localhost:8787",
    );
  }
  return token;
}

/**
 * Serves the dashboard until SIGINT, SIGTERM or SIGHUP; returns the exit
 * status (130, 143, 129). What keeps it from serving (a history that is
 * missing or cannot be read, an address it cannot listen on) is a
 * {@link UserError} (exit 2) that says what to do.
 */
export async function serveCommand(flags: ServeFlags, system: System): Promise<number> {
  const { fs, host, console } = system;
  const port = parsePort(flags.port);
  const token = checkAccess(flags.host, flags.token ?? (host.env.CRUDE_LINK_TOKEN || undefined));

  // The config must load now; later it is read again for each overview (it may change).
  const first = readConfig(flags.configFile, loadHost(system));
  // The path its runs are recorded under (as `src/app/run.ts` makes it).
  let configPath: string;
  try {
    configPath = fs.realPath(flags.configFile);
  } catch {
    configPath = absolute(flags.configFile, host.cwd, host.os === "windows");
  }
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const lockPath = lockPathFor(dir, configPath, await sha256(configPath));
  const historyPath = historyPathIn(dir);
  const store = openDashboardHistory(historyPath, dir, flags.configFile, system);
  const warn = (text: string) => void console.err.write(`warning: ${text}\n`);
  // Subscribed before listening: from here on a stop signal ends it cleanly.
  let stopped!: (signal: StopSignal) => void;
  const stop = new Promise<StopSignal>((resolve) => stopped = resolve);
  const offs = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) =>
    system.signals.on(s, () => stopped(s))
  );
  const dashboard = createDashboard({
    runs: new ConfigRuns(store, configPath),
    log: openLogSource(fs, flags.logFile),
    scheduler: { path: lockPath, read: () => system.locks.peek(lockPath) },
    config: configReader(flags.configFile, configPath, first, system),
    historyPath,
    clock: system.clock,
    live: { hostname: host.hostname, isAlive: (pid) => host.isAlive(pid) },
    token,
    warn,
  });
  let server: ListeningServer | undefined;
  try {
    server = listen(system, flags.host, port, dashboard.handle, (why) => warn(`dashboard: ${why}`));
    console.out.write(
      `Serving the runs of ${configPath} at ${server.url}\n` +
        `  read-only; history ${historyPath}, log ${flags.logFile}\n` +
        (token
          ? `  every request needs the token: open ${server.url}?token=… once, or send 'Authorization: Bearer …'\n`
          : "") +
        "  Ctrl-C stops it\n",
    );
    if (!store.live) {
      warn(
        `the history in ${dir} is read as it is (its folder is read-only, so it cannot be ` +
          "shared with a writer): no live updates",
      );
    }
    const signal = await stop;
    return signal === "SIGHUP" ? 129 : signal === "SIGINT" ? 130 : 143;
  } finally {
    dashboard.close();
    await server?.close(2000);
    store.close();
    for (const off of offs) off();
  }
}

/** Opens the history read-only, or says why it cannot be shown. */
function openDashboardHistory(
  path: string,
  dir: string,
  configFile: string,
  system: System,
): HistoryStore {
  const store = openHistory(system, path);
  if (store) return store;
  const run = `run the pipeline once (crude-link --config-file ${configFile})`;
  throw new UserError(`no run history in '${dir}' (no ${basename(path)} there)`, {
    hint: system.fs.exists(dir)
      ? `${run}, or point --state-dir at the folder that has ${basename(path)}`
      : `the folder does not exist: ${run}, or pass --state-dir`,
  });
}

/** Reads the config again when it changed; a config broken meanwhile is shown with why. */
function configReader(
  configFile: string,
  configPath: string,
  first: ReturnType<typeof readConfig>,
  system: System,
): () => ConfigInfo {
  let cached = { text: first.text, info: configInfo(configPath, first.text, first.pipeline) };
  return () => {
    let text: string;
    try {
      text = system.fs.readText(configFile);
    } catch (e) {
      const why = e instanceof FsError ? e.reason : e instanceof Error ? e.message : String(e);
      return { ...cached.info, error: `cannot read it now: ${why}` };
    }
    if (text === cached.text) return cached.info;
    try {
      const { pipeline } = readConfig(configFile, loadHost(system));
      cached = { text, info: configInfo(configPath, text, pipeline) };
    } catch (e) {
      const error = e instanceof UserError ? e.message : e instanceof Error ? e.message : `${e}`;
      cached = { text, info: { path: configPath, text, stepNames: [], error } };
    }
    return cached.info;
  };
}

function configInfo(
  path: string,
  text: string,
  pipeline: ReturnType<typeof readConfig>["pipeline"],
): ConfigInfo {
  return {
    path,
    text,
    stepNames: pipeline.steps.map((s) => s.name),
    ...(pipeline.cron ? { trigger: pipeline.cron.trigger } : {}),
  };
}

/**
 * Listens through the HttpServer port; a port in use, an address this
 * machine does not have, a name that does not resolve and a port it may not
 * use are each a {@link UserError} (exit 2) that says what to do.
 */
function listen(
  system: System,
  host: string,
  port: number,
  handler: (request: Request) => Promise<Response>,
  onError: (why: string) => void,
): ListeningServer {
  try {
    return system.httpServer.listen(host, port, handler, onError);
  } catch (e) {
    if (!(e instanceof ListenError)) throw e;
    switch (e.kind) {
      case "address-in-use":
        return fail(`port ${port} on ${host} is in use by another program`, {
          hint:
            `choose another with --port (e.g. --port ${port === 65535 ? port - 1 : port + 1}), ` +
            `or see what holds it with: ss -ltnp 'sport = :${port}'`,
        });
      case "address-not-available":
        return fail(`cannot listen on '${host}': this machine has no such address`, {
          hint:
            "use 127.0.0.1 (the default), 0.0.0.0 for every address, or one that 'ip addr' shows",
        });
      case "permission-denied":
        return fail(`not allowed to listen on port ${port} of '${host}'`, {
          hint: "ports below 1024 need root; choose one above, e.g. --port 8787",
        });
      case "unknown-host":
        return fail(`cannot listen on '${host}': not an address of this machine (${e.message})`, {
          hint: "give an IP address such as 127.0.0.1, ::1 or 0.0.0.0, or 'localhost'",
        });
      default:
        return fail(`cannot listen on ${host}:${port}: ${e.message}`);
    }
  }
}

function fail(message: string, options?: { hint?: string }): never {
  throw new UserError(message, options);
}
