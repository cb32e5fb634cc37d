/** Set operations on ascending row-number lists (posting lists of the episode index). */

/** Sorted union of ascending lists. */
export function unionSorted(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 1) return [...lists[0]!];
  const all = lists.flatMap((l) => l);
  all.sort((a, b) => a - b);
  return all.filter((x, i) => i === 0 || all[i - 1] !== x);
}

export function intersectSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      out.push(a[i]!);
      i++;
      j++;
    }
  }
  return out;
}
