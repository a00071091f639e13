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

// Light, dark or the system's, remembered in this browser (a display preference, never a credential).
export const COLOR_SCHEME_KEY = 'modelyard-color-scheme';
export const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });

/** On light backgrounds, coloured text (badges, `c="red"`, outlines) in each palette colour dark enough for
 * WCAG AA's 4.5:1 against white and the colour's own light tint (Mantine's shade 9 falls short for several). */
const LIGHT_TEXT: Record<string, string> = {
  red: '#c02828',
  pink: '#a61e4d',
  grape: '#862e9c',
  violet: '#5f3dc4',
  indigo: '#364fc7',
  blue: '#1864ab',
  cyan: '#0b7285',
  teal: '#077755',
  green: '#257936',
  lime: '#49760a',
  yellow: '#a55500',
  orange: '#b63c0c',
};

/** Colours that reach WCAG AA's 4.5:1 where Mantine's defaults fall short (axe checks every page): dimmed
 * text and placeholders one step darker (light) or lighter (dark), and coloured text on light backgrounds. */
export const cssVariablesResolver: CSSVariablesResolver = (current) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': current.colors.gray[7] ?? '#495057',
    '--mantine-color-placeholder': '#6c757d',
    ...Object.fromEntries(
      Object.entries(LIGHT_TEXT).flatMap(([name, value]) => [
        [`--mantine-color-${name}-light-color`, value],
        [`--mantine-color-${name}-text`, value],
        [`--mantine-color-${name}-outline`, value],
      ]),
    ),
  },
  dark: {
    '--mantine-color-dimmed': current.colors.dark[1] ?? '#b8b8b8',
    '--mantine-color-placeholder': '#9a9a9a',
  },
});
