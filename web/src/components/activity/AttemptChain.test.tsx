import { screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';

import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import { AttemptChain, attemptOutcome } from './AttemptChain';

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('the attempt chain', () => {
  it('lists every attempt in order, the failures with their errors, the last one answering', () => {
    renderAt('/', [
      {
        path: '/',
        element: (
          <AttemptChain
            attempts={[
              { channel_id: 1, channel: 'primary', provider: 'openai', model: 'acme/big', status: 500, latency_ms: 120, error: 'upstream_5xx' },
              { channel_id: 2, channel: 'slow', provider: 'slow', model: 'acme/big', status: null, latency_ms: 30_000, error: 'timeout' },
              { channel_id: 3, channel: 'backup', provider: 'azure', model: 'acme/small', status: 200, latency_ms: 850, error: null },
            ]}
          />
        ),
      },
    ]);
    const list = screen.getByRole('list', { name: 'Attempts' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(items.map((item) => item.dataset.outcome)).toEqual(['failed', 'noAnswer', 'answered']);
    expect(items[0]).toHaveTextContent('Attempt 1 · primary');
    expect(items[0]).toHaveTextContent('Failed (500)');
    expect(items[0]).toHaveTextContent('acme/big · openai · 120 ms');
    expect(within(items[0] as HTMLElement).getByTestId('attempt-error')).toHaveTextContent('upstream_5xx');
    expect(items[1]).toHaveTextContent('No answer');
    expect(items[1]).toHaveTextContent('30 s');
    expect(items[2]).toHaveTextContent('Attempt 3 · backup');
    expect(items[2]).toHaveTextContent('Answered (200)');
    expect(within(items[2] as HTMLElement).queryByTestId('attempt-error')).toBeNull();
    // "fell back to" between attempts, not after the last.
    expect(screen.getAllByText(/fell back to/)).toHaveLength(2);
  });

  it('says so when no provider was called, and in Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    renderAt('/', [{ path: '/', element: <AttemptChain attempts={[]} /> }]);
    expect(screen.getByTestId('attempts-empty')).toHaveTextContent('没有调用任何提供商');
  });

  it('calls a 2xx with an error a failure', () => {
    expect(attemptOutcome({ status: 200, error: 'bad json' })).toBe('failed');
    expect(attemptOutcome({ status: 200 })).toBe('answered');
    expect(attemptOutcome({})).toBe('noAnswer');
  });
});
