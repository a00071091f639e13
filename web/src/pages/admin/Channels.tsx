import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminChannelsPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.channels')}>{t('console.comingSoon')}</Placeholder>;
}
