-- Users of the live directory generation in id order, each with its live roles and its
-- effective permissions. $1 one user, $2 holders of a role, $3 a LIKE prefix (escaped,
-- lower-case) of the email or display name, $4 disabled or not, $5 after this id, $6 limit.
WITH live AS (
    SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'directory'), 0
    ) AS generation
)
SELECT u.user_id, u.email, u.display_name, u.disabled, u.registered_at, u.updated_at, u.version,
    coalesce((
        SELECT jsonb_agg(jsonb_build_object('role_id', r.role_id, 'name', r.name)
                         ORDER BY r.name, r.role_id)
        FROM directory_assignments a
        JOIN directory_roles r ON r.generation = a.generation AND r.role_id = a.role_id
        WHERE a.generation = u.generation AND a.user_id = u.user_id
    ), '[]'::jsonb) AS roles,
    coalesce((
        SELECT array_agg(p.permission ORDER BY p.permission)
        FROM directory_permissions p
        WHERE p.generation = u.generation AND p.user_id = u.user_id
    ), '{}'::text[]) AS permissions
FROM directory_users u
JOIN live ON u.generation = live.generation
WHERE ($1::uuid IS NULL OR u.user_id = $1)
  AND ($2::uuid IS NULL OR EXISTS (
        SELECT 1 FROM directory_assignments a
        JOIN directory_roles r ON r.generation = a.generation AND r.role_id = a.role_id
        WHERE a.generation = u.generation AND a.user_id = u.user_id AND a.role_id = $2))
  AND ($3::text IS NULL OR u.email LIKE $3 || '%' OR lower(u.display_name) LIKE $3 || '%')
  AND ($4::boolean IS NULL OR u.disabled = $4)
  AND ($5::uuid IS NULL OR u.user_id > $5)
ORDER BY u.user_id
LIMIT $6
