/**
 * Views of the {@link System} for the parts of the core that need only a
 * few facts about the machine: the interpreter choice and config loading.
 *
 * @module
 */

import type { LoadHost } from "../config/load.ts";
import type { System } from "../ports.ts";
import type { HostInfo } from "../run/command_line.ts";

/** What the interpreter choice needs: the virtualenv, the OS, PATH and files. */
export function hostInfo({ host, fs }: Pick<System, "host" | "fs">): HostInfo {
  return {
    virtualEnv: host.env.VIRTUAL_ENV || undefined,
    os: host.os,
    which: (name) => host.which(name),
    exists: (path) => fs.exists(path),
  };
}

/** What config loading needs: the interpreter choice's facts, the time zone, the environment, files. */
export function loadHost(system: Pick<System, "host" | "fs">): LoadHost {
  const { host, fs } = system;
  return {
    ...hostInfo(system),
    timeZone: host.timeZone,
    env: { ...host.env },
    readTextFile: (path) => fs.readText(path),
    listDir: (path) => fs.listDir(path),
    isExecutable: (path) => fs.isExecutable(path),
    realPath: (path) => fs.realPath(path),
    mkdirp: (path) => fs.mkdirp(path),
    stat: (path) => fs.stat(path),
  };
}
