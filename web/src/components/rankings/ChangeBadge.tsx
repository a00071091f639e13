import { Badge, Text, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { formatPercent } from '../../lib/format';
import { changeDirection, formatChange, useLocale } from './metric';

const ARROWS = { up: '▲', down: '▼', same: '' } as const;
const COLORS = { up: 'teal', down: 'red', same: 'dimmed' } as const;

/** A change against the previous period: a green "▲ +12.5%", a red "▼ −3%", or "New" when there was none. */
export function ChangeBadge({ percent, size = 'sm' }: { percent: number | null; size?: 'xs' | 'sm' | 'md' }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const direction = changeDirection(percent);
  if (direction === 'new' || percent === null) {
    return (
      <Badge size={size} variant="light" color="indigo" title={t('rankings.change.newHint')} data-change="new">
        {t('rankings.change.new')}
      </Badge>
    );
  }
  const label = t(`rankings.change.${direction}`, { value: formatPercent(Math.abs(percent) / 100, locale) });
  return (
    <Text
      component="span"
      size={size}
      fw={600}
      c={COLORS[direction]}
      // Relative: the visually hidden label stays inside any scrolling table (no page-wide overflow).
      style={{ position: 'relative', whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' }}
      title={label}
      data-change={direction}
    >
      <span aria-hidden="true">
        {ARROWS[direction] ? `${ARROWS[direction]} ` : ''}
        {formatChange(percent, locale)}
      </span>
      <VisuallyHidden>{label}</VisuallyHidden>
    </Text>
  );
}
