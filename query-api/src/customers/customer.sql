-- One customer of the live customer-directory generation, with its addresses (each address's
-- fields beside its id and default flags) and its segments. $1 the customer.
WITH live AS (
    SELECT coalesce(
        (SELECT generation FROM projection_generations WHERE projection = 'customers'), 0
    ) AS generation
)
SELECT p.customer_id, p.email, p.name, p.phone, p.birth_date, p.locale,
    p.marketing_email, p.marketing_sms, p.marketing_push,
    p.signed_up_at, p.updated_at, p.version,
    coalesce((
        SELECT jsonb_agg(
            a.address || jsonb_build_object(
                'address_id', a.address_id,
                'default_shipping', a.default_shipping,
                'default_billing', a.default_billing)
            ORDER BY a.address_id)
        FROM customer_addresses a
        WHERE a.generation = p.generation AND a.customer_id = p.customer_id
    ), '[]'::jsonb) AS addresses,
    coalesce((
        SELECT array_agg(s.segment ORDER BY s.segment)
        FROM customer_segments s
        WHERE s.generation = p.generation AND s.customer_id = p.customer_id
    ), '{}'::text[]) AS segments
FROM customer_profiles p
JOIN live ON p.generation = live.generation
WHERE p.customer_id = $1
