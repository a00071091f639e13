// The "call the API" code samples, for this instance's base URL.

/** This server's OpenAI-compatible base URL: the page's origin + /v1. */
export function apiBaseUrl(origin: string = window.location.origin): string {
  return `${origin.replace(/\/+$/, '')}/v1`;
}

export const FALLBACK_MODEL = 'openai/gpt-4o-mini';

export function curlSnippet(baseUrl: string, model: string): string {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }] });
  return [
    `curl ${baseUrl}/chat/completions \\`,
    '  -H "Authorization: Bearer $MODELYARD_API_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d '${body.replace(/'/g, "'\\''")}'`,
  ].join('\n');
}

export function pythonSnippet(baseUrl: string, model: string): string {
  return [
    'import os',
    '',
    'from openai import OpenAI',
    '',
    'client = OpenAI(',
    `    base_url=${JSON.stringify(baseUrl)},`,
    '    api_key=os.environ["MODELYARD_API_KEY"],',
    ')',
    'completion = client.chat.completions.create(',
    `    model=${JSON.stringify(model)},`,
    '    messages=[{"role": "user", "content": "Hello!"}],',
    ')',
    'print(completion.choices[0].message.content)',
  ].join('\n');
}

/** Copies text; where the Clipboard API is missing (a plain-http address other than localhost), the old way. */
export async function copyText(text: string): Promise<void> {
  if (typeof navigator !== 'undefined' && navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    // Deprecated, but the only way without a secure context.
    if (!document.execCommand('copy')) {
      throw new Error('copy refused');
    }
  } finally {
    area.remove();
  }
}
