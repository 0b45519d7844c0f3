-- How far the live directory generation applied stream $1; versions are recorded under the
-- generation's key, as store::directory::versions_key names it.
SELECT v.version
FROM projected_versions v
WHERE v.stream_id = $1
  AND v.projection = (
    SELECT CASE WHEN g.generation = 0 THEN 'directory' ELSE 'directory.g' || g.generation END
    FROM (SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'directory'), 0
    ) AS generation) g
  )
