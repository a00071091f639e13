import { useTranslation } from 'react-i18next';

import type { Locale } from '../../lib/format';

/** The page's language as the format helpers take it; re-renders when it changes. */
export function useLocale(): Locale {
  const { i18n } = useTranslation();
  return i18n.language === 'zh-CN' ? 'zh-CN' : 'en';
}
