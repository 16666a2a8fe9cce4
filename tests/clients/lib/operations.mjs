// The operations every client script runs as a logged-in company admin (the demo's
// admin@demo.example): a query of the viewer and a page of employees, and a mutation that
// changes an employee's phone number (the same value each run: the script can run again).

export const VIEWER_AND_EMPLOYEES = /* GraphQL */ `
  query ViewerAndEmployees($first: Int!) {
    viewer {
      context
      role
      user {
        email
      }
    }
    employees(first: $first) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
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

export const VIEWER = /* GraphQL */ `
  query Viewer {
    viewer {
      context
      role
    }
  }
`;

export const UPDATE_PHONE = /* GraphQL */ `
  mutation UpdatePhone($id: ID!, $phone: String!) {
    updateEmployeeContact(id: $id, input: { phone: $phone }) {
      employee {
        id
        phone
      }
    }
  }
`;
