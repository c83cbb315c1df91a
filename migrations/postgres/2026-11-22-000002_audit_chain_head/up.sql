-- The head of the audit hash chain: one row. A writer updates it first,
-- which holds its row lock (PostgreSQL) or the write lock (SQLite) until
-- commit, so appends are serialised without backend-specific locks.
CREATE TABLE audit_chain_head (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq BIGINT NOT NULL CHECK (last_seq >= 0),
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
