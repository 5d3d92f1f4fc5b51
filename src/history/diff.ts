/**
 * A short line diff, to say what changed in a config since a run. Pure.
 *
 * @module
 */

/**
 * The lines that differ between two texts, as `-  12 | old` and
 * `+  12 | new`, at most `max` of them (then `… and N more`).
 */
export function lineDiff(before: string, after: string, max = 12): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  // Longest common subsequence table, from the end.
  const n = a.length, m = b.length;
  if (n * m > 4_000_000) {
    return [`(${n} lines before, ${m} after: too long to compare line by line)`];
  }
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${String(i + 1).padStart(3)} | ${a[i]}`);
      i++;
    } else {
      out.push(`+ ${String(j + 1).padStart(3)} | ${b[j]}`);
      j++;
    }
  }
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}
