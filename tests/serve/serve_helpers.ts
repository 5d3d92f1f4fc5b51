/**
 * Helpers for the dashboard's end-to-end tests: a project whose Python
 * steps (with fire) print to stdout and stderr, fail on demand and wait for
 * a file; and `crude-link serve` started as a real process on a free port.
 */

import { fireEnv, makeProject, spawnCli } from "../helpers.ts";

/**
 * A step that prints a line on each stream (and `say`), waits for the file
 * `wait_for` (or $WAIT_FOR) when given, and fails when $FAIL_STEP names it.
 */
export const STEP_PY = `import os, sys, time
import fire

def main(wait_for=None, say=None):
    name = os.environ["CRUDE_LINK_STEP"]
    print(f"{name} says hello", flush=True)
    print(f"{name} warns on stderr", file=sys.stderr, flush=True)
    if say:
        print(say, flush=True)
    wait_for = wait_for or os.environ.get("WAIT_FOR")
    if wait_for:
        print(f"{name} waits for {wait_for}", flush=True)
        while not os.path.exists(wait_for):
            time.sleep(0.05)
        print(f"{name} saw {wait_for}", flush=True)
    if os.environ.get("FAIL_STEP") == name:
        print(f"{name} fails on purpose", file=sys.stderr, flush=True)
        sys.exit(3)

if __name__ == "__main__":
    fire.Fire(main)
`;

/** Two steps, `prep` and `train`, as configs merged with anchors. */
export const TWO_STEPS = `configs:
  - prep: &prep
      script: step.py
  - train: &train
      script: step.py
steps:
  - <<: *prep
  - <<: *train
`;

/** A project folder with step.py and a config. */
export function makeServeProject(
  config = TWO_STEPS,
  extra: Record<string, string> = {},
): Promise<string> {
  return makeProject({ "config.yaml": config, "step.py": STEP_PY, ...extra });
}

/** The environment for runs of the project (the Python with fire). */
export function stepEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...fireEnv(), ...extra };
}

/** A running `crude-link serve`. */
export interface Served {
  /** Its address, `http://127.0.0.1:PORT/`. */
  url: string;
  /** The process. */
  child: Deno.ChildProcess;
  /** Everything it printed so far on stdout and stderr. */
  output(): { stdout: string; stderr: string };
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Starts `crude-link serve --port 0 …` in `cwd` and waits for it to say where it listens. */
export async function startServe(
  cwd: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Served> {
  const child = spawnCli(["serve", "--port", "0", ...args], { cwd, env });
  let stdout = "";
  let stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
  };
  const done = Promise.all([
    pump(child.stdout, (s) => stdout += s),
    pump(child.stderr, (s) => stderr += s),
  ]);
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  let exited = false;
  child.status.then(() => exited = true);
  while (!url) {
    url = /at (http:\/\/\S+\/)\n/.exec(stdout)?.[1];
    if (url) break;
    if (exited || Date.now() > deadline) {
      await done;
      throw new Error(`crude-link serve did not start:\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    child,
    output: () => ({ stdout, stderr }),
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Ended already.
      }
      const status = await child.status;
      await done;
      return status;
    },
  };
}

/** Polls `check` every 50 ms until it is true (or fails after `ms`, saying what it waited for). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One server-sent event. */
export interface ServerEvent {
  event: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

/** Takes the complete events off the front of an event-stream text; returns them and the rest. */
export function takeEvents(buffer: string): { events: ServerEvent[]; rest: string } {
  const events: ServerEvent[] = [];
  let end;
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, data: JSON.parse(data) });
  }
  return { events, rest: buffer };
}
