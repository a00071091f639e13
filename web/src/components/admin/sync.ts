// A catalogue sync's answer is one line per change, its first character saying which kind (see
// src/modelyard/catalog/sync.py SyncPlan.lines): "+ slug" added, "- slug" hidden, "~ ..." a price change
// that applies, "! held ..." a suspicious change held back, "= kept ..." a price set by hand that is kept.

export const SYNC_KINDS = ['added', 'removed', 'changed', 'held', 'kept'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];
export type SyncGroups = Record<SyncKind, string[]>;

const PREFIXES: [string, SyncKind][] = [
  ['+ ', 'added'],
  ['- ', 'removed'],
  ['~ ', 'changed'],
  ['! held ', 'held'],
  ['= kept ', 'kept'],
];

export function groupSyncLines(lines: readonly string[]): SyncGroups {
  const groups: SyncGroups = { added: [], removed: [], changed: [], held: [], kept: [] };
  for (const line of lines) {
    const match = PREFIXES.find(([prefix]) => line.startsWith(prefix));
    if (match) {
      groups[match[1]].push(line.slice(match[0].length));
    } else {
      groups.changed.push(line);
    }
  }
  return groups;
}

export function isEmptySync(groups: SyncGroups): boolean {
  return SYNC_KINDS.every((kind) => groups[kind].length === 0);
}
