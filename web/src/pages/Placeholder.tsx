import { Container, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

import { usePageTitle } from '../hooks/usePageTitle';

/** A page still to be built: its title and one line. */
export function Placeholder({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title);
  return (
    <Container size="lg" py="lg">
      <Title order={1} mb="sm">
        {title}
      </Title>
      <Text c="dimmed">{children}</Text>
    </Container>
  );
}
