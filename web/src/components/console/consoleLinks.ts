// The signed-in console's pages, in the order the navigation lists them; admin pages only for administrators
// (the server refuses their API calls to anyone else whatever the page shows).
export interface ConsoleLink {
  to: string;
  key:
    | 'console.nav.credits'
    | 'console.nav.keys'
    | 'console.nav.activity'
    | 'console.nav.playground'
    | 'console.nav.settings'
    | 'console.nav.channels'
    | 'console.nav.pricing'
    | 'console.nav.users'
    | 'console.nav.codes'
    | 'console.nav.adminSettings'
    | 'console.nav.audit';
}

export const ACCOUNT_LINKS: readonly ConsoleLink[] = [
  { to: '/credits', key: 'console.nav.credits' },
  { to: '/keys', key: 'console.nav.keys' },
  { to: '/activity', key: 'console.nav.activity' },
  { to: '/playground', key: 'console.nav.playground' },
  { to: '/settings', key: 'console.nav.settings' },
];

export const ADMIN_LINKS: readonly ConsoleLink[] = [
  { to: '/admin/channels', key: 'console.nav.channels' },
  { to: '/admin/models', key: 'console.nav.pricing' },
  { to: '/admin/users', key: 'console.nav.users' },
  { to: '/admin/codes', key: 'console.nav.codes' },
  { to: '/admin/settings', key: 'console.nav.adminSettings' },
  { to: '/admin/audit', key: 'console.nav.audit' },
];

export function isAdminRole(role: string | undefined | null): boolean {
  return role === 'admin' || role === 'root';
}
