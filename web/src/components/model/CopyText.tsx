import { ActionIcon, Button, CopyButton, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { CheckIcon, CopyIcon } from '../icons';

/** A button that copies `value`, saying so for a moment afterwards. */
export function CopyTextButton({ value, label, compact = false }: { value: string; label: string; compact?: boolean }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) =>
        compact ? (
          <Tooltip label={copied ? t('model.copied') : label} withArrow>
            <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={copied ? t('model.copied') : label}>
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        ) : (
          <Button
            size="xs"
            variant={copied ? 'light' : 'default'}
            color={copied ? 'teal' : undefined}
            leftSection={copied ? <CheckIcon /> : <CopyIcon />}
            onClick={copy}
            aria-label={copied ? t('model.copied') : label}
            data-testid="copy-button"
          >
            {copied ? t('model.copied') : t('model.copy')}
          </Button>
        )
      }
    </CopyButton>
  );
}
