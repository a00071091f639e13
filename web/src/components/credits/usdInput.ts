// A USD amount typed into a form: digits with at most 9 decimals ("5", "2.50", "$0.25"), never a float.

export const USD_INPUT = /^\$?\s*(\d+(?:\.\d{0,9})?|\.\d{1,9})$/;

/** The typed amount as the API takes it ("$2.50" -> "2.50"); null when it is not one. */
export function parseUsdInput(value: string): string | null {
  const match = USD_INPUT.exec(value.trim());
  if (!match?.[1]) {
    return null;
  }
  const amount = match[1];
  return amount.startsWith('.') ? `0${amount}` : amount.replace(/\.$/, '');
}
