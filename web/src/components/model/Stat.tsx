import { Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One figure with its label, in a box. */
export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <Paper withBorder p="sm" radius="md" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} lh={1.3}>
        {label}
      </Text>
      <Text fw={700} fz={{ base: 'md', sm: 'lg' }} mt={4}>
        {value}
      </Text>
    </Paper>
  );
}
