/** Every GraphQL operation the console sends. All of them exist in schema/schema.graphql. */

export const ME = /* GraphQL */ `
  query Me {
    me { role actor }
  }
`;

export const SERVICES = /* GraphQL */ `
  query Services {
    services { id name team }
  }
`;

const FAILURE_ROW = /* GraphQL */ `
  fragment FailureRow on Failure {
    id taskType taskId pattern severity status errorType errorMessage occurredAt receivedAt attempt
    service { name }
    group { id }
  }
`;

export const FEED = /* GraphQL */ `
  ${FAILURE_ROW}
  query Feed($filter: FailureFilter, $first: Int) {
    failures(filter: $filter, first: $first) { totalCount edges { node { ...FailureRow } } }
  }
`;

export const FAILURE_REPORTED = /* GraphQL */ `
  ${FAILURE_ROW}
  subscription FailureReported($filter: LiveFailureFilter) {
    failureReported(filter: $filter) { ...FailureRow }
  }
`;

export const FAILURE_UPDATED = /* GraphQL */ `
  ${FAILURE_ROW}
  subscription FailureUpdated($filter: LiveFailureFilter) {
    failureUpdated(filter: $filter) { ...FailureRow }
  }
`;

const GROUP_ROW = /* GraphQL */ `
  fragment GroupRow on FailureGroup {
    id taskType errorType messageTemplate status regressed count openCount firstSeenAt lastSeenAt rankScore
    service { name }
  }
`;

export const GROUPS = /* GraphQL */ `
  ${GROUP_ROW}
  query Groups($filter: FailureGroupFilter, $orderBy: FailureGroupOrder!, $first: Int) {
    failureGroups(filter: $filter, orderBy: $orderBy, first: $first) {
      totalCount
      edges { node { ...GroupRow recentCounts(minutes: 60) } }
    }
  }
`;

export const GROUP_UPDATED = /* GraphQL */ `
  ${GROUP_ROW}
  subscription GroupUpdated($filter: LiveFailureGroupFilter) {
    failureGroupUpdated(filter: $filter) { ...GroupRow recentCounts(minutes: 60) }
  }
`;

export const GROUP_DETAIL = /* GraphQL */ `
  ${GROUP_ROW}
  ${FAILURE_ROW}
  query GroupDetail($id: ID!, $hintsFrom: DateTime) {
    failureGroup(id: $id) { ...GroupRow fingerprint resolvedAt }
    failed: failures(filter: { group: $id, status: [FAILED] }, first: 1) { totalCount }
    examples: failures(filter: { group: $id }, first: 20) { totalCount edges { node { ...FailureRow } } }
    failureGroupSuspects(id: $id, from: $hintsFrom) { attribute value count share baselineShare lift description }
  }
`;

export const FAILURE_DETAIL = /* GraphQL */ `
  query FailureDetail($id: ID!) {
    failure(id: $id) {
      id taskType taskId pattern source severity status errorType errorMessage stackTrace payload attributes
      occurredAt receivedAt updatedAt attempt idempotencyKey
      service { name team }
      group { id messageTemplate count openCount }
      history { at action actor note }
    }
  }
`;

const INCIDENT_ROW = /* GraphQL */ `
  fragment IncidentRow on Incident {
    id status severity provider externalKey rankScore failureCount triggeredAt acknowledgedAt acknowledgedBy resolvedAt resolvedBy deliveryError
    service { name }
    group { id messageTemplate }
    deliveries { at action status httpStatus error }
  }
`;

export const INCIDENTS = /* GraphQL */ `
  ${INCIDENT_ROW}
  query Incidents($filter: IncidentFilter, $first: Int) {
    incidents(filter: $filter, first: $first) { totalCount edges { node { ...IncidentRow } } }
  }
`;

export const INCIDENT_UPDATED = /* GraphQL */ `
  subscription IncidentUpdated {
    incidentUpdated { incidentId status }
  }
`;

export const OVERVIEW = /* GraphQL */ `
  query Overview($from: DateTime!, $to: DateTime!, $bucket: TimeBucket!) {
    failureStats(from: $from, to: $to, bucket: $bucket, groupBy: SERVICE) { key points { at reported } }
    topFailureGroups(from: $from, to: $to, limit: 8, orderBy: COUNT) {
      count previousCount growth isNew regressed
      group { id messageTemplate taskType status service { name } }
    }
    openIncidents: incidents(filter: { status: [TRIGGERED, ACKNOWLEDGED] }, first: 8) {
      totalCount
      edges { node { id status severity triggeredAt service { name } group { id messageTemplate } } }
    }
  }
`;

export const RETRY_FAILURE = `mutation Retry($id: ID!) { retryFailure(id: $id) { id status } }`;
export const DISCARD_FAILURE = `mutation Discard($id: ID!, $reason: String!) { discardFailure(id: $id, reason: $reason) { id status } }`;
export const RESOLVE_FAILURE = `mutation Resolve($id: ID!, $note: String!) { resolveFailure(id: $id, note: $note) { id status } }`;
export const RETRY_GROUP = `mutation RetryGroup($id: ID!) { retryFailureGroup(id: $id) { affected } }`;
export const DISCARD_GROUP = `mutation DiscardGroup($id: ID!, $reason: String!) { discardFailureGroup(id: $id, reason: $reason) { affected } }`;
export const RESOLVE_GROUP = `mutation ResolveGroup($id: ID!, $note: String!) { resolveFailureGroup(id: $id, note: $note) { affected } }`;
export const ACK_INCIDENT = `mutation Ack($id: ID!) { acknowledgeIncident(id: $id) { id status } }`;
export const RESOLVE_INCIDENT = `mutation ResolveIncident($id: ID!) { resolveIncident(id: $id) { id status } }`;
