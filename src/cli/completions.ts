/**
 * `crude-link completions bash|zsh|fish`: prints a shell completion script
 * for the commands and flags the command line really has (read from the
 * commander program, so new flags complete without touching this file).
 *
 * ```sh
 * source <(crude-link completions bash)                      # ~/.bashrc
 * crude-link completions zsh > "${fpath[1]}/_crude-link"     # zsh
 * crude-link completions fish > ~/.config/fish/completions/crude-link.fish
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The shells `completions` writes scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell `completions` writes a script for. */
type Shell = typeof SHELLS[number];

/** One flag, as completion needs it. */
interface FlagSpec {
  /** `-c`, when the flag has a short form. */
  short?: string;
  /** `--config-file`. */
  long: string;
  /** The help text. */
  description: string;
  /** What its value is: nothing (a switch), a file or folder, one of a list, or free text. */
  value: "none" | "file" | "choice" | "text";
  /** The allowed values, for `choice`. */
  choices?: string[];
}

/** One subcommand, as completion needs it. */
interface CommandSpec {
  /** `validate`. */
  name: string;
  /** The help text. */
  description: string;
  /** Its flags, `--help` included. */
  flags: FlagSpec[];
  /** What its positional argument completes to, when it has one. */
  argument?: { kind: "choice"; choices: string[] } | { kind: "folder" };
}

/** The program's commands and flags. */
interface CompletionSpec {
  /** The program's name. */
  program: string;
  /** The flags accepted before (or without) a subcommand. */
  flags: FlagSpec[];
  /** The subcommands. */
  commands: CommandSpec[];
}

/** What completion reads off a commander `Option`. */
export interface OptionLike {
  /** As written: `-c, --config-file <file>`. */
  readonly flags: string;
  /** `-c`, when there is a short form. */
  readonly short?: string;
  /** `--config-file`. */
  readonly long?: string;
  /** The help text. */
  readonly description: string;
  /** True when it takes a value (`<x>`). */
  readonly required: boolean;
  /** True when its value is optional (`[x]`). */
  readonly optional: boolean;
  /** The allowed values, when restricted. */
  readonly argChoices?: string[];
}

/** What completion reads off a commander `Command` (a program or a subcommand). */
export interface CommandLike {
  /** The command's name. */
  name(): string;
  /** Its help text. */
  description(): string;
  /** Its options. */
  readonly options: readonly OptionLike[];
  /** Its subcommands. */
  readonly commands: readonly CommandLike[];
  /** Its positional arguments. */
  readonly registeredArguments: readonly { readonly argChoices?: string[] }[];
}

/** Options whose values are paths, by name or by their value placeholder. */
const PATH_FLAGS = ["--config-file", "--log-file"];
const PATH_PLACEHOLDER = /<(file|dir|folder|path)>/;

const HELP: FlagSpec = { short: "-h", long: "--help", description: "show help", value: "none" };

function flagSpec(option: OptionLike): FlagSpec {
  const value = !option.required && !option.optional
    ? "none"
    : option.argChoices
    ? "choice"
    : PATH_FLAGS.includes(option.long ?? "") || PATH_PLACEHOLDER.test(option.flags)
    ? "file"
    : "text";
  return {
    ...(option.short ? { short: option.short } : {}),
    long: option.long ?? option.short ?? option.flags,
    description: option.description,
    value,
    ...(option.argChoices ? { choices: [...option.argChoices] } : {}),
  };
}

/** Reads the commands and flags off a commander program. */
function specFromProgram(program: CommandLike): CompletionSpec {
  return {
    program: program.name(),
    flags: [...program.options.map(flagSpec), HELP],
    commands: program.commands.map((cmd) => {
      const arg = cmd.registeredArguments[0];
      return {
        name: cmd.name(),
        description: cmd.description(),
        flags: [...cmd.options.map(flagSpec), HELP],
        ...(arg?.argChoices
          ? { argument: { kind: "choice" as const, choices: [...arg.argChoices] } }
          : arg
          ? { argument: { kind: "folder" as const } }
          : {}),
      };
    }),
  };
}

/** The completion script for one shell. */
function completionScript(shell: Shell, spec: CompletionSpec): string {
  switch (shell) {
    case "bash":
      return bashScript(spec);
    case "zsh":
      return zshScript(spec);
    case "fish":
      return fishScript(spec);
  }
}

