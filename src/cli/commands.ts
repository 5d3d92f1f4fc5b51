/**
 * Help, the commands other than `run`, and completions, with commander,
 * which `main.ts` loads only for them (an npm package costs about 40 ms of
 * start-up: the run path has its own reader, `args.ts`). The run flags are
 * declared here from the same rows as the reader's ({@link RUN_FLAGS}), so
 * that help and completions show exactly what `run` accepts.
 *
 * @module
 */

import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { didYouMean, UsageError, UserError } from "../errors.ts";
import { loadHost } from "../app/host.ts";
import type { System } from "../ports.ts";
import { NOTIFY_EVENTS, type NotifyEvent } from "../notify/target.ts";
import {
  DEFAULT_LOG_FILE,
  defaultRunFlags,
  type FlagRow,
  type Parsed,
  positiveNumber,
  readOverrideWords,
  RUN_FLAGS,
} from "./args.ts";
import type { ExportFlags } from "./export.ts";
import type { NextFlags } from "./next.ts";
import type { InitFlags } from "./init.ts";
import { completionsCommand, SHELLS } from "./completions.ts";
import type { HistoryFlags } from "./history.ts";
import type { ServeFlags } from "./serve.ts";
import { VERSION } from "./main.ts";

const OVERRIDES_HELP = `Overrides (see the README, "Everyday use"):
  PATH=VALUE    set a value: vars.epochs=5, training.lr=0.01 (an argument of
                the step 'training'), steps.NAME.KEY, configs.0.NAME.KEY
  +PATH=VALUE   add a key that does not exist: +training.seed=7
  ~PATH         remove one: ~cron
  VALUE is read as YAML: 5 int, 0.01 float, True bool, null, [64,32], {a: 1},
  '5' text.`;

/**
 * Runs commander on the command line (help, a command, completions);
 * returns the exit status. Throws {@link UserError}s for `main` to print.
 */
