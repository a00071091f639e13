import { describe, expect, it } from 'vitest';

import { codesCsv, codesFileName, endOfLocalDay, validateCodes } from './codes';

describe('redemption codes', () => {
  it('become a CSV file, one row per code', () => {
    const csv = codesCsv({ batch: 'b1', codes: ['AAA-1', 'BBB-2'], amount: '5', max_uses: 1, expires_at: null });
    expect(csv).toBe('code,batch,amount_usd,max_uses,expires_at\r\nAAA-1,b1,5,1,\r\nBBB-2,b1,5,1,\r\n');
    // A cell a spreadsheet would run as a formula is quoted.
    expect(codesCsv({ batch: 'b', codes: ['=1+1'], amount: '1', max_uses: 2, expires_at: '2026-12-31T00:00:00Z' })).toContain('"=1+1"');
    expect(codesFileName('2026/11 x')).toBe('modelyard-codes-2026_11_x.csv');
  });

  it('expire at the end of the chosen local day', () => {
    const end = new Date(endOfLocalDay('2026-12-31') ?? '');
    expect([end.getFullYear(), end.getMonth(), end.getDate(), end.getHours()]).toEqual([2026, 11, 31, 23]);
    expect(endOfLocalDay('2026-02-31')).toBeNull();
  });

  it('checks the batch before sending it', () => {
    const now = new Date(2026, 10, 30);
    expect(validateCodes({ count: '10', amount: '$2.50', maxUses: '1', expires: '' }, now)).toEqual({});
    expect(validateCodes({ count: '0', amount: '0', maxUses: 'x', expires: '2026-11-01' }, now)).toEqual({
      count: 'count',
      amount: 'amount',
      maxUses: 'maxUses',
      expires: 'expiry',
    });
  });
});
