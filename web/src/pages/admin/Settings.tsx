import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminSettingsPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.adminSettings')}>{t('console.comingSoon')}</Placeholder>;
}
