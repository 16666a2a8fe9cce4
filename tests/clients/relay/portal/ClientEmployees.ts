// One client's employees from the portal (LIMITED or FULL): the same connection with companyId.
import { graphql } from 'relay-runtime';

export const employees = graphql`
  fragment ClientEmployees_query on Query
  @argumentDefinitions(
    companyId: { type: "ID!" }
    count: { type: "Int", defaultValue: 50 }
    cursor: { type: "String" }
  )
  @refetchable(queryName: "ClientEmployeesPaginationQuery") {
    employees(first: $count, after: $cursor, companyId: $companyId)
      @connection(key: "ClientEmployees_employees", filters: ["companyId"]) {
      edges {
        node {
          id
          firstName
          lastName
        }
      }
    }
  }
`;
