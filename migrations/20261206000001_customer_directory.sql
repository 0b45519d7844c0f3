-- The customer directory: each customer's profile, address book, preferences and segments as
-- query-api reads them, built by the projectors from identity.customers.v1 with the personal
-- fields opened by the customer's data key (store::customer_directory). These are the only
-- rows that hold a customer's personal data in the clear: erasure deletes them in its own
-- transaction, and the projector writes a customer's rows only while its key exists (checked
-- under a lock the erasure's key deletion waits for). Rows carry a generation, as the
-- directory's do, so that a rebuild fills the next one beside the live one.
CREATE TABLE customer_profiles (
    generation        INT NOT NULL,
    customer_id       UUID NOT NULL,
    email             TEXT,
    name              TEXT,
    phone             TEXT,
    birth_date        TEXT,
    locale            TEXT,
    marketing_email   BOOLEAN NOT NULL DEFAULT false,
    marketing_sms     BOOLEAN NOT NULL DEFAULT false,
    marketing_push    BOOLEAN NOT NULL DEFAULT false,
    signed_up_at      TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    -- the customer's stream version this row reflects
    version           BIGINT NOT NULL,
    PRIMARY KEY (generation, customer_id)
);

CREATE TABLE customer_addresses (
    generation        INT NOT NULL,
    customer_id       UUID NOT NULL,
    address_id        UUID NOT NULL,
    -- the address as the customer gave it (line1, line2, city, postal_code, region, country,
    -- recipient)
    address           JSONB NOT NULL,
    default_shipping  BOOLEAN NOT NULL,
    default_billing   BOOLEAN NOT NULL,
    PRIMARY KEY (generation, customer_id, address_id)
);

-- Keyed by segment first: `GET /v1/segments/{segment}/customers` pages through it by id.
CREATE TABLE customer_segments (
    generation   INT NOT NULL,
    segment      TEXT NOT NULL,
    customer_id  UUID NOT NULL,
    added_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (generation, segment, customer_id)
);
CREATE INDEX customer_segments_customer ON customer_segments (generation, customer_id);
