/**
 * Hostile values for everything crude-link writes into a batch script
 * (comments, `#SBATCH` lines, `export` lines, `cd`, the command line, file
 * names), a probe step that records what reached it byte for byte, and a
 * model of how sbatch reads an `#SBATCH` line, for fast tests next to the
 * ones that run the real sbatch (tests/slurm/cluster_test.ts).
 */

/**
 * Values that try to break out of their place in a script: each would run
 * `touch CANARY` if it did. `directive` is false for the ones an `#SBATCH`
 * line must refuse (a line break or another control character).
 */
export function hostileValues(
  canary: string,
): { name: string; value: string; directive: boolean }[] {
  const touch = `touch ${canary}`;
  const rows: [string, string][] = [
    ["newline", `x\n${touch} #`],
    ["carriage return", `x\r${touch} #`],
    ["CRLF", `x\r\n${touch}\r\n`],
    ["command substitution", `$(${touch})`],
    ["backquotes", `\`${touch}\``],
    ["single quote", `it's'; ${touch}; '`],
    ["double quote", `say "hi"; ${touch}; "`],
    ["backslash", `a\\b\\'; ${touch}; \\`],
    ["backslash at the end", `x\\`],
    ["backslash newline", `x\\\n${touch}`],
    ["semicolon", `x; ${touch}`],
    ["hash", `x #; ${touch}`],
    ["unicode", "größe ✓ 🚀 дата"],
    ["line separator", `x\u2028${touch}`],
    ["bidi override", `x\u202e${touch}`],
    ["escape sequence", `\x1b[2J\x1b]0;title\x07x`],
    ["tab", `a\tb`],
    ["empty", ""],
    ["glob and braces", `* ? [a] {a,b} ~ ~root`],
    ["dollar single quote", `$'\\n' \${HOME} $HOME !! !x`],
    ["leading dash", `-e ${touch}`],
    [
      "a line that looks like a directive",
      `x\n#SBATCH --job-name=evil\n#PBS -N evil\n#BSUB -J evil`,
    ],
    ["colon first", `:x`],
    ["percent", `100% %j %x %%`],
  ];
  return rows.map(([name, value]) => ({
    name,
    value,
    directive: !/[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(value),
  }));
}

/** Every file below `dir` whose name is `name` (where a canary would have been touched). */
export function findNamed(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.name === name) found.push(path);
    if (e.isDirectory && !e.isSymlink) found.push(...findNamed(path, name));
  }
  return found;
}

/**
 * A Python step that writes its argv, its whole environment and its working
 * directory, as hex of their bytes, to the file named by `$PROBE_OUT`.
 */
export const PROBE_PY = `import json, os, sys
with open(os.environ["PROBE_OUT"], "w") as f:
    json.dump({
        "argv": [os.fsencode(a).hex() for a in sys.argv[1:]],
        "env": {k.hex(): v.hex() for k, v in os.environb.items()},
        "cwd": os.getcwdb().hex(),
    }, f)
`;

/** What {@link PROBE_PY} recorded, decoded from hex to text. */
export interface Probed {
  /** Its arguments (after the script). */
  argv: string[];
  /** Its environment. */
  env: Record<string, string>;
  /** Its working directory. */
  cwd: string;
}

/** Reads what {@link PROBE_PY} wrote. */
export function readProbe(path: string): Probed {
  const raw = JSON.parse(Deno.readTextFileSync(path));
  return {
    argv: raw.argv.map(fromHex),
    env: Object.fromEntries(
      Object.entries(raw.env as Record<string, string>).map(([k, v]) => [fromHex(k), fromHex(v)]),
    ),
    cwd: fromHex(raw.cwd),
  };
}

function fromHex(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/**
 * The words sbatch reads from one `#SBATCH` line: a model of
 * `_get_argument` in Slurm's src/sbatch/opt.c (22.05). White space splits
 * words; `"…"` and `'…'` group; a backslash takes the next character as
 * it is, inside quotes too; an unquoted `#` ends the line; a word may not
 * start with `:`; an unmatched quote is fatal. (An empty word ends the line.)
 */
export function sbatchWords(line: string): string[] {
  if (!line.startsWith("#SBATCH")) throw new Error(`not a directive: ${line}`);
  const s = line.slice("#SBATCH".length);
  const words: string[] = [];
  let i = 0;
  const space = (c: string) => /[ \t\n\v\f\r]/.test(c);
  while (true) {
    while (i < s.length && space(s[i])) i++;
    if (i >= s.length) return words;
    if (s[i] === ":") throw new Error(`sbatch: Unexpected ':' in [${line}]`);
    let word = "";
    let got = false;
    let quote = "";
    let escaped = false;
    while (i < s.length && (quote !== "" || !space(s[i]))) {
      const c = s[i];
      if (escaped) {
        escaped = false;
      } else if (c === "\\") {
        escaped = true;
        i++;
        continue;
      } else if (quote !== "") {
        if (c === quote) {
          quote = "";
          i++;
          continue;
        }
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      } else if (c === "#") {
        i = s.length;
        break;
      }
      word += c;
      got = true;
      i++;
    }
    if (quote !== "") throw new Error(`sbatch: Unmatched ${quote} in [${line}]`);
    if (!got) return words;
    words.push(word);
  }
}
