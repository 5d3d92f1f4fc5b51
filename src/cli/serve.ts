/**
 * `crude-link serve`: a read-only web dashboard of the config's runs, their
 * steps and their output, live while a scheduler runs them.
 *
 * @module
 */

import { readConfig } from "../config/load.ts";
import { UsageError, UserError } from "../errors.ts";
import { lockPathFor, sha256, stateDirFor } from "../history/state.ts";
import { HISTORY_FILE } from "../history/store.ts";
import { type ConfigInfo, createDashboard } from "../serve/app.ts";
import { listen } from "../serve/http.ts";
import { openLogSource } from "../serve/log_files.ts";
import { lockFileSource } from "../serve/lock_file.ts";
import { openRunsSource } from "../serve/sqlite_runs.ts";
import type { CliDeps } from "./deps.ts";

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

/** Serves the dashboard until SIGINT or SIGTERM; returns the exit status (130/143). */
export async function serveCommand(flags: ServeFlags, deps: CliDeps): Promise<number> {
  const port = parsePort(flags.port);
  const token = checkAccess(flags.host, flags.token ?? (deps.env.CRUDE_LINK_TOKEN || undefined));

  // The config must load now; later it is read again for each page (it may change).
  const first = readConfig(flags.configFile, deps.host);
  const configPath = deps.host.realPath(flags.configFile);
  const dir = stateDirFor(flags.configFile, flags.stateDir);
  const historyPath = `${dir}/${HISTORY_FILE}`;
  if (!deps.host.exists(historyPath)) {
    throw new UserError(`no run history in '${dir}' (no ${HISTORY_FILE} there)`, {
      hint: deps.host.exists(dir)
        ? `run the pipeline once (crude-link --config-file ${flags.configFile}), or point --state-dir at the folder that has ${HISTORY_FILE}`
        : `the folder does not exist: run the pipeline once (crude-link --config-file ${flags.configFile}), or pass --state-dir`,
    });
  }
  const runs = openRunsSource(historyPath, configPath);
  const lockPath = lockPathFor(dir, configPath, await sha256(configPath));

  let cached = { text: first.text, info: configInfo(configPath, first.text, first.pipeline) };
  const config = (): ConfigInfo => {
    let text: string;
    try {
      text = deps.host.readTextFile(flags.configFile);
    } catch (e) {
      return { ...cached.info, error: `cannot read it now: ${e instanceof Error ? e.message : e}` };
    }
    if (text === cached.text) return cached.info;
    try {
      const { pipeline } = readConfig(flags.configFile, deps.host);
      cached = { text, info: configInfo(configPath, text, pipeline) };
    } catch (e) {
      cached = {
        text,
        info: {
          path: configPath,
          text,
          stepNames: [],
          error: e instanceof Error ? e.message : String(e),
        },
      };
    }
    return cached.info;
  };

  const dashboard = createDashboard({
    runs,
    log: openLogSource(flags.logFile),
    scheduler: lockFileSource(lockPath),
    config,
    historyPath,
    historyLive: runs.info.live,
    clock: deps.clock,
    live: { hostname: deps.process.hostname, isAlive: deps.process.isAlive },
    token,
    warn: (text) => deps.stderr(`warning: ${text}\n`),
  });

  let server;
  try {
    server = listen(
      flags.host,
      port,
      dashboard.handle,
      (text) => deps.stderr(`warning: ${text}\n`),
    );
  } catch (e) {
    dashboard.close();
    runs.close();
    throw e;
  }
  deps.stdout(
    `Serving the runs of ${configPath} at ${server.url}\n` +
      `  read-only; history ${historyPath}, log ${flags.logFile}\n` +
      (token
        ? `  every request needs the token: open ${server.url}?token=… once, or send 'Authorization: Bearer …'\n`
        : "") +
      "  Ctrl-C stops it\n",
  );
  if (!runs.info.live) {
    deps.stderr(
      `warning: ${dir} is on a read-only file system: the history is shown as it is, without live updates\n`,
    );
  }

  const signal = await new Promise<"SIGINT" | "SIGTERM">((resolve) => {
    const offs = (["SIGINT", "SIGTERM"] as const).map((s) =>
      deps.onSignal(s, () => {
        for (const off of offs) off();
        resolve(s);
      })
    );
  });
  dashboard.close();
  await server.shutdown(2000);
  runs.close();
  return signal === "SIGINT" ? 130 : 143;
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
