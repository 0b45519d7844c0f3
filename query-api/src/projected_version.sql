-- How far the live generation of projection $2 applied stream $1; versions are recorded under
-- the generation's key: the projection's name for generation 0, '<name>.g<n>' after (as
-- store::directory::versions_key and store::customer_directory::versions_key name them).
SELECT v.version
FROM projected_versions v
WHERE v.stream_id = $1
  AND v.projection = (
    SELECT CASE WHEN g.generation = 0 THEN $2 ELSE $2 || '.g' || g.generation END
    FROM (SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = $2), 0
    ) AS generation) g
  )
