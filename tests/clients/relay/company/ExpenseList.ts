// The expenses of a period, paged both ways: forward (first/after) from the top and backward
// (last/before) to load earlier items, on the same @connection; each a refetchable Expense.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query ExpenseListQuery($count: Int!, $from: Date, $to: Date) {
    ...ExpenseList_query @arguments(count: $count, from: $from, to: $to)
  }
`;

export const list = graphql`
  fragment ExpenseList_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    from: { type: "Date" }
    to: { type: "Date" }
  )
  @refetchable(queryName: "ExpenseListPaginationQuery") {
    expenses(first: $count, after: $cursor, from: $from, to: $to)
      @connection(key: "ExpenseList_expenses", filters: ["from", "to"]) {
      totalCount
      edges {
        node {
          ...ExpenseItem_expense
        }
      }
    }
  }
`;

export const backward = graphql`
  fragment ExpenseList_earlier on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" })
  @refetchable(queryName: "ExpenseListBackwardPaginationQuery") {
    earlier: expenses(last: $count, before: $cursor)
      @connection(key: "ExpenseList_earlier") {
      edges {
        node {
          ...ExpenseItem_expense
        }
      }
    }
  }
`;
