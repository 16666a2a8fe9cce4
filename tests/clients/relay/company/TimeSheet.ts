// Time entries of a week: a connection on Query, refetchable for another week.
import { graphql } from 'relay-runtime';

export const sheet = graphql`
  fragment TimeSheet_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 50 }
    cursor: { type: "String" }
    from: { type: "Date" }
    to: { type: "Date" }
  )
  @refetchable(queryName: "TimeSheetPaginationQuery") {
    timeEntries(first: $count, after: $cursor, from: $from, to: $to)
      @connection(key: "TimeSheet_timeEntries", filters: ["from", "to"]) {
      edges {
        node {
          id
          date
          hours
          startTime
          endTime
          comment
        }
      }
    }
  }
`;
