-- Roles of the live directory generation in id order, with how many users hold each.
-- $1 one role, $2 after this id, $3 limit.
WITH live AS (
    SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'directory'), 0
    ) AS generation
)
SELECT r.role_id, r.name, r.description, r.permissions, r.created_at, r.updated_at, r.version,
    (SELECT count(*) FROM directory_assignments a
     WHERE a.generation = r.generation AND a.role_id = r.role_id) AS holder_count
FROM directory_roles r
JOIN live ON r.generation = live.generation
WHERE ($1::uuid IS NULL OR r.role_id = $1)
  AND ($2::uuid IS NULL OR r.role_id > $2)
ORDER BY r.role_id
LIMIT $3
