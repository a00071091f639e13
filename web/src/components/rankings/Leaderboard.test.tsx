import { screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';

import i18n from '../../i18n';
import { renderAt } from '../../test/render';
import { ChangeBadge } from './ChangeBadge';
import { rankedModel } from './fixtures';
import { Leaderboard } from './Leaderboard';

const MODELS = [
  rankedModel(1, 'acme/big-1', 1_234_567, { share: 0.4567, change_percent: 12.5 }),
  rankedModel(2, 'other/small.2', 45_000, { share: 0.3, change_percent: -3 }),
  rankedModel(3, 'acme/new-3', 999, { share: 0.2433, change_percent: null }),
  rankedModel(4, 'flat/same-4', 10, { share: 0, change_percent: 0 }),
];
const NAMES = new Map([['acme/big-1', 'Acme: Big One']]);

function rows() {
  return screen.getAllByTestId('leaderboard-row');
}

function cell(row: HTMLElement, id: string) {
  return within(row).getByTestId(id);
}

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('the leaderboard', () => {
  it('formats values, shares and changes in English', async () => {
    renderAt('/', [{ path: '/', element: <Leaderboard by="tokens" period="week" models={MODELS} names={NAMES} /> }]);
    const [big, small, fresh, flat] = rows() as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    expect(cell(big, 'rank')).toHaveTextContent('1');
    expect(within(big).getByRole('link', { name: 'Acme: Big One' })).toHaveAttribute('href', '/models/acme/big-1');
    expect(within(small).getByRole('link', { name: 'other/small.2' })).toHaveAttribute('href', '/models/other/small.2');
    expect(cell(big, 'value')).toHaveTextContent('1.2M');
    expect(cell(big, 'share')).toHaveTextContent('45.7%');
    expect(cell(big, 'change')).toHaveTextContent('▲ +12.5%');
    expect(cell(big, 'change')).toHaveTextContent('Up 12.5% on the period before');
    expect(cell(small, 'value')).toHaveTextContent('45K');
    expect(cell(small, 'change')).toHaveTextContent('▼ -3%');
    expect(cell(small, 'change')).toHaveTextContent('Down 3% on the period before');
    expect(cell(fresh, 'change')).toHaveTextContent('New');
    expect(cell(fresh, 'value')).toHaveTextContent('999');
    expect(cell(flat, 'change')).toHaveTextContent('0%');
    expect(cell(flat, 'share')).toHaveTextContent('0%');
    expect(screen.getByRole('columnheader', { name: 'Tokens' })).toBeInTheDocument();
  });

  it('formats them in Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    renderAt('/', [{ path: '/', element: <Leaderboard by="tokens" period="week" models={MODELS} names={NAMES} /> }]);
    const [big, small, fresh] = rows() as [HTMLElement, HTMLElement, HTMLElement];
    expect(cell(big, 'value')).toHaveTextContent('123.5万');
    expect(cell(big, 'share')).toHaveTextContent('45.7%');
    expect(cell(big, 'change')).toHaveTextContent('较上一周期增长 12.5%');
    expect(cell(small, 'change')).toHaveTextContent('较上一周期下降 3%');
    expect(cell(fresh, 'change')).toHaveTextContent('新上榜');
    expect(screen.getByRole('columnheader', { name: '作者' })).toBeInTheDocument();
  });

  it('shows spend as US dollars from the exact decimal string', async () => {
    const spend = [
      rankedModel(1, 'acme/big-1', '1234.5', { share: 0.9 }),
      rankedModel(2, 'acme/tiny-2', '0.000042', { share: 0.1 }),
    ];
    const view = renderAt('/', [{ path: '/', element: <Leaderboard by="spend" period="month" models={spend} names={NAMES} /> }]);
    expect(cell(rows()[0]!, 'value')).toHaveTextContent('$1,234.50');
    expect(cell(rows()[1]!, 'value')).toHaveTextContent('$0.000042');
    expect(screen.getByTestId('leaderboard')).toHaveAttribute('data-by', 'spend');
    view.unmount();
    await i18n.changeLanguage('zh-CN');
    renderAt('/', [{ path: '/', element: <Leaderboard by="spend" period="month" models={spend} names={NAMES} /> }]);
    expect(cell(rows()[0]!, 'value')).toHaveTextContent('US$1,234.50');
    expect(screen.getByRole('columnheader', { name: '花费' })).toBeInTheDocument();
  });

  it('shows a share of an empty total as a dash, and a sliver as less than 0.1%', () => {
    const models = [rankedModel(1, 'a/b', 0), rankedModel(2, 'a/c', 1, { share: 0.0001 })];
    renderAt('/', [{ path: '/', element: <Leaderboard by="requests" period="day" models={models} names={new Map()} /> }]);
    expect(cell(rows()[0]!, 'share')).toHaveTextContent('—');
    expect(cell(rows()[1]!, 'share')).toHaveTextContent('<0.1%');
    expect(screen.getByRole('columnheader', { name: 'Requests' })).toBeInTheDocument();
  });
});

describe('the change badge', () => {
  it('rounds to one decimal and keeps the sign', () => {
    renderAt('/', [{ path: '/', element: <ChangeBadge percent={1234.56} /> }]);
    expect(screen.getByText('▲ +1,234.6%')).toBeInTheDocument();
  });
});
