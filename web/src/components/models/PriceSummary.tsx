import { Badge, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { ModelPricing } from '../../api/models';
import { isFreeModel, perMillion } from './price';
import { useLocale } from './useLocale';

/** "$0.45/M input · $1.20/M output", "Free", or "Price varies". */
export function PriceSummary({ pricing }: { pricing: ModelPricing }) {
  const { t } = useTranslation();
  const locale = useLocale();
  if (isFreeModel(pricing)) {
    return (
      <Group gap={6}>
        <Badge color="green" variant="light" size="sm" radius="sm">
          {t('models.price.free')}
        </Badge>
      </Group>
    );
  }
  const prompt = perMillion(pricing.prompt, locale);
  const completion = perMillion(pricing.completion, locale);
  return (
    <Text size="sm" data-testid="price-summary">
      <Text span fw={600}>
        {prompt ?? t('models.price.varies')}
      </Text>
      <Text span c="dimmed" size="xs">
        {' '}
        {t('models.price.perMillionInput')}
      </Text>
      {' · '}
      <Text span fw={600}>
        {completion ?? t('models.price.varies')}
      </Text>
      <Text span c="dimmed" size="xs">
        {' '}
        {t('models.price.perMillionOutput')}
      </Text>
    </Text>
  );
}
