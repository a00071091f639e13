// A new batch of redemption codes leaves the server once: as a CSV file to download and as text to copy.

export interface CreatedBatch {
  batch: string;
  codes: readonly string[];
  amount: string;
  max_uses: number;
  expires_at: string | null;
}

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per code: code, batch, amount (USD), max uses, expiry (ISO, blank: never). CRLF, as RFC 4180. */
export function codesCsv(created: CreatedBatch): string {
  const rows = [['code', 'batch', 'amount_usd', 'max_uses', 'expires_at']];
  for (const code of created.codes) {
    rows.push([code, created.batch, created.amount, String(created.max_uses), created.expires_at ?? '']);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function codesFileName(batch: string): string {
  return `modelyard-codes-${batch.replace(/[^A-Za-z0-9_-]/g, '_')}.csv`;
}

/** The end of a local calendar day ("2026-12-31" -> 23:59:59.999 that day, the viewer's time) as ISO. */
export function endOfLocalDay(day: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (!match) {
    return null;
  }
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const end = new Date(year, month - 1, date, 23, 59, 59, 999);
  return end.getFullYear() === year && end.getMonth() === month - 1 && end.getDate() === date ? end.toISOString() : null;
}

export type CodesFormError = 'count' | 'amount' | 'maxUses' | 'expiry';

export interface CodesForm {
  count: string;
  amount: string;
  maxUses: string;
  /** A local day, "2026-12-31"; blank: never. */
  expires: string;
}

const USD = /^(\d+(\.\d{0,9})?|\.\d{1,9})$/;

export function validateCodes(form: CodesForm, now: Date = new Date()): Partial<Record<keyof CodesForm, CodesFormError>> {
  const errors: Partial<Record<keyof CodesForm, CodesFormError>> = {};
  const count = form.count.trim();
  if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 10_000) {
    errors.count = 'count';
  }
  const amount = form.amount.trim().replace(/^\$/, '');
  if (!USD.test(amount) || !/[1-9]/.test(amount)) {
    errors.amount = 'amount';
  }
  const uses = form.maxUses.trim();
  if (!/^\d+$/.test(uses) || Number(uses) < 1 || Number(uses) > 1_000_000) {
    errors.maxUses = 'maxUses';
  }
  if (form.expires.trim() !== '') {
    const end = endOfLocalDay(form.expires);
    if (end === null || new Date(end) <= now) {
      errors.expires = 'expiry';
    }
  }
  return errors;
}
