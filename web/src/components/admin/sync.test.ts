import { describe, expect, it } from 'vitest';

import { groupSyncLines, isEmptySync } from './sync';

describe('catalogue sync preview', () => {
  it('groups the lines by kind', () => {
    const groups = groupSyncLines([
      '+ acme/new-1',
      '- acme/old-1',
      '~ acme/fast-1 prompt: $0.1 -> $0.2/M tokens',
      '! held acme/fast-1 completion: $1 -> $10/M tokens (changes more than 3x; --confirm to apply)',
      '= kept acme/mine-1 prompt: $1 -> $2/M tokens (set by hand; --force to replace)',
    ]);
    expect(groups.added).toEqual(['acme/new-1']);
    expect(groups.removed).toEqual(['acme/old-1']);
    expect(groups.changed).toEqual(['acme/fast-1 prompt: $0.1 -> $0.2/M tokens']);
    expect(groups.held[0]).toMatch(/^acme\/fast-1 completion/);
    expect(groups.kept[0]).toMatch(/^acme\/mine-1/);
    expect(isEmptySync(groups)).toBe(false);
    expect(isEmptySync(groupSyncLines([]))).toBe(true);
  });
});
