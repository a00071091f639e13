// A request's cost split by what it paid for, at the model's list prices today (the record keeps the total it
// was charged, not the prices of the day): input, cached input, output, reasoning and the per-request fee,
// mirroring src/modelyard/billing/pricing.py `cost_nanos` (cached and reasoning tokens billed at their own
// price where the model sets one). Exact decimal arithmetic; the charged total stays the authority.
import type { Pricing } from '../../api/catalog';
import type { LogRow } from '../../api/activity';
import { addDecimals, multiplyDecimal } from '../../lib/format';

export type CostPart = 'input' | 'cached' | 'output' | 'reasoning' | 'request';

export interface CostLine {
  part: CostPart;
  /** Tokens (1 for the per-request fee). */
  units: number;
  /** USD per token (per request for the fee), as the catalogue writes it. */
  price: string;
  /** units × price, USD. */
  amount: string;
}

function usable(price: string | undefined): price is string {
  return price !== undefined && price.trim() !== '' && !price.trim().startsWith('-') && /^\d*\.?\d*$/.test(price.trim());
}

function positive(price: string | undefined): price is string {
  return usable(price) && /[1-9]/.test(price);
}

/** The lines, or null when the model's prices are unknown or the usage was not reported. */
export function costLines(row: Pick<LogRow, 'prompt_tokens' | 'completion_tokens' | 'cached_tokens' | 'reasoning_tokens'>, pricing: Pricing | undefined): CostLine[] | null {
  if (pricing === undefined || !usable(pricing.prompt) || !usable(pricing.completion)) {
    return null;
  }
  if (row.prompt_tokens === null && row.completion_tokens === null) {
    return null;
  }
  const prompt = row.prompt_tokens ?? 0;
  const completion = row.completion_tokens ?? 0;
  const cached = positive(pricing.input_cache_read) ? Math.min(row.cached_tokens ?? 0, prompt) : 0;
  const reasoning = positive(pricing.internal_reasoning) ? Math.min(row.reasoning_tokens ?? 0, completion) : 0;
  const line = (part: CostPart, units: number, price: string): CostLine => ({ part, units, price, amount: multiplyDecimal(price, units) });
  const lines = [line('input', prompt - cached, pricing.prompt)];
  if (cached > 0 && positive(pricing.input_cache_read)) {
    lines.push(line('cached', cached, pricing.input_cache_read));
  }
  lines.push(line('output', completion - reasoning, pricing.completion));
  if (reasoning > 0 && positive(pricing.internal_reasoning)) {
    lines.push(line('reasoning', reasoning, pricing.internal_reasoning));
  }
  if (positive(pricing.request)) {
    lines.push(line('request', 1, pricing.request));
  }
  return lines;
}

export function linesTotal(lines: CostLine[]): string {
  return addDecimals(...lines.map((line) => line.amount));
}
