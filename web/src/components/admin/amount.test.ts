import { describe, expect, it } from 'vitest';

import { parseAdjustment } from './amount';

describe('balance adjustments', () => {
  it('take signed USD amounts', () => {
    expect(parseAdjustment('10')).toEqual({ ok: true, value: '10' });
    expect(parseAdjustment('-2.50')).toEqual({ ok: true, value: '-2.50' });
    expect(parseAdjustment('+$5')).toEqual({ ok: true, value: '5' });
    expect(parseAdjustment('- $0.000000001')).toEqual({ ok: true, value: '-0.000000001' });
    expect(parseAdjustment('1,000')).toEqual({ ok: true, value: '1000' });
  });

  it('refuse nothing, zero and too many decimals', () => {
    expect(parseAdjustment(' ')).toEqual({ ok: false, error: 'empty' });
    expect(parseAdjustment('0.00')).toEqual({ ok: false, error: 'zero' });
    expect(parseAdjustment('1.0000000001')).toEqual({ ok: false, error: 'invalid' });
    expect(parseAdjustment('ten')).toEqual({ ok: false, error: 'invalid' });
  });
});
