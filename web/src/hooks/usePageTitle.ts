import { useEffect } from 'react';

/** The browser tab's title: "Models · Modelyard". */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Modelyard` : 'Modelyard';
  }, [title]);
}
