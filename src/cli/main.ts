/**
 * The command line: commander wiring, one file per command, and the one
 * place where errors become exit statuses (0 ok, 1 a step failed, 2 bad
 * config or usage, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM).
 *
 * @module
 */

import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import denoJson from "../../deno.json" with { type: "json" };
import { didYouMean, UsageError, UserError } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import type { System } from "../ports.ts";
import type { ExportFlags } from "./export.ts";
import { runCommand, type RunFlags } from "./run.ts";

import type { NextFlags } from "./next.ts";
import type { InitFlags } from "./init.ts";
import { completionsCommand, SHELLS } from "./completions.ts";
import type { HistoryFlags } from "./history.ts";
import type { ServeFlags } from "./serve.ts";
import { NOTIFY_EVENTS, type NotifyEvent } from "../notify/target.ts";

/** The version printed by `--version`. */
const VERSION: string = denoJson.version;

/**
 * Runs crude-link with the given arguments (without the program name) on
 * the given machine (`createSystem()` from `src/io/system.ts` for the real
 * one), and returns the exit status once its output is written.
 */
export async function main(argv: string[], system: System): Promise<number> {
  const code = await dispatch(argv, system);
  // A console nobody reads must not keep crude-link from exiting.
  await Promise.all([system.console.out.drain(2000), system.console.err.drain(2000)]);
  return code;
}

async function dispatch(argv: string[], system: System): Promise<number> {
  const stdout = (text: string) => void system.console.out.write(text);
  const stderr = (text: string) => void system.console.err.write(text);
  let exitCode = 0;
  const program = new Command("crude-link")
    .description(
      "Run the steps of an ML pipeline one after another from a YAML file;\n" +
        "ask what to do when one fails, or run unattended on a cron schedule.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({
      writeOut: stdout,
      writeErr: stderr,
      outputError: (s, write) => write(s.replace(/^error: /, "error: ")),
    })
    .showHelpAfterError("(run 'crude-link --help' for usage)")
    .addHelpText(
      "after",
      `
Exit status: 0 success, 1 a step failed, 2 bad config or usage,
129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.

Examples:
  crude-link --config-file config.yaml            run once, ask on failure
  crude-link --config-file config.yaml --non-interactive --keep-running
                                                  run on the cron schedule, log to crude-link.log
  crude-link validate --config-file config.yaml   check the file, run nothing
  crude-link next --count 3                       when will the schedule fire?`,
    );

  // The seed's flags work at the top level (`crude-link --config-file c.yaml`)
  // and after the explicit `run`; options must come before a subcommand.
  // A subcommand's option without a value falls back to the top level's.
  const withTop = <T extends object>(flags: T): T => ({
    ...program.opts(),
    ...defined(flags),
  });
  const run = async (flags: RunFlags) => {
    exitCode = await runCommand(withTop(flags), system);
  };
  addRunOptions(program, true)
    .enablePositionalOptions()
    .allowExcessArguments()
    .action(async (flags: RunFlags, cmd: Command) => {
      const command = cmd.args[0];
      if (command !== undefined) {
        const names = program.commands.map((c) => c.name());
        const guess = didYouMean(command, names);
        throw new UsageError(
          `unknown command '${command}'`,
          `${guess ? `did you mean '${guess}'? ` : ""}commands are ${
            names.join(", ")
          }; run 'crude-link --help' for usage`,
        );
      }
      await run(flags);
    });
  addRunOptions(
    program.command("run").description(
      "run the pipeline (what crude-link does without a command)",
    ),
    false,
  ).action(run);

  program.command("validate")
    .description("check the config file and the steps' scripts; run nothing")
    .addOption(configFileOption(false))
    .action(async (flags: { configFile?: string }) => {
      exitCode = (await import("./validate.ts")).validateCommand(
        withTop(flags).configFile!,
        system,
      );
    });

  program.command("history")
    .description("show the recent runs and their steps")
    .addOption(configFileOption(false))
    .addOption(stateDirOption())
    .addOption(new Option("-n, --limit <n>", "how many runs").argParser(positiveNumber).default(10))
    .option("--json", "print the runs, steps and attempts as JSON")
    .action(async (flags: Omit<HistoryFlags, "configFile"> & { configFile?: string }) => {
      const top = withTop(flags);
      exitCode = (await import("./history.ts")).historyCommand(
        { ...flags, configFile: top.configFile!, stateDir: flags.stateDir },
        system,
      );
    });

  program.command("next")
    .description("print the next fire times of the config's cron schedule")
    .addOption(configFileOption(false))
    .addOption(
      new Option("-n, --count <n>", "how many fire times").argParser(
        positiveNumber,
      ).default(5),
    )
    .option("--from <iso>", "start from this instant instead of now (ISO 8601)")
    .option("--json", "print a JSON array of strings")
    .action(
      async (flags: Omit<NextFlags, "configFile"> & { configFile?: string }) => {
        exitCode = (await import("./next.ts")).nextCommand({
          ...flags,
          configFile: withTop(flags).configFile!,
        }, system);
      },
    );

  program.command("status")
    .description(
      "is the schedule running, when does it fire next, how did the last runs go " +
        "(exit 0 ok, 1 the last run failed, 3 no scheduler)",
    )
    .addOption(configFileOption(false))
    .addOption(stateDirOption())
    .option("--json", "print the status as JSON")
    .action(async (flags: { configFile?: string; stateDir?: string; json?: boolean }) => {
      exitCode = await (await import("./status.ts")).statusCommand({
        configFile: withTop(flags).configFile!,
        stateDir: flags.stateDir,
        json: flags.json ?? false,
      }, system);
    });

  const notify = program.command("notify")
    .description("test the config's notification targets (crude-link notify test)");
  notify.command("test")
    .description("send a sample of each event to every target and say what each answered")
    .addOption(configFileOption(false))
    .addOption(
      new Option("--event <event>", "send only this event's sample").choices(NOTIFY_EVENTS),
    )
    .action(async (flags: { configFile?: string; event?: NotifyEvent }) => {
      exitCode = await (await import("./notify.ts")).notifyTestCommand({
        configFile: withTop(flags).configFile!,
        event: flags.event,
      }, system);
    });

  program.command("export")
    .description("write the pipeline as sbatch scripts chained with afterok, and a submit.sh")
    .addArgument(new Argument("<target>", "what to export to").choices(["slurm"]))
    .addOption(configFileOption(false))
    .option("-o, --out <dir>", "the folder to write to", "slurm")
    .option("--force", "overwrite files that exist already")
    .action(
      async (target: string, flags: Omit<ExportFlags, "configFile"> & { configFile?: string }) => {
        exitCode = (await import("./export.ts")).exportCommand(target, {
          ...flags,
          configFile: withTop(flags).configFile!,
        }, {
          host: loadHost(system),
          fs: system.fs,
          cwd: system.host.cwd,
          pid: system.host.pid,
          stdout,
          stderr,
        });
      },
    );

  program.command("serve")
    .description("a read-only web dashboard of the runs, their steps and output, live")
    .addOption(configFileOption(false))
    .addOption(stateDirOption())
    .option("--log-file <file>", "the log file the runs wrote", "crude-link.log")
    .option(
      "--host <address>",
      "the address to listen on (others than 127.0.0.1 need --token)",
      "127.0.0.1",
    )
    .option("--port <port>", "the port to listen on (0: any free one)", "8787")
    .option("--token <token>", "a secret every request must carry (default: $CRUDE_LINK_TOKEN)")
    .action(async (flags: Omit<ServeFlags, "configFile"> & { configFile?: string }) => {
      exitCode = await (await import("./serve.ts")).serveCommand(
        { ...flags, configFile: withTop(flags).configFile! },
        system,
      );
    });

  program.command("init")
    .description("write a starter config.yaml and example steps (tasks/*.py) into DIR")
    .argument("[dir]", "the project folder, created when missing (default: this folder)")
    .option("--force", "overwrite files that exist already")
    .action(async (dir: string | undefined, flags: InitFlags) => {
      exitCode = (await import("./init.ts")).initCommand(dir, flags, system);
    });

  program.command("completions")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action((shell: string) => {
      exitCode = completionsCommand(shell, program, stdout);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" || e.code === "commander.version"
      ) return 0;
      if (e.code === "commander.help") return 0;
      return 2;
    }
    if (e instanceof UserError) {
      stderr(e.render() + "\n");
      return e.exitCode;
    }
    throw e;
  }
  return exitCode;
}

/** The option, with its default shown only at the top level (subcommands inherit it). */
function configFileOption(top: boolean): Option {
  const option = new Option(
    "-c, --config-file <file>",
    "the pipeline's YAML file",
  );
  return top ? option.default("config.yaml") : option;
}

function addRunOptions(cmd: Command, top: boolean): Command {
  const logFile = new Option(
    "--log-file <file>",
    "log file (non-interactive mode)",
  );
  return cmd
    .addOption(configFileOption(top))
    .option(
      "--non-interactive",
      "ask nothing; log to the log file; follow the cron schedule",
    )
    .addOption(top ? logFile.default("crude-link.log") : logFile)
    .addOption(
      new Option(
        "--log-max-bytes <bytes>",
        "rotate the log before it passes this size",
      )
        .argParser(byteCount).default(
          top ? 2_097_152 : undefined,
          "2097152 (2 MiB)",
        ),
    )
    .addOption(
      new Option(
        "--log-backups <count>",
        "rotated log files to keep (.1, .2, …)",
      )
        .argParser(wholeNumber).default(top ? 3 : undefined, "3"),
    )
    .option("--keep-running", "on a schedule, keep going after a failed run")
    .option("--run-now", "on a schedule, also run once at start-up")
    .addOption(stateDirOption())
    .option("--resume", "continue the last failed or interrupted run from its failed step")
    .option("--force", "with --resume: resume even though the config changed")
    .option(
      "--metrics-file <path>",
      "write Prometheus metrics here at start-up and after every run (over metrics_file)",
    );
}

function stateDirOption(): Option {
  return new Option(
    "--state-dir <dir>",
    "where the run history and locks live (default: .crude-link/ next to the config)",
  );
}

function defined<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(flags).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

function positiveNumber(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) {
    throw new InvalidArgumentError(`expected 1 or more, got '${value}'`);
  }
  return n;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  }
  return Number(value);
}

/** Bytes, with an optional unit: 1048576, 512K, 10M, 1G (powers of 1024). */
function byteCount(value: string): number {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!m) {
    throw new InvalidArgumentError(
      `expected a size in bytes like 2097152, 512K or 10M, got '${value}'`,
    );
  }
  const unit = {
    "": 1,
    k: 1024,
    m: 1024 ** 2,
    g: 1024 ** 3,
  }[m[2].toLowerCase()]!;
  const bytes = Number(m[1]) * unit;
  if (bytes > 0 && bytes < 64) {
    throw new InvalidArgumentError(
      `a log file needs at least 64 bytes, got '${value}'`,
    );
  }
  return bytes;
}
