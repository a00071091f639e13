// A balance adjustment as an administrator types it: a signed USD amount ("10", "-2.50", "+$5"), never
// zero, at most 9 decimals (the ledger counts nano-dollars).

const SIGNED_USD = /^([+-]?)\s*\$?\s*(\d+(?:\.\d{0,9})?|\.\d{1,9})$/;

export type AmountError = 'empty' | 'invalid' | 'zero';

export function parseAdjustment(text: string): { ok: true; value: string } | { ok: false; error: AmountError } {
  const trimmed = text.trim().replace(/,/g, '');
  if (trimmed === '') {
    return { ok: false, error: 'empty' };
  }
  const match = SIGNED_USD.exec(trimmed);
  if (!match?.[2]) {
    return { ok: false, error: 'invalid' };
  }
  const digits = match[2].startsWith('.') ? `0${match[2]}` : match[2].replace(/\.$/, '');
  if (!/[1-9]/.test(digits)) {
    return { ok: false, error: 'zero' };
  }
  return { ok: true, value: `${match[1] === '-' ? '-' : ''}${digits}` };
}
