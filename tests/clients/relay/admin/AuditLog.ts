// The audit log, newest last: paged backward (last/before) from the end, as a log view scrolls.
import { graphql } from 'relay-runtime';

export const log = graphql`
  fragment AuditLog_query on Query
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 50 }
    cursor: { type: "String" }
    area: { type: "Area" }
  )
  @refetchable(queryName: "AuditLogPaginationQuery") {
    auditEvents(last: $count, before: $cursor, area: $area)
      @connection(key: "AuditLog_auditEvents", filters: ["area"]) {
      edges {
        node {
          id
          at
          action
          actorName
          actorFirmName
        }
      }
    }
  }
`;
