/**
 * Drives a program through a real pseudo terminal with tmux: start it, wait
 * for text on the screen, send keys, read its exit status.
 */

/** Why tmux tests skip here, or undefined when tmux works. */
export const NO_TMUX: string | undefined = (() => {
  try {
    const out = new Deno.Command("tmux", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success ? undefined : "tmux -V failed";
  } catch {
    return "tmux is not installed (apt-get install tmux; .ci/run installs it)";
  }
})();

/**
 * One program running in its own tmux server, at a 120×40 terminal. The
 * wrapper is bash, which (unlike dash) survives a Ctrl-C that its child
 * handled, so the exit status can still be recorded.
 */
export class TmuxSession {
  readonly socket = `crude-link-test-${crypto.randomUUID().slice(0, 8)}`;
  readonly #statusFile: string;

  private constructor(statusFile: string) {
    this.#statusFile = statusFile;
  }

  /** Starts `argv` in `cwd` with extra `env`, inside a new tmux server. */
  static async start(
    argv: string[],
    cwd: string,
    env: Record<string, string> = {},
  ): Promise<TmuxSession> {
    const statusFile = `${await Deno.makeTempDir()}/status`;
    const session = new TmuxSession(statusFile);
    const exports = Object.entries({ NO_COLOR: "1", ...env })
      .map(([k, v]) => `export ${k}=${shq(v)};`).join(" ");
    const command =
      `${exports} cd ${shq(cwd)}; ${argv.map(shq).join(" ")}; echo $? > ${shq(statusFile)}; ` +
      `stty -a > ${shq(statusFile)}.stty; sleep 600`;
    await session.tmux(
      "new-session",
      "-d",
      "-x",
      "120",
      "-y",
      "40",
      "bash",
      "-c",
      command,
    );
    return session;
  }

  /** Runs a tmux command against this session's server. */
  async tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!out.success) {
      throw new Error(
        `tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return new TextDecoder().decode(out.stdout);
  }

  /** The screen and its scrollback, as text. */
  screen(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-200");
  }

  /** Waits until the screen matches (default 15 s); returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = "";
    while (Date.now() < deadline) {
      text = await this.screen();
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `timed out waiting for ${pattern}; the screen shows:\n${text}`,
    );
  }

  /** Sends tmux key names (Enter, Down, C-c) or literal text. */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", ...keys);
  }

  /** Waits for the program to end and returns its exit status. */
  async exitStatus(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const text = await Deno.readTextFile(this.#statusFile);
        if (text.trim() !== "") return Number(text.trim());
      } catch {
        // Not yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `the program did not end; the screen shows:\n${await this.screen()}`,
    );
  }

  /** The terminal settings after the program ended (`stty -a`). */
  async sttyAfter(): Promise<string> {
    for (let i = 0; i < 50; i++) {
      try {
        const text = await Deno.readTextFile(`${this.#statusFile}.stty`);
        if (text.trim()) return text;
      } catch {
        // Not yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return "";
  }

  /** Ends the tmux server and everything in it. */
  async close(): Promise<void> {
    try {
      await this.tmux("kill-server");
    } catch {
      // Already gone.
    }
  }
}

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
