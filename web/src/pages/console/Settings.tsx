import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function SettingsPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.settings')}>{t('console.comingSoon')}</Placeholder>;
}
