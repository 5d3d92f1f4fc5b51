/**
 * Notification targets as the config describes them (`notify:`), the events
 * they are sent, and how messages name them without their secrets. Types
 * and small pure helpers only.
 *
 * @module
 */

/** What a notification is about. `recovery` is the first success after a failure. */
export type NotifyEvent = "start" | "success" | "failure" | "recovery";

/** Every event, in the order a run has them. */
export const NOTIFY_EVENTS: readonly NotifyEvent[] = ["start", "success", "failure", "recovery"];

/** The events a webhook or command target gets when its `on` is not given. */
export const DEFAULT_EVENTS: readonly NotifyEvent[] = ["failure", "recovery"];

/** What every target has. */
export interface TargetBase {
  /** The events it is sent. */
  on: NotifyEvent[];
  /** Each attempt is given up after this long. */
  timeoutMs: number;
  /** How many times a failed attempt is repeated (with a growing pause). */
  retries: number;
  /**
   * How messages name it: its kind and its `name`, else its URL as written
   * in the config (so `${oc.env:TOKEN}` shows as written, never its value)
   * or its command line (environment values masked), e.g.
   * `webhook 'https://hooks.slack.com/services/${oc.env:SLACK}'`,
   * `command mail -s 'pipeline failed' ops@example.com`.
   */
  label: string;
  /** Values that came from the environment: masked in everything said about it. */
  secrets: string[];
}

/** A target: an HTTP webhook, a healthchecks.io-style ping URL, or a program. */
export type NotifyTarget =
  | TargetBase & {
    kind: "webhook";
    /** The URL the JSON is posted to. */
    url: string;
    /** Extra request headers. */
    headers: Record<string, string>;
  }
  | TargetBase & {
    kind: "ping";
    /** The check's URL; `/start` and `/fail` are added to it. */
    url: string;
    /** Extra request headers. */
    headers: Record<string, string>;
  }
  | TargetBase & {
    kind: "command";
    /** The program and its arguments, run without a shell. */
    argv: string[];
  };

/** What replaces a secret in what crude-link says. */
export const MASK = "***";

/** Environment values shorter than this are not masked (they would garble every message). */
export const MIN_SECRET_LENGTH = 4;

/**
 * The text with every secret replaced by `***`, longest first (a secret
 * inside another is masked as part of the longer one).
 *
 * @example
 * ```ts
 * maskSecrets("token abcd1234 sent", ["abcd1234"]); // "token *** sent"
 * ```
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const ordered = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of ordered) out = out.split(secret).join(MASK);
  return out;
}

/** A URL as messages show it: a password in it (`https://user:pw@host`) becomes `***`. */
export function hidePassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*:)[^/@?#]*@/i, `$1${MASK}@`);
}
