import { describe, expect, it } from 'vitest';

import { browserLanguage, isLanguage } from '.';
import en from './en.json';
import zhCN from './zh-CN.json';

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) {
    return [prefix];
  }
  return Object.entries(value).flatMap(([key, child]) => keys(child, prefix ? `${prefix}.${key}` : key));
}

function placeholders(value: unknown): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const walk = (node: unknown, prefix: string) => {
    if (typeof node === 'string') {
      found[prefix] = [...node.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        walk(child, prefix ? `${prefix}.${key}` : key);
      }
    }
  };
  walk(value, '');
  return found;
}

describe('translations', () => {
  it('have the same keys in English and Chinese', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
  });

  it('use the same placeholders in both languages', () => {
    expect(placeholders(zhCN)).toEqual(placeholders(en));
  });

  it('leave no string empty', () => {
    for (const [key, text] of Object.entries(placeholders(en))) {
      expect(text, key).toBeDefined();
    }
    const empty = [en, zhCN].flatMap((table) => keys(table).filter((key) => lookup(table, key) === ''));
    expect(empty).toEqual([]);
  });
});

function lookup(table: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], table);
}

describe('browserLanguage', () => {
  it('picks Chinese for any zh tag before English', () => {
    expect(browserLanguage(['zh-TW', 'en-US'])).toBe('zh-CN');
    expect(browserLanguage(['zh'])).toBe('zh-CN');
    expect(browserLanguage(['en-GB', 'zh-CN'])).toBe('en');
    expect(browserLanguage(['fr-FR', 'de'])).toBe('en');
    expect(browserLanguage([])).toBe('en');
  });

  it('knows its languages', () => {
    expect(isLanguage('zh-CN')).toBe(true);
    expect(isLanguage('zh')).toBe(false);
    expect(isLanguage(null)).toBe(false);
  });
});
