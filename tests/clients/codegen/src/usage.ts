// A typed use of the generated code, checked by `tsc --noEmit` (tests/test_clients.py): the
// operation's result and variables are typed, and the custom scalars are typed strings, not `any`.
import { GraphQLClient } from 'graphql-request';

import { graphql } from '../generated/gql';
import type { RecentExpensesQuery } from '../generated/operations';
import type { ExpenseCategory } from '../generated/schema';

export const RecentExpenses = graphql(`
  query RecentExpenses($first: Int!, $from: Date) {
    expenses(first: $first, from: $from) {
      totalCount
      edges {
        node {
          id
          date
          amount
          vatAmount
          status
          employee {
            firstName
            lastName
          }
        }
      }
    }
    timeEntries(first: 5) {
      nodes {
        id
        hours
        startTime
      }
    }
  }
`);

type ExpenseNode = RecentExpensesQuery['expenses']['edges'][number]['node'];

export function totalInOre(expenses: readonly ExpenseNode[]): bigint {
  // Money is an exact decimal string: count in öre, never in floating point.
  return expenses.reduce((sum, expense) => {
    const [kronor, ore = '0'] = expense.amount.split('.');
    return sum + BigInt(kronor) * 100n + BigInt(ore.padEnd(2, '0').slice(0, 2));
  }, 0n);
}

export async function recentExpenses(url: string, token: string) {
  const client = new GraphQLClient(url, { headers: { Authorization: `Bearer ${token}` } });
  const data = await client.request(RecentExpenses, { first: 10, from: '2026-01-01' });
  const expenses = data.expenses.edges.map((edge) => edge.node);
  const day: `${number}-${number}-${number}` = expenses[0].date;
  // @ts-expect-error Money is a decimal string, not a number
  const wrong: number = expenses[0].amount;
  // @ts-expect-error the variables are checked too: `first` is an Int
  await client.request(RecentExpenses, { first: '10' });
  const hours: `${number}` | undefined = data.timeEntries.nodes[0]?.hours;
  const category: ExpenseCategory = 'TRAVEL';
  return { day, wrong, category, hours, ore: totalInOre(expenses), statuses: expenses.map((e) => e.status) };
}
