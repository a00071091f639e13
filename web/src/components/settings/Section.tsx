import { Paper, Stack, Text, Title } from '@mantine/core';
import { useId, type ReactNode } from 'react';

/** One part of the Settings page: a titled panel, reachable by its anchor (#profile, #sessions...). */
export function SettingsSection({ id, title, description, children, testId }: { id: string; title: string; description?: string; children: ReactNode; testId?: string }) {
  const titleId = useId();
  return (
    <Paper component="section" id={id} withBorder radius="md" p={{ base: 'sm', sm: 'lg' }} aria-labelledby={titleId} data-testid={testId} style={{ scrollMarginTop: 76 }}>
      <Title order={2} size="h4" id={titleId}>
        {title}
      </Title>
      {description !== undefined && (
        <Text size="sm" c="dimmed" mt={2}>
          {description}
        </Text>
      )}
      <Stack mt="md" gap="md">
        {children}
      </Stack>
    </Paper>
  );
}