/** Prints the completion script for `shell`; returns the exit status. */
export function completionsCommand(
  shell: string,
  program: CommandLike,
  write: (text: string) => void,
): number {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completions for shell '${shell}'; choose ${SHELLS.join(", ")}`);
  }
  write(completionScript(shell as Shell, specFromProgram(program)));
  return 0;
}

// ---- bash ------------------------------------------------------------------

function names(flags: FlagSpec[]): string[] {
  return flags.flatMap((f) => f.short ? [f.short, f.long] : [f.long]);
}

function bashScript(spec: CompletionSpec): string {
  const fn = `_${spec.program.replace(/\W/g, "_")}`;
  const all = [spec.flags, ...spec.commands.map((c) => c.flags)].flat();
  const withValue = (kind: FlagSpec["value"]) =>
    [...new Set(names(all.filter((f) => f.value === kind)))].join("|");
  const choiceCases = all.filter((f) => f.value === "choice").map((f) =>
    `    ${names([f]).join("|")}) COMPREPLY=($(compgen -W "${
      f.choices!.join(" ")
    }" -- "$cur")); return ;;`
  );
  const commandCases = spec.commands.map((c) => {
    const arg = c.argument?.kind === "choice"
      ? `args="${c.argument.choices.join(" ")}"`
      : c.argument?.kind === "folder"
      ? "args=@folder"
      : "args=";
    return `    ${c.name}) opts="${names(c.flags).join(" ")}"; ${arg} ;;`;
  });
  return `# bash completion for ${spec.program}, made by '${spec.program} completions bash'.
# Load it in ~/.bashrc:  source <(${spec.program} completions bash)
${fn}() {
  local cur prev cmd word opts args i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ "$cur" == "=" ]]; then cur=""; fi
  if [[ "$prev" == "=" && COMP_CWORD -ge 2 ]]; then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  COMPREPLY=()
  case "$prev" in
    ${withValue("file") || "--no-such-flag"})
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
${choiceCases.map((c) => c + "\n").join("")}    ${withValue("text") || "--no-such-flag"}) return ;;
  esac
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      ${withValue("file") || "--no-such-flag"}|${withValue("text") || "--no-such-flag"}${
    withValue("choice") ? `|${withValue("choice")}` : ""
  }) ((i++)) ;;
      ${spec.commands.map((c) => c.name).join("|")}) cmd="$word"; break ;;
    esac
  done
  case "$cmd" in
    "") opts="${names(spec.flags).join(" ")}"; args="${
    spec.commands.map((c) => c.name).join(" ")
  }" ;;
${commandCases.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ "$args" == @folder ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$args" -- "$cur"))
  fi
}
complete -F ${fn} ${spec.program}
`;
}

// ---- zsh -------------------------------------------------------------------

/** Text inside a single-quoted zsh word. */
function zq(text: string): string {
  return text.replaceAll("'", `'\\''`);
}

/** A description inside an `_arguments` spec's brackets. */
function zdesc(text: string): string {
  return zq(text.replace(/[[\]:\\]/g, (c) => `\\${c}`));
}

function zshFlag(f: FlagSpec): string {
  const action = f.value === "file"
    ? ":file:_files"
    : f.value === "choice"
    ? `:value:(${f.choices!.join(" ")})`
    : f.value === "text"
    ? ":value: "
    : "";
  const desc = `[${zdesc(f.description)}]`;
  if (!f.short) return `'${f.long}${desc}${action}'`;
  return `'(${f.short} ${f.long})'{${f.short},${f.long}}'${desc}${action}'`;
}

function zshScript(spec: CompletionSpec): string {
  const fn = `_${spec.program}`;
  const indent = "        ";
  const commandCases = spec.commands.map((c) => {
    const args = c.flags.map(zshFlag);
    if (c.argument?.kind === "choice") args.push(`'1:shell:(${c.argument.choices.join(" ")})'`);
    if (c.argument?.kind === "folder") args.push("'1:folder:_files -/'");
    return `      (${c.name})\n${indent}_arguments -s \\\n${indent}  ${
      args.join(` \\\n${indent}  `)
    } ;;`;
  });
  return `#compdef ${spec.program}
# zsh completion for ${spec.program}, made by '${spec.program} completions zsh'.
# Install it as a file named _${spec.program} in a folder of $fpath, or load it
# for this shell with:  source <(${spec.program} completions zsh)
${fn}() {
  local context state state_descr line
  typeset -A opt_args
  local -a commands
  commands=(
${
    spec.commands.map((c) => `    '${c.name}:${zq(c.description.replaceAll(":", "\\:"))}'`).join(
      "\n",
    )
  }
  )
  _arguments -s -C \\
    ${spec.flags.map(zshFlag).join(" \\\n    ")} \\
    '1: :->command' \\
    '*:: :->args'
  case $state in
    (command)
      _describe -t commands '${spec.program} command' commands ;;
    (args)
      case $line[1] in
${commandCases.join("\n")}
      esac ;;
  esac
}

if [ "$funcstack[1]" = "${fn}" ]; then
  ${fn} "$@"
else
  compdef ${fn} ${spec.program}
fi
`;
}

// ---- fish ------------------------------------------------------------------

/** A single-quoted fish word. */
function fq(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function fishFlag(program: string, condition: string, f: FlagSpec): string {
  const parts = [`complete -c ${program} -n ${fq(condition)}`];
  if (f.short) parts.push(`-s ${f.short.slice(1)}`);
  parts.push(`-l ${f.long.slice(2)}`);
  if (f.value === "file") parts.push("-r -F");
  if (f.value === "text") parts.push("-x");
  if (f.value === "choice") parts.push(`-x -a ${fq(f.choices!.join(" "))}`);
  parts.push(`-d ${fq(f.description)}`);
  return parts.join(" ");
}

function fishScript(spec: CompletionSpec): string {
  const p = spec.program;
  const lines = [
    `# fish completion for ${p}, made by '${p} completions fish'.`,
    `# Install it:  ${p} completions fish > ~/.config/fish/completions/${p}.fish`,
    `complete -c ${p} -f`,
    ...spec.commands.map((c) =>
      `complete -c ${p} -n __fish_use_subcommand -a ${c.name} -d ${fq(c.description)}`
    ),
    ...spec.flags.map((f) => fishFlag(p, "__fish_use_subcommand", f)),
  ];
  for (const c of spec.commands) {
    const when = `__fish_seen_subcommand_from ${c.name}`;
    lines.push(...c.flags.map((f) => fishFlag(p, when, f)));
    if (c.argument?.kind === "choice") {
      lines.push(`complete -c ${p} -n ${fq(when)} -a ${fq(c.argument.choices.join(" "))}`);
    }
    if (c.argument?.kind === "folder") {
      lines.push(`complete -c ${p} -n ${fq(when)} -a '(__fish_complete_directories)'`);
    }
  }
  return lines.join("\n") + "\n";
}
