import { describe, expect, it } from 'vitest';

import { createBody, emptyChannelForm, formFromChannel, patchBody, storedHeaderNames, validateChannel } from './channelForm';
import { channel } from './fixtures';

describe('channel form', () => {
  it('creates a channel from what was typed', () => {
    const form = {
      ...emptyChannelForm(),
      name: ' fake ',
      base_url: 'http://127.0.0.1:9000/v1',
      keys: 'sk-one\n\n sk-two \n',
      models: [
        { slug: 'acme/fast-1', upstream_name: 'fast-1-chunks-5' },
        { slug: 'acme/slow-1', upstream_name: '' },
        { slug: '', upstream_name: '' },
      ],
      priority: '5',
      quantization: 'fp8',
      max_concurrency: '4',
      timeout_seconds: '30',
      no_training: true,
      headers: 'X-Team: research',
    };
    expect(validateChannel(form, false)).toEqual({});
    expect(createBody(form)).toEqual({
      name: 'fake',
      provider: 'openai',
      base_url: 'http://127.0.0.1:9000/v1',
      api_keys: ['sk-one', 'sk-two'],
      models: [
        { slug: 'acme/fast-1', upstream_name: 'fast-1-chunks-5' },
        { slug: 'acme/slow-1', upstream_name: null },
      ],
      priority: 5,
      weight: 100,
      provider_slug: null,
      options: { quantization: 'fp8', no_training: true, max_concurrency: 4, timeout_seconds: 30, headers: { 'X-Team': 'research' } },
    });
    expect(createBody({ ...form, keys: 'sk-one' }).api_key).toBe('sk-one');
  });

  it('refuses what the server would', () => {
    const errors = validateChannel(
      {
        ...emptyChannelForm(),
        base_url: 'api.example.com',
        models: [
          { slug: 'a/b', upstream_name: '' },
          { slug: 'a/b', upstream_name: 'x' },
        ],
        weight: '0',
        probe_interval_seconds: '2',
        timeout_seconds: '-1',
        headers: 'no colon here',
      },
      false,
    );
    expect(errors).toEqual({
      name: 'required',
      base_url: 'url',
      keys: 'required',
      'models.1': 'duplicate',
      weight: 'positiveInteger',
      probe_interval_seconds: 'probeInterval',
      timeout_seconds: 'positive',
      headers: 'headers',
    });
    // Editing: a blank key box keeps the stored keys.
    expect(validateChannel(formFromChannel(channel()), true)).toEqual({});
  });

  it('saves only what changed, never the masked header values', () => {
    const stored = channel();
    const form = formFromChannel(stored);
    expect(form.keys).toBe('');
    expect(storedHeaderNames(stored)).toEqual(['X-Team']);
    expect(patchBody(stored, form)).toEqual({});
    expect(patchBody(stored, { ...form, priority: '3', zdr: true, quantization: null, timeout_seconds: '' })).toEqual({
      priority: 3,
      options: { quantization: null, zdr: true, timeout_seconds: null },
    });
    expect(patchBody(stored, { ...form, keys: 'sk-new' })).toEqual({ api_keys: ['sk-new'] });
    expect(patchBody(stored, { ...form, clear_headers: true })).toEqual({ options: { headers: null } });
    expect(patchBody(stored, { ...form, models: [{ slug: 'acme/fast-1', upstream_name: '' }] })).toEqual({});
    expect(patchBody(stored, { ...form, models: [{ slug: 'acme/fast-1', upstream_name: 'fast-2' }] })).toEqual({
      models: [{ slug: 'acme/fast-1', upstream_name: 'fast-2' }],
    });
  });
});
