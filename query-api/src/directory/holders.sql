-- The users of the live directory generation holding role $1, in id order.
WITH live AS (
    SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'directory'), 0
    ) AS generation
)
SELECT u.user_id, u.email, u.display_name
FROM directory_assignments a
JOIN live ON a.generation = live.generation
JOIN directory_users u ON u.generation = a.generation AND u.user_id = a.user_id
WHERE a.role_id = $1
ORDER BY u.user_id
