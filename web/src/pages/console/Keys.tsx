import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function KeysPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.keys')}>{t('console.comingSoon')}</Placeholder>;
}
