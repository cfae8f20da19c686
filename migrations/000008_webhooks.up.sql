-- Outgoing webhooks: the endpoints integrators register (secrets encrypted at rest), the
-- outbox of events written with the change that caused them, and one delivery per event
-- and endpoint with what its last attempt got back. Deliveries reference their endpoint
-- and event with company_id in the key, so a delivery can never cross tenants.

CREATE TABLE webhook_endpoints (
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id            uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url                   text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    events                text[] NOT NULL CHECK (cardinality(events) > 0),
    description           text NOT NULL DEFAULT '',
    status                text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason       text NOT NULL DEFAULT '',
    -- AES-256-GCM ciphertexts (key id inside) of the whsec_ secrets; never the secrets.
    secret                bytea NOT NULL DEFAULT '',
    previous_secret       bytea,
    previous_secret_until timestamptz,
    failing_since         timestamptz,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    last_attempt_at       timestamptz,
    last_response_status  integer NOT NULL DEFAULT 0,
    version               integer NOT NULL DEFAULT 1,
    created_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
CREATE INDEX webhook_endpoints_created_by ON webhook_endpoints (created_by);

CREATE TABLE webhook_events (
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    type       text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
CREATE INDEX webhook_events_company_created ON webhook_events (company_id, created_at);

CREATE TABLE webhook_deliveries (
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id      uuid NOT NULL,
    endpoint_id     uuid NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    response_status integer NOT NULL DEFAULT 0,
    response_body   text NOT NULL DEFAULT '' CHECK (octet_length(response_body) <= 4096),
    error           text NOT NULL DEFAULT '',
    duration_ms     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    UNIQUE (company_id, endpoint_id, event_id),
    FOREIGN KEY (company_id, endpoint_id) REFERENCES webhook_endpoints (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, event_id) REFERENCES webhook_events (company_id, id) ON DELETE CASCADE
);
-- The delivery log of one endpoint, newest first, and the event's deliveries.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (company_id, endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (company_id, event_id);
