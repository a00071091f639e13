// Every price of a model: per million tokens for the token kinds, per unit for the rest.
import { Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { ModelPricing } from '../../api/models';
import { isZero, perMillion, perUnit } from '../models/price';
import { useLocale } from '../models/useLocale';

const PER_TOKEN = ['prompt', 'completion', 'input_cache_read', 'input_cache_write', 'internal_reasoning'] as const;
const PER_UNIT = ['request', 'image', 'web_search'] as const;
type PriceKey = (typeof PER_TOKEN)[number] | (typeof PER_UNIT)[number];

export interface PriceRow {
  key: string;
  /** USD per token or per unit, as the API gives it. */
  raw: string;
  perToken: boolean;
}

/** The prices to list: prompt and completion always, the others when the model has them, known ones first. */
export function priceRows(pricing: ModelPricing): PriceRow[] {
  const rows: PriceRow[] = [];
  const seen = new Set<string>();
  for (const key of PER_TOKEN) {
    const raw = pricing[key];
    if (key === 'prompt' || key === 'completion' || (raw !== null && raw !== undefined && raw !== '')) {
      rows.push({ key, raw: raw ?? '-1', perToken: true });
    }
    seen.add(key);
  }
  for (const key of PER_UNIT) {
    const raw = pricing[key];
    // A zero per-request or per-image price is the same as none: not worth a row.
    if (raw !== null && raw !== undefined && raw !== '' && !isZero(raw)) {
      rows.push({ key, raw, perToken: false });
    }
    seen.add(key);
  }
  for (const [key, raw] of Object.entries(pricing)) {
    if (!seen.has(key) && typeof raw === 'string' && raw !== '' && !isZero(raw)) {
      rows.push({ key, raw, perToken: false });
    }
  }
  return rows;
}

export function PricingTable({ pricing }: { pricing: ModelPricing }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table data-testid="pricing-table" verticalSpacing="xs">
      <Table.Caption>{t('model.pricing.caption')}</Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('model.pricing.what')}</Table.Th>
          <Table.Th ta="right">{t('model.pricing.price')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {priceRows(pricing).map((row) => {
          const value = isZero(row.raw)
            ? t('models.price.free')
            : row.perToken
              ? perMillion(row.raw, locale)
              : perUnit(row.raw, locale);
          const known = (PER_TOKEN as readonly string[]).includes(row.key) || (PER_UNIT as readonly string[]).includes(row.key);
          return (
            <Table.Tr key={row.key} data-price={row.key}>
              <Table.Td>
                {known ? t(`model.pricing.${row.key as PriceKey}`) : t('model.pricing.other', { name: row.key })}
              </Table.Td>
              <Table.Td ta="right">
                {value === null ? (
                  <Text span c="dimmed" size="sm">
                    {t('models.price.varies')}
                  </Text>
                ) : (
                  <Text span fw={600} size="sm">
                    {value}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
