import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { isLogStatus } from '../../api/activity';

const COLOR = { success: 'teal', error: 'red', cancelled: 'gray' } as const;

/** A request's outcome: succeeded, failed or cancelled (by the caller, mid-answer). */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  if (!isLogStatus(status)) {
    return <Badge variant="light">{status}</Badge>;
  }
  return (
    <Badge color={COLOR[status]} variant="light" data-testid="status-badge" data-status={status}>
      {t(`activity.status.${status}`)}
    </Badge>
  );
}
