// One expense (a Node): refetchable after an approval elsewhere changed it.
import { graphql } from 'relay-runtime';

export const item = graphql`
  fragment ExpenseItem_expense on Expense @refetchable(queryName: "ExpenseItemRefetchQuery") {
    id
    date
    description
    amount
    vatAmount
    status
    employee {
      id
      firstName
      lastName
    }
  }
`;
