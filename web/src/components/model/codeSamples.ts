// Ready-to-run examples of calling a model through this server's OpenAI-compatible API.

export const SAMPLE_LANGUAGES = ['curl', 'python', 'javascript'] as const;
export type SampleLanguage = (typeof SAMPLE_LANGUAGES)[number];

export interface SampleTarget {
  /** This server's OpenAI-compatible base URL, e.g. https://models.example.com/v1. */
  baseUrl: string;
  modelId: string;
  /** Embedding models answer /embeddings; every other model /chat/completions. */
  kind: 'chat' | 'embeddings';
}

export const API_KEY_VARIABLE = 'MODELYARD_API_KEY';

/** The OpenAI-compatible base URL of the server this page came from. */
export function apiBaseUrl(origin: string = window.location.origin): string {
  return `${origin.replace(/\/+$/, '')}/v1`;
}

export function sampleKind(outputModalities: readonly string[] | undefined): SampleTarget['kind'] {
  const outputs = outputModalities ?? [];
  return outputs.includes('embeddings') && !outputs.includes('text') ? 'embeddings' : 'chat';
}

const q = JSON.stringify;

function curl({ baseUrl, modelId, kind }: SampleTarget): string {
  const body =
    kind === 'embeddings'
      ? `{\n    "model": ${q(modelId)},\n    "input": "The quick brown fox"\n  }`
      : `{\n    "model": ${q(modelId)},\n    "messages": [\n      {"role": "user", "content": "What is the meaning of life?"}\n    ]\n  }`;
  // The body sits in single quotes for the shell: escape any the model id might hold.
  const shellBody = body.replace(/'/g, `'\\''`);
  return [
    `curl ${baseUrl}/${kind === 'embeddings' ? 'embeddings' : 'chat/completions'} \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Authorization: Bearer $${API_KEY_VARIABLE}" \\`,
    `  -d '${shellBody}'`,
  ].join('\n');
}

function python({ baseUrl, modelId, kind }: SampleTarget): string {
  const head = [
    'import os',
    '',
    'from openai import OpenAI',
    '',
    'client = OpenAI(',
    `    base_url=${q(baseUrl)},`,
    `    api_key=os.environ[${q(API_KEY_VARIABLE)}],`,
    ')',
    '',
  ];
  const call =
    kind === 'embeddings'
      ? [
          'result = client.embeddings.create(',
          `    model=${q(modelId)},`,
          '    input="The quick brown fox",',
          ')',
          'print(result.data[0].embedding[:8])',
        ]
      : [
          'completion = client.chat.completions.create(',
          `    model=${q(modelId)},`,
          '    messages=[{"role": "user", "content": "What is the meaning of life?"}],',
          ')',
          'print(completion.choices[0].message.content)',
        ];
  return [...head, ...call].join('\n');
}

function javascript({ baseUrl, modelId, kind }: SampleTarget): string {
  const head = [
    "import OpenAI from 'openai';",
    '',
    'const client = new OpenAI({',
    `  baseURL: ${q(baseUrl)},`,
    `  apiKey: process.env.${API_KEY_VARIABLE},`,
    '});',
    '',
  ];
  const call =
    kind === 'embeddings'
      ? [
          'const result = await client.embeddings.create({',
          `  model: ${q(modelId)},`,
          "  input: 'The quick brown fox',",
          '});',
          'console.log(result.data[0].embedding.slice(0, 8));',
        ]
      : [
          'const completion = await client.chat.completions.create({',
          `  model: ${q(modelId)},`,
          "  messages: [{ role: 'user', content: 'What is the meaning of life?' }],",
          '});',
          'console.log(completion.choices[0].message.content);',
        ];
  return [...head, ...call].join('\n');
}

export function codeSample(language: SampleLanguage, target: SampleTarget): string {
  switch (language) {
    case 'curl':
      return curl(target);
    case 'python':
      return python(target);
    case 'javascript':
      return javascript(target);
  }
}
