-- Customers are found by the start of their name or e-mail, in any case:
-- lower-cased copies kept by the database itself, in code-point order
-- (COLLATE "C"), indexed, so a prefix is an index range.
ALTER TABLE customers ADD COLUMN name_key TEXT COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(name)) STORED;
ALTER TABLE customers ADD COLUMN email_key TEXT COLLATE "C" NOT NULL GENERATED ALWAYS AS (lower(email)) STORED;
CREATE INDEX customers_name_prefix ON customers (name_key);
CREATE INDEX customers_email_prefix ON customers (email_key);
