// The partner portal's client board: the firm's clients as a connection; each row (a
// PortalClient) and each client's company are refetchable Nodes.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query ClientBoardQuery($count: Int!, $search: String) {
    ...ClientBoard_query @arguments(count: $count, search: $search)
  }
`;

export const board = graphql`
  fragment ClientBoard_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 25 }
    cursor: { type: "String" }
    search: { type: "String" }
  )
  @refetchable(queryName: "ClientBoardPaginationQuery") {
    clients(first: $count, after: $cursor, search: $search)
      @connection(key: "ClientBoard_clients", filters: ["search"]) {
      totalCount
      edges {
        node {
          ...ClientBoard_client
        }
      }
    }
  }
`;

export const client = graphql`
  fragment ClientBoard_client on PortalClient
  @refetchable(queryName: "ClientBoardClientRefetchQuery") {
    id
    company {
      ...ClientBoard_company
    }
    payrollStatus {
      periodState
    }
  }
`;

export const company = graphql`
  fragment ClientBoard_company on Company @refetchable(queryName: "ClientBoardCompanyRefetchQuery") {
    id
    name
    organisationNumber
  }
`;
