-- An app's gateway rate limits, set by an operator through the management API: requests
-- per second over every route and on each route. NULL: the route table's limit applies.
ALTER TABLE apps ADD COLUMN app_qps BIGINT;
ALTER TABLE apps ADD COLUMN route_qps BIGINT;
