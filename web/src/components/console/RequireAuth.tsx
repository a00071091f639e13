import { Alert, Button, Container, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation } from 'react-router';

import { useMe } from '../../api/queries';
import { currentPath } from '../../lib/safeNext';
import { PageLoader } from '../Layout';
import { isAdminRole } from './consoleLinks';

/** Its children for a signed-in user (an administrator when `admin`); the sign-in page, coming back here
 * afterwards, for anybody else; a plain refusal for a signed-in user who is not an administrator. */
export function RequireAuth({ admin = false, children }: { admin?: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return <PageLoader />;
  }
  if (me.isError) {
    return (
      <Container size="sm" py="xl">
        <Alert color="red" title={t('console.loadFailed')}>
          <Button mt="sm" variant="light" onClick={() => void me.refetch()}>
            {t('console.retry')}
          </Button>
        </Alert>
      </Container>
    );
  }
  if (!me.data) {
    return <Navigate to={`/signin?next=${encodeURIComponent(currentPath(location))}`} replace />;
  }
  if (admin && !isAdminRole(me.data.role)) {
    return (
      <Container size="sm" py="xl" data-testid="forbidden">
        <Stack>
          <Title order={1}>{t('console.forbiddenTitle')}</Title>
          <Text>{t('console.forbiddenText')}</Text>
          <Button component={Link} to="/credits" variant="light" w="fit-content">
            {t('console.backToAccount')}
          </Button>
        </Stack>
      </Container>
    );
  }
  return <>{children}</>;
}
