import { ActionIcon, Button, CopyButton, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { CheckIcon, CopyIcon } from '../icons';

/** Copies `value`, saying so for a moment afterwards; an icon button when `compact`. */
export function CopyValueButton({ value, label, compact = false, testId }: { value: string; label: string; compact?: boolean; testId?: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) =>
        compact ? (
          <Tooltip label={copied ? t('keys.copied') : label} withArrow>
            <ActionIcon
              variant="default"
              size="lg"
              color={copied ? 'teal' : 'gray'}
              onClick={copy}
              aria-label={copied ? t('keys.copied') : label}
              data-testid={testId}
            >
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        ) : (
          <Button
            variant={copied ? 'light' : 'filled'}
            color={copied ? 'teal' : undefined}
            leftSection={copied ? <CheckIcon /> : <CopyIcon />}
            onClick={copy}
            data-testid={testId}
          >
            {copied ? t('keys.copied') : label}
          </Button>
        )
      }
    </CopyButton>
  );
}
