-- Members of segment $1 in the live customer-directory generation, in id order after $2, at
-- most $3.
WITH live AS (
    SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'customers'), 0
    ) AS generation
)
SELECT s.customer_id
FROM customer_segments s
JOIN live ON s.generation = live.generation
WHERE s.segment = $1 AND ($2::uuid IS NULL OR s.customer_id > $2)
ORDER BY s.customer_id
LIMIT $3
