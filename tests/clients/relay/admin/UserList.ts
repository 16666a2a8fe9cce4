// The company's users (an admin's page): a connection filtered by role, each user a refetchable
// Node (a CompanyUser, the membership).
import { graphql } from 'relay-runtime';

export const list = graphql`
  fragment UserList_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 50 }
    cursor: { type: "String" }
    role: { type: "Role" }
  )
  @refetchable(queryName: "UserListPaginationQuery") {
    companyUsers(first: $count, after: $cursor, role: $role)
      @connection(key: "UserList_companyUsers", filters: ["role"]) {
      totalCount
      edges {
        node {
          ...UserList_user
        }
      }
    }
  }
`;

export const user = graphql`
  fragment UserList_user on CompanyUser @refetchable(queryName: "UserListUserRefetchQuery") {
    id
    name
    email
    role
    emailVerified
  }
`;
