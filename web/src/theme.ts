import { Anchor, type CSSVariablesResolver, createTheme, localStorageColorSchemeManager } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 6 (Mantine's default) puts white text on #4c6ef5 at 4.3:1; 7 and 8 meet WCAG AA's 4.5:1 (axe checks).
  primaryShade: { light: 7, dark: 8 },
  defaultRadius: 'md',
  // A ring on keyboard focus (never hidden), not on mouse clicks.
  focusRing: 'auto',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
  headings: { fontWeight: '700' },
  components: {
    // A link inside text must not rely on colour alone to be seen (WCAG 1.4.1).
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
  },
});

/** Colours that reach WCAG AA's 4.5:1 where Mantine's defaults fall short (axe checks every page): dimmed
 * text and placeholders one step darker (light) or lighter (dark), and on light backgrounds the text of teal,
 * green and blue badges and numbers darker than the palette goes. */
export const cssVariablesResolver: CSSVariablesResolver = (current) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': current.colors.gray[7] ?? '#495057',
    '--mantine-color-placeholder': '#6c757d',
    '--mantine-color-teal-light-color': '#066649',
    '--mantine-color-teal-text': '#066649',
    '--mantine-color-green-light-color': '#1f6b30',
    '--mantine-color-green-text': '#1f6b30',
    '--mantine-color-blue-light-color': current.colors.blue[9] ?? '#1864ab',
    '--mantine-color-blue-text': current.colors.blue[9] ?? '#1864ab',
    '--mantine-color-blue-outline': current.colors.blue[9] ?? '#1864ab',
  },
  dark: {
    '--mantine-color-dimmed': current.colors.dark[1] ?? '#b8b8b8',
    '--mantine-color-placeholder': '#9a9a9a',
  },
});

// Light, dark or the system's, remembered in this browser (a display preference, never a credential).
export const COLOR_SCHEME_KEY = 'modelyard-color-scheme';
export const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });
