import { describe, expect, it } from 'vitest';

import { isFreeModel, perMillion, perUnit } from '../models/price';
import { apiBaseUrl, codeSample, sampleKind } from './codeSamples';
import { priceRows } from './PricingTable';
import { dailyUsage, dayRange, usageTotals } from './usage';

describe('prices', () => {
  it('per million tokens, in both languages, from exact decimal strings', () => {
    expect(perMillion('0.00000045', 'en')).toBe('$0.45');
    expect(perMillion('0.000015', 'en')).toBe('$15.00');
    expect(perMillion('0.0000000375', 'en')).toBe('$0.0375');
    expect(perMillion('0.00000045', 'zh-CN')).toBe('US$0.45');
    expect(perMillion('-1', 'en')).toBeNull();
    expect(perMillion(undefined, 'en')).toBeNull();
  });

  it('per request or image, as they are', () => {
    expect(perUnit('0.001', 'en')).toBe('$0.001');
    expect(perUnit('0.0048', 'en')).toBe('$0.0048');
    expect(perUnit('-1', 'en')).toBeNull();
  });

  it('call a model free when prompt and completion both cost nothing', () => {
    expect(isFreeModel({ prompt: '0', completion: '0.0' })).toBe(true);
    expect(isFreeModel({ prompt: '0', completion: '0.000001' })).toBe(false);
    expect(isFreeModel({ prompt: '-1', completion: '-1' })).toBe(false);
  });

  it('list every price the model has, prompt and completion always', () => {
    expect(priceRows({ prompt: '0.000001', completion: '0.000002' }).map((row) => row.key)).toEqual(['prompt', 'completion']);
    const rows = priceRows({
      prompt: '0.000001',
      completion: '0.000002',
      input_cache_read: '0.0000001',
      request: '0',
      image: '0.0048',
      web_search: null,
      audio: '0.00003',
    });
    expect(rows.map((row) => [row.key, row.perToken])).toEqual([
      ['prompt', true],
      ['completion', true],
      ['input_cache_read', true],
      ['image', false],
      ['audio', false],
    ]);
  });
});

describe('code samples', () => {
  const target = { baseUrl: 'https://gw.example.com/v1', modelId: 'acme/fast-1', kind: 'chat' as const };

  it('use this server and the model in every language', () => {
    expect(codeSample('curl', target)).toContain('curl https://gw.example.com/v1/chat/completions');
    expect(codeSample('curl', target)).toContain('"model": "acme/fast-1"');
    expect(codeSample('python', target)).toContain('base_url="https://gw.example.com/v1"');
    expect(codeSample('python', target)).toContain('model="acme/fast-1"');
    expect(codeSample('javascript', target)).toContain('baseURL: "https://gw.example.com/v1"');
    expect(codeSample('javascript', target)).toContain("import OpenAI from 'openai';");
  });

  it('call /embeddings for embedding models', () => {
    expect(sampleKind(['embeddings'])).toBe('embeddings');
    expect(sampleKind(['text'])).toBe('chat');
    expect(codeSample('curl', { ...target, kind: 'embeddings' })).toContain('/v1/embeddings');
    expect(codeSample('python', { ...target, kind: 'embeddings' })).toContain('client.embeddings.create(');
  });

  it('keep a quote in a model id from breaking the shell', () => {
    expect(codeSample('curl', { ...target, modelId: "it's/odd" })).toContain(`"model": "it'\\''s/odd"`);
  });

  it('take the base URL from the page', () => {
    expect(apiBaseUrl('https://gw.example.com/')).toBe('https://gw.example.com/v1');
    expect(apiBaseUrl()).toBe(`${window.location.origin}/v1`);
  });
});

describe('daily usage', () => {
  it('has every day of the window and sums the providers', () => {
    expect(dayRange('2026-03-02', 3)).toEqual(['2026-02-28', '2026-03-01', '2026-03-02']);
    const day = (date: string, requests: number, tokens: number) => ({
      date,
      requests,
      errors: 0,
      error_rate: null,
      prompt_tokens: tokens,
      completion_tokens: 0,
      tokens,
      spend: '0',
      average_latency_ms: null,
    });
    const provider = (name: string, daily: ReturnType<typeof day>[]) => ({
      provider: name,
      latency_ms_p50: null,
      latency_ms_p90: null,
      latency_ms_p99: null,
      ttft_ms_p50: null,
      ttft_ms_p90: null,
      ttft_ms_p99: null,
      throughput_p50: null,
      throughput_p90: null,
      throughput_p99: null,
      daily,
    });
    const stats = {
      model: 'acme/a',
      since: '',
      until: '',
      providers: [
        provider('x', [day('2026-03-01', 2, 100), day('2026-01-01', 9, 9)]),
        provider('y', [day('2026-03-01', 1, 50), day('2026-03-02', 4, 10)]),
      ],
    };
    const days = dailyUsage(stats, 3, '2026-03-02');
    expect(days.map((d) => [d.date, d.requests, d.tokens])).toEqual([
      ['2026-02-28', 0, 0],
      ['2026-03-01', 3, 150],
      ['2026-03-02', 4, 10],
    ]);
    expect(usageTotals(days)).toEqual({ requests: 7, tokens: 160, errors: 0 });
  });
});
