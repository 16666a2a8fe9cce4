// A company's employee list as a Relay app writes it: a paginated (@connection) fragment on
// Query, refetchable with another search, and each row a fragment on the Employee node.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query EmployeeListQuery($count: Int!, $cursor: String, $search: String) {
    ...EmployeeList_query @arguments(count: $count, cursor: $cursor, search: $search)
  }
`;

export const list = graphql`
  fragment EmployeeList_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    search: { type: "String" }
  )
  @refetchable(queryName: "EmployeeListPaginationQuery") {
    employees(first: $count, after: $cursor, search: $search)
      @connection(key: "EmployeeList_employees", filters: ["search"]) {
      totalCount
      edges {
        node {
          id
          ...EmployeeRow_employee
        }
      }
    }
  }
`;
