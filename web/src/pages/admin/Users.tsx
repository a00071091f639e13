import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminUsersPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.users')}>{t('console.comingSoon')}</Placeholder>;
}
