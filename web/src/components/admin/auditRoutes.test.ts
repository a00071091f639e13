import { describe, expect, it } from 'vitest';

import { bodySummary, bodyText, routeName } from './auditRoutes';

describe('audit log rows', () => {
  it('name the operation by its route template', () => {
    expect(routeName('/api/admin/users/{user_id}/credits')).toBe('credits');
    expect(routeName('/api/admin/unknown')).toBeNull();
  });

  it('summarise and show bodies as JSON', () => {
    expect(bodySummary({ amount: '10', note: 'refund', smtp_password: '[redacted]' })).toBe('amount: 10, note: refund, smtp_password: [redacted]');
    expect(bodySummary({ note: 'x'.repeat(100) }, 20)).toHaveLength(20);
    expect(bodySummary(null)).toBe('');
    expect(bodyText({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
