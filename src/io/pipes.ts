/**
 * Larger output pipes for steps that write faster than crude-link reads
 * (Linux only; issue 18).
 *
 * A pipe holds 64 KiB on Linux. A step that writes in large pieces (a
 * data loader, a model dumping its weights as text) fills it at once and
 * waits, while crude-link formats and writes out what it read; then
 * crude-link waits for the step. Growing the pipe to 1 MiB with
 * `fcntl(F_SETPIPE_SZ)` lets both work at the same time: 40 MB written in
 * 1 MB pieces go through the runner and both sinks in about half the time
 * (`deno run -A bench/pipe_size.ts`, bench/results.md). Deno has no call
 * for it, so libc's `fcntl` is called through `Deno.dlopen`.
 *
 * Which descriptors: the step's own standard output and error are, in its
 * /proc/PID/fd, links to the pipes (`pipe:[inode]`); crude-link's reading
 * ends are the descriptors of its own /proc/self/fd that link to the same
 * pipes. Matching them by inode finds exactly the step's pipes, whatever
 * else this process has open or starts meanwhile (steps started side by
 * side, the history, sockets). A step that has already ended, or replaced
 * its standard output, simply has nothing to match.
 *
 * Everything here is best effort and silent: no /proc, no libc (musl, a
 * sandbox), no FFI permission (`--deny-ffi`), a kernel that refuses the size
 * (an unprivileged user past `/proc/sys/fs/pipe-max-size` or the hard limit
 * of pipe pages): the pipe keeps its size and the step runs as before.
 *
 * The kernel counts a user's pipe pages: past
 * `/proc/sys/fs/pipe-user-pages-soft` (64 MiB by default) every new pipe
 * of that user gets only 8 KiB. So crude-link never holds more than
 * {@link PIPE_BUDGET_BYTES} of grown pipes at once, and grows only the
 * pipes of a step that has shown it needs it (a read that filled the whole
 * buffer), when asked by the runner.
 *
 * @module
 */

/** `F_SETPIPE_SZ` (Linux, every architecture). */
const F_SETPIPE_SZ = 1031;

/** The size a step's pipe is grown to: 1 MiB (Linux's default `pipe-max-size`). */
export const GROWN_PIPE_BYTES = 1 << 20;

/** At most this many bytes of grown pipes at once (16 steps' worth of stdout, or 8 of both). */
export const PIPE_BUDGET_BYTES = 16 << 20;

type Fcntl = (fd: number, cmd: number, arg: number) => number;

/** libc's fcntl, loaded on first use; null when it cannot be. */
let fcntl: Fcntl | null | undefined;

function loadFcntl(): Fcntl | null {
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const lib = Deno.dlopen(name, {
        fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
      });
      return lib.symbols.fcntl;
    } catch {
      // Not this name, not allowed (no FFI permission), or not Linux: try the next.
    }
  }
  return null;
}

/** Bytes of grown pipes held by running steps. */
let held = 0;

/**
 * Grows the pipes that carry a running child's standard output and error
 * to {@link GROWN_PIPE_BYTES}, within {@link PIPE_BUDGET_BYTES}. Returns
 * the bytes now held for it, to be given back with {@link releasePipes}
 * when it has ended; 0 when nothing was grown (any reason). Never throws.
 */
export function growChildPipes(pid: number): number {
  if (Deno.build.os !== "linux" || pid <= 0) return 0;
  if (held + GROWN_PIPE_BYTES > PIPE_BUDGET_BYTES) return 0;
  const wanted = new Set<string>();
  for (const fd of [1, 2]) {
    const link = readLink(`/proc/${pid}/fd/${fd}`);
    if (link?.startsWith("pipe:")) wanted.add(link);
  }
  if (wanted.size === 0) return 0;
  fcntl ??= loadFcntl();
  if (fcntl === null) return 0;
  let grown = 0;
  let names: string[];
  try {
    names = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (held + grown + GROWN_PIPE_BYTES > PIPE_BUDGET_BYTES) break;
    const link = readLink(`/proc/self/fd/${name}`);
    if (link === undefined || !wanted.has(link)) continue;
    wanted.delete(link);
    try {
      if (fcntl(Number(name), F_SETPIPE_SZ, GROWN_PIPE_BYTES) >= GROWN_PIPE_BYTES) {
        grown += GROWN_PIPE_BYTES;
      }
    } catch {
      // The call itself failed: leave the pipe as it is.
    }
    if (wanted.size === 0) break;
  }
  held += grown;
  return grown;
}

/** Gives back what {@link growChildPipes} took for a child that has ended. */
export function releasePipes(bytes: number): void {
  held = Math.max(0, held - bytes);
}

function readLink(path: string): string | undefined {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return undefined;
  }
}
