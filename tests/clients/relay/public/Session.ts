// Who is logged in: every role's schema has it (the public one too).
import { graphql } from 'relay-runtime';

export const query = graphql`
  query SessionQuery {
    viewer {
      context
      role
    }
  }
`;
