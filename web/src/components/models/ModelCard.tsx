import { Badge, Card, Group, Skeleton, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import type { Model } from '../../api/models';
import { formatTokens } from '../../lib/format';
import { CapabilityBadges } from './CapabilityBadges';
import classes from './Models.module.css';
import { PriceSummary } from './PriceSummary';
import { modalityLabel } from './labels';
import { useLocale } from './useLocale';

/** The model page's address: /models/{author}/{slug}. */
export function modelPath(id: string): string {
  const [author = '', ...rest] = id.split('/');
  return `/models/${encodeURIComponent(author)}/${rest.map(encodeURIComponent).join('/')}`;
}

export function modalitiesText(model: Model, t: TFunction): string {
  const inputs = (model.architecture.input_modalities ?? []).map((value) => modalityLabel(t, value)).join(', ');
  const outputs = (model.architecture.output_modalities ?? []).map((value) => modalityLabel(t, value)).join(', ');
  return t('models.card.modalities', { inputs: inputs || '—', outputs: outputs || '—' });
}

export function ModelCard({ model }: { model: Model }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const author = model.id.split('/', 1)[0] ?? '';
  return (
    <Card withBorder padding="md" className={classes.card} component="article" data-testid="model-card" aria-labelledby={`model-${model.id}`}>
      <div>
        <Link to={modelPath(model.id)} className={classes.cardTitle} id={`model-${model.id}`}>
          {model.name}
        </Link>
        <div className={classes.id}>{model.id}</div>
      </div>
      <Text size="sm" c="dimmed" lineClamp={2} className={classes.description}>
        {model.description || t('models.card.noDescription')}
      </Text>
      <Group gap={6}>
        {model.context_length ? (
          <Badge variant="light" color="gray" size="sm" radius="sm">
            {t('models.card.context', { tokens: formatTokens(model.context_length, locale) })}
          </Badge>
        ) : null}
        <CapabilityBadges model={model} exclude={['long_context']} />
      </Group>
      <Text size="xs" c="dimmed">
        {modalitiesText(model, t)} · {t('models.card.by', { author })}
      </Text>
      <PriceSummary pricing={model.pricing} />
    </Card>
  );
}

export function ModelCardSkeleton() {
  return (
    <Card withBorder padding="md" className={classes.card} aria-hidden="true">
      <Skeleton height={16} width="60%" />
      <Skeleton height={10} width="40%" />
      <Skeleton height={10} mt={6} />
      <Skeleton height={10} width="85%" />
      <Group gap={6} mt={4}>
        <Skeleton height={18} width={70} radius="sm" />
        <Skeleton height={18} width={50} radius="sm" />
      </Group>
      <Skeleton height={12} width="70%" mt={4} />
    </Card>
  );
}
