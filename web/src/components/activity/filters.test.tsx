import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';

import { useUrlState } from '../../hooks/useUrlState';
import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import { ActivityFilters } from './ActivityFilters';
import {
  ACTIVITY_DEFAULTS,
  activeFilterCount,
  bucketStarts,
  filtersStatsIgnore,
  logFilters,
  resolveRange,
  statsQuery,
  type ActivityUrlState,
} from './filters';

const NOW = Date.UTC(2026, 10, 30, 14, 25, 7); // 2026-11-30 14:25:07 UTC
const state = (patch: Partial<ActivityUrlState> = {}): ActivityUrlState => ({ ...ACTIVITY_DEFAULTS, ...patch });

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('the range', () => {
  it('ends a preset at the end of the current hour', () => {
    const range = resolveRange(state({ range: '24h' }), NOW);
    expect(range.until.toISOString()).toBe('2026-11-30T15:00:00.000Z');
    expect(range.since.toISOString()).toBe('2026-11-29T15:00:00.000Z');
    expect(range.bucket).toBe('hour');
    expect(range.bounded).toBe(false);
    const month = resolveRange(state(), NOW);
    expect(month.name).toBe('30d');
    expect(month.bucket).toBe('day');
    expect(month.since.toISOString()).toBe('2026-10-31T15:00:00.000Z');
  });

  it('reads local days as whole days, and is custom as soon as one is given', () => {
    const range = resolveRange(state({ range: '7d', since: '2026-11-01', until: '2026-11-02' }), NOW);
    expect(range.name).toBe('custom');
    expect(range.since.getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(range.until.getTime()).toBe(new Date(2026, 10, 3).getTime());
    expect(range.bucket).toBe('hour'); // two days
    expect(range.bounded).toBe(true);
    const long = resolveRange(state({ since: '2026-01-01', until: '2026-11-30' }), NOW);
    expect(long.bucket).toBe('day');
  });

  it('accepts ISO date-times, swaps a reversed range and caps it at 400 days', () => {
    const exact = resolveRange(state({ since: '2026-11-30T10:00:00Z', until: '2026-11-30T12:00:00Z' }), NOW);
    expect(exact.since.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(exact.until.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    const reversed = resolveRange(state({ since: '2026-11-30T12:00:00Z', until: '2026-11-30T10:00:00Z' }), NOW);
    expect(reversed.since.toISOString()).toBe('2026-11-30T10:00:00.000Z');
    const capped = resolveRange(state({ since: '2020-01-01', until: '2026-11-30' }), NOW);
    expect((capped.until.getTime() - capped.since.getTime()) / 86_400_000).toBe(400);
    const garbage = resolveRange(state({ since: 'yesterday' }), NOW);
    expect(garbage.name).toBe('custom');
    expect(garbage.until.toISOString()).toBe('2026-11-30T15:00:00.000Z');
  });

  it('lists every UTC bucket of the range', () => {
    const hours = bucketStarts(new Date('2026-11-30T10:30:00Z'), new Date('2026-11-30T13:00:00Z'), 'hour');
    expect(hours).toEqual(['2026-11-30T10:00:00.000Z', '2026-11-30T11:00:00.000Z', '2026-11-30T12:00:00.000Z']);
    expect(bucketStarts(new Date('2026-11-28T15:00:00Z'), new Date('2026-11-30T15:00:00Z'), 'day')).toHaveLength(3);
  });
});

describe('the filters', () => {
  it('turn the URL into the log filters, the export and the statistics query', () => {
    const view = state({ range: '7d', model: 'acme/fast-1', key_id: '12', status: 'error', app: 'My App', provider: 'web-fake-1' });
    const range = resolveRange(view, NOW);
    expect(logFilters(view, range)).toEqual({
      since: '2026-11-23T15:00:00.000Z',
      model: 'acme/fast-1',
      provider: 'web-fake-1',
      key_id: 12,
      status: 'error',
      app: 'My App',
    });
    expect(statsQuery(view, range, 'provider')).toEqual({
      since: '2026-11-23T15:00:00.000Z',
      until: '2026-11-30T15:00:00.000Z',
      bucket: 'day',
      group_by: 'provider',
      model: 'acme/fast-1',
      provider: 'web-fake-1',
      key_id: 12,
    });
    expect(filtersStatsIgnore(view)).toEqual(['status', 'app']);
    expect(activeFilterCount(view)).toBe(5);
  });

  it('ignore what is not a filter value', () => {
    const view = state({ key_id: 'abc', status: 'weird' });
    const filters = logFilters(view, resolveRange(view, NOW));
    expect(filters).toEqual({ since: '2026-10-31T15:00:00.000Z' });
    expect(activeFilterCount(view)).toBe(0);
    const custom = state({ since: '2026-11-01', until: '2026-11-01' });
    expect(logFilters(custom, resolveRange(custom, NOW)).until).toBe(new Date(2026, 10, 2).toISOString());
  });
});

function FiltersInTheUrl() {
  const [view, setView] = useUrlState(ACTIVITY_DEFAULTS);
  const range = resolveRange(view, NOW);
  return (
    <ActivityFilters
      state={view}
      range={range}
      onChange={setView}
      models={[
        { value: 'acme/fast-1', label: 'Acme Fast 1' },
        { value: 'bolt/slow-2', label: 'Bolt Slow 2' },
      ]}
      providers={[{ value: 'web-fake-1', label: 'web-fake-1' }]}
      keys={[{ value: '12', label: 'CI key (sk-…abcd)' }]}
    />
  );
}

describe('the filter bar', () => {
  it('writes each choice to the URL and reads a shared link back', async () => {
    const user = userEvent.setup();
    const { router } = renderAt('/activity?key_id=12', [{ path: '/activity', element: <FiltersInTheUrl /> }]);
    expect(screen.getAllByLabelText('API key')[0]).toHaveValue('CI key (sk-…abcd)');
    await user.click(screen.getAllByLabelText('Model')[0] as HTMLElement);
    await user.click(await screen.findByRole('option', { name: 'Bolt Slow 2', hidden: true }));
    await waitFor(() => expect(router.state.location.search).toBe('?key_id=12&model=bolt%2Fslow-2'));
    await user.click(screen.getByRole('radio', { name: '24 hours' }));
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get('range')).toBe('24h'));
    fireEvent.change(screen.getByLabelText('App'), { target: { value: 'My App' } });
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get('app')).toBe('My App'));
    await user.click(await screen.findByRole('button', { name: 'Clear 3 filters' }));
    await waitFor(() => expect(router.state.location.search).toBe('?range=24h'));
  });

  it('keeps a custom range as local days', async () => {
    const user = userEvent.setup();
    const { router } = renderAt('/activity?range=7d', [{ path: '/activity', element: <FiltersInTheUrl /> }]);
    await user.click(screen.getByRole('radio', { name: 'Custom' }));
    await waitFor(() => {
      const params = new URLSearchParams(router.state.location.search);
      expect(params.get('range')).toBe('custom');
      expect(params.get('since')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(params.get('until')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });
  });
});
