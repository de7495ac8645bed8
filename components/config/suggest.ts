/**
 * "Did you mean": the one declared name a wrong one most likely meant, or none. Edit distance
 * alone picks badly among short names (`sshKeyz` is 4 edits from `docker`, 7 from
 * `sshPublicKey`), so names are compared by what they share in order (the longest common
 * subsequence), and a name that contains the other (`pipPackages`, `packages`) counts as close.
 */
import { editDistance } from "./sizes";

/** Below this similarity nothing is suggested: the caller lists the valid names instead. */
export const SUGGEST_THRESHOLD = 0.6;

function commonSubsequence(a: string, b: string): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let prev = 0;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = a[i - 1] === b[j - 1] ? prev + 1 : Math.max(row[j], row[j - 1]);
      prev = cur;
    }
  }
  return row[b.length];
}

/** 0..1, case-insensitive: 1 for the same name in another case; 0.9 where one contains the other (3 characters or more). */
export function similarity(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return 1;
  const contained = Math.min(x.length, y.length) >= 3 && (x.includes(y) || y.includes(x)) ? 0.9 : 0;
  return Math.max(contained, (2 * commonSubsequence(x, y)) / (x.length + y.length));
}

/** The name in `names` closest to `wanted`, or undefined when none is close enough; ties: fewer edits, then the list's order. */
export function closestName(names: readonly string[], wanted: string): string | undefined {
  let best: { name: string; score: number; edits: number } | undefined;
  for (const name of names) {
    const score = similarity(name, wanted);
    const edits = editDistance(name.toLowerCase(), wanted.toLowerCase());
    if (score < SUGGEST_THRESHOLD) continue;
    if (!best || score > best.score || (score === best.score && edits < best.edits)) best = { name, score, edits };
  }
  return best?.name;
}
