// One employee, refetchable on its own through node(id:) (Employee implements Node).
import { graphql } from 'relay-runtime';

export const row = graphql`
  fragment EmployeeRow_employee on Employee
  @refetchable(queryName: "EmployeeRowRefetchQuery") {
    id
    firstName
    lastName
    employeeNumber
    active
  }
`;
