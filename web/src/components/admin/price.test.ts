import { describe, expect, it } from 'vitest';

import {
  billedPrice,
  changedEndpointPrices,
  changedPrices,
  parseLimitInput,
  parseMarkupInput,
  parsePriceInput,
  perMillionToPerToken,
  perTokenToPerMillion,
  priceErrors,
  samePrice,
} from './price';

describe('per-million conversion', () => {
  it('moves the point exactly both ways', () => {
    expect(perTokenToPerMillion('0.00000045')).toBe('0.45');
    expect(perTokenToPerMillion('0.000015')).toBe('15');
    expect(perTokenToPerMillion('0.0000000001')).toBe('0.0001');
    expect(perTokenToPerMillion('0')).toBe('0');
    expect(perMillionToPerToken('0.45')).toBe('0.00000045');
    expect(perMillionToPerToken('15')).toBe('0.000015');
    expect(perMillionToPerToken('2.5')).toBe('0.0000025');
  });

  it('round-trips prices a float would mangle', () => {
    for (const perMillion of ['0.1', '0.3', '1.23456789', '123456.000000001', '0.000000001']) {
      expect(perTokenToPerMillion(perMillionToPerToken(perMillion))).toBe(perMillion);
    }
  });
});

describe('price input', () => {
  it('takes what people type', () => {
    expect(parsePriceInput('0.45')).toEqual({ ok: true, value: '0.45' });
    expect(parsePriceInput(' $2 ')).toEqual({ ok: true, value: '2' });
    expect(parsePriceInput('.5')).toEqual({ ok: true, value: '0.5' });
    expect(parsePriceInput('1.')).toEqual({ ok: true, value: '1' });
    expect(parsePriceInput('1,000.50')).toEqual({ ok: true, value: '1000.5' });
    expect(parsePriceInput('0.000000001')).toEqual({ ok: true, value: '0.000000001' });
  });

  it('refuses what the API would', () => {
    expect(parsePriceInput('')).toEqual({ ok: false, error: 'empty' });
    expect(parsePriceInput('-1')).toEqual({ ok: false, error: 'negative' });
    expect(parsePriceInput('abc')).toEqual({ ok: false, error: 'invalid' });
    expect(parsePriceInput('1e-6')).toEqual({ ok: false, error: 'invalid' });
    expect(parsePriceInput('0.0000000001')).toEqual({ ok: false, error: 'precision' });
  });

  it('compares amounts, not spellings', () => {
    expect(samePrice('0.50', '.5')).toBe(true);
    expect(samePrice('1', '1.000000001')).toBe(false);
  });

  it('sends only the prices that changed', () => {
    const stored = { prompt: '0.5', completion: '1.5', request: '0' };
    expect(changedPrices(stored, { prompt: '0.50', completion: '2', request: '0' })).toEqual({ completion: '2' });
    expect(changedPrices(stored, { prompt: 'x' })).toEqual({});
    expect(priceErrors({ prompt: 'x', completion: '', request: '1' })).toEqual({ prompt: 'invalid', completion: 'empty' });
    expect(priceErrors({ prompt: '' }, { blankAllowed: true })).toEqual({});
  });

  it("clears a channel's own price with a blank box", () => {
    const stored = { prompt: '0.4', completion: null };
    expect(changedEndpointPrices(stored, { prompt: '', completion: '' })).toEqual({ prompt: null });
    expect(changedEndpointPrices(stored, { prompt: '0.40', completion: '3' })).toEqual({ completion: '3' });
  });
});

describe('markup', () => {
  it('takes percentages with two decimals in range', () => {
    expect(parseMarkupInput('10')).toEqual({ ok: true, value: '10' });
    expect(parseMarkupInput('12.5%')).toEqual({ ok: true, value: '12.5' });
    expect(parseMarkupInput('-5')).toEqual({ ok: true, value: '-5' });
    expect(parseMarkupInput('0.01')).toEqual({ ok: true, value: '0.01' });
    expect(parseMarkupInput('1.234')).toEqual({ ok: false, error: 'precision' });
    expect(parseMarkupInput('-100')).toEqual({ ok: false, error: 'range' });
    expect(parseMarkupInput('10001')).toEqual({ ok: false, error: 'range' });
    expect(parseMarkupInput('ten')).toEqual({ ok: false, error: 'invalid' });
  });

  it('bills as the server does: half up to the nano', () => {
    expect(billedPrice('1', '10')).toBe('1.1');
    expect(billedPrice('0.45', null)).toBe('0.45');
    expect(billedPrice('0.000000005', '10')).toBe('0.000000006'); // 5.5 nanos rounds up
    expect(billedPrice('0.000000004', '10')).toBe('0.000000004'); // 4.4 nanos rounds down
    expect(billedPrice('2', '-50')).toBe('1');
    expect(billedPrice('x', '10')).toBeNull();
  });
});

describe('limits', () => {
  it('are whole token counts, blank for the model', () => {
    expect(parseLimitInput('')).toEqual({ ok: true, value: null });
    expect(parseLimitInput('128,000')).toEqual({ ok: true, value: 128000 });
    expect(parseLimitInput('0')).toEqual({ ok: false });
    expect(parseLimitInput('1.5')).toEqual({ ok: false });
  });
});