export async function runCommander(argv: string[], system: System): Promise<number> {
  const stdout = (text: string) => void system.console.out.write(text);
  const stderr = (text: string) => void system.console.err.write(text);
  let exitCode = 0;
  const program = new Command("crude-link")
    .description(
      "Run the steps of an ML pipeline one after another from a YAML file;\n" +
        "ask what to do when one fails, or run unattended on a cron schedule.",
    )
    .usage("[run] [options] [OVERRIDE...]\n       crude-link <command> [options]")
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .configureOutput({ writeOut: stdout, writeErr: stderr })
    .showHelpAfterError("(run 'crude-link --help' for usage)")
    .addHelpText(
      "after",
      `
${OVERRIDES_HELP}

Exit status: 0 success, 1 a step failed, 2 bad config or usage,
129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.

Examples:
  crude-link --config-file config.yaml            run once, ask on failure
  crude-link training.lr=0.01 --only training     one step, with another learning rate
  crude-link --dry-run vars.epochs=5              what would run, and how
  crude-link --config-file config.yaml --non-interactive --keep-running
                                                  run on the cron schedule, log to crude-link.log
  crude-link validate --config-file config.yaml   check the file, run nothing
  crude-link next --count 3                       when will the schedule fire?`,
    );

  // The run flags work at the top level (`crude-link -c c.yaml validate`);
  // options must come before a command. A command's option without a value
  // falls back to the top level's.
  const withTop = <T extends object>(flags: T): T => ({
    ...program.opts(),
    ...defined(flags),
  });
  const notHere = () => {
    // The run path never reaches commander (main.ts reads it); only its help does.
    throw new Error("bug: commander was asked to run the pipeline");
  };
  addRunOptions(program)
    .enablePositionalOptions()
    .allowExcessArguments()
    .action((_flags: unknown, cmd: Command) => {
      const command = cmd.args[0];
      const names = program.commands.map((c) => c.name());
      if (command !== undefined) {
        const guess = didYouMean(command, names);
        throw new UsageError(
          `unknown command '${command}'`,
          `${guess ? `did you mean '${guess}'? ` : ""}commands are ${
            names.join(", ")
          }; run 'crude-link --help' for usage`,
        );
      }
      notHere();
    });
  addRunOptions(
    program.command("run")
      .description("run the pipeline (what crude-link does without a command)")
      .usage("[options] [OVERRIDE...]")
      .addHelpText("after", `\n${OVERRIDES_HELP}`),
  ).action(notHere);

  program.command("validate")
    .description("check the config file and the steps' scripts; run nothing")
    .addOption(configFileOption())
    .argument("[overrides...]", "PATH=VALUE, +PATH=VALUE, ~PATH (as for run)")
    .action(async (overrides: string[], flags: { configFile?: string }) => {
      exitCode = (await import("./validate.ts")).validateCommand(
        withTop(flags).configFile!,
        readOverrideWords(overrides),
        system,
      );
    });

  program.command("history")
    .description("show the recent runs and their steps")
    .addOption(configFileOption())
    .addOption(stateDirOption())
    .addOption(
      new Option("-n, --limit <n>", "how many runs").argParser(parser(positiveNumber)).default(10),
    )
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
    .addOption(configFileOption())
    .addOption(
      new Option("-n, --count <n>", "how many fire times").argParser(parser(positiveNumber))
        .default(5),
    )
    .option("--from <iso>", "start from this instant instead of now (ISO 8601)")
    .option("--json", "print a JSON array of strings")
    .argument("[overrides...]", "PATH=VALUE, +PATH=VALUE, ~PATH (as for run)")
    .action(
      async (
        overrides: string[],
        flags: Omit<NextFlags, "configFile" | "overrides"> & { configFile?: string },
      ) => {
        exitCode = (await import("./next.ts")).nextCommand({
          ...flags,
          configFile: withTop(flags).configFile!,
          overrides: readOverrideWords(overrides),
        }, system);
      },
    );

  program.command("status")
    .description(
      "is the schedule running, when does it fire next, how did the last runs go " +
        "(exit 0 ok, 1 the last run failed, 3 no scheduler)",
    )
    .addOption(configFileOption())
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
    .addOption(configFileOption())
    .addOption(
      new Option("--event <event>", "send only this event's sample").choices(NOTIFY_EVENTS),
    )
    .action(async (flags: { configFile?: string; event?: NotifyEvent }) => {
      exitCode = await (await import("./notify.ts")).notifyTestCommand({
        configFile: withTop(flags).configFile!,
        event: flags.event,
      }, system);
    });

  program.command("serve")
    .description("a read-only web dashboard of the runs, their steps and output, live")
    .addOption(configFileOption())
    .addOption(stateDirOption())
    .option("--log-file <file>", "the log file the runs wrote", DEFAULT_LOG_FILE)
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

  program.command("export")
    .description("write the pipeline as sbatch scripts chained with afterok, and a submit.sh")
    .addArgument(new Argument("<target>", "what to export to").choices(["slurm"]))
    .argument("[overrides...]", "PATH=VALUE, +PATH=VALUE, ~PATH (as for run)")
    .addOption(configFileOption())
    .option("-o, --out <dir>", "the folder to write to", "slurm")
    .option("--force", "overwrite files that exist already")
    .action(
      async (
        target: string,
        overrides: string[],
        flags: Omit<ExportFlags, "configFile" | "overrides"> & { configFile?: string },
      ) => {
        exitCode = (await import("./export.ts")).exportCommand(target, {
          ...flags,
          configFile: withTop(flags).configFile!,
          overrides: readOverrideWords(overrides),
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

  program.command("graph")
    .description("print the steps and what each needs; --dot for Graphviz")
    .addOption(configFileOption())
    .option("--dot", "print the graph in Graphviz's DOT language")
    .argument("[overrides...]", "PATH=VALUE, +PATH=VALUE, ~PATH (as for run)")
    .action(async (overrides: string[], flags: { configFile?: string; dot?: boolean }) => {
      exitCode = (await import("./graph.ts")).graphCommand({
        configFile: withTop(flags).configFile!,
        dot: flags.dot,
        overrides: readOverrideWords(overrides),
      }, system);
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
        e.code === "commander.helpDisplayed" || e.code === "commander.version" ||
        e.code === "commander.help"
      ) return 0;
      return 2;
    }
    throw e;
  }
  return exitCode;
}

/** `--config-file` for a command (its default is the top level's). */
function configFileOption(): Option {
  return new Option("-c, --config-file <file>", "the pipeline's YAML file");
}

/** The default a flag's value has when it is not given (for help). */
const DEFAULTS: Record<string, string | number> = {
  "config-file": defaultRunFlags().configFile,
  "log-file": DEFAULT_LOG_FILE,
  "log-max-bytes": defaultRunFlags().logMaxBytes,
  "log-backups": defaultRunFlags().logBackups,
};

/** A run flag as a commander option: the same name, value, help and default. */
function runOption(row: FlagRow): Option {
  const flags = `${row.short ? `-${row.short}, ` : ""}--${row.long}${
    row.value ? ` <${row.value}>` : ""
  }`;
  const option = new Option(flags, row.description);
  if (row.value) {
    option.argParser((value: string) => {
      try {
        row.apply(defaultRunFlags(), value, `--${row.long}`);
      } catch (e) {
        if (e instanceof UserError) throw new InvalidArgumentError(e.message);
        throw e;
      }
      return value;
    });
  }
  const value = DEFAULTS[row.long];
  if (value !== undefined) option.default(value, row.shownDefault);
  else if (row.shownDefault) option.description += ` (default: ${row.shownDefault})`;
  return option;
}

function addRunOptions(cmd: Command): Command {
  for (const row of RUN_FLAGS) cmd.addOption(runOption(row));
  return cmd;
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

/** A commander value parser from one of the reader's. */
function parser(read: (value: string) => Parsed<number>): (value: string) => number {
  return (value) => {
    const parsed = read(value);
    if (!parsed.ok) throw new InvalidArgumentError(`expected ${parsed.expected}, got '${value}'`);
    return parsed.value;
  };
}
