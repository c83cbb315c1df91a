DROP INDEX customers_email_prefix;
DROP INDEX customers_name_prefix;
ALTER TABLE customers DROP COLUMN email_key;
ALTER TABLE customers DROP COLUMN name_key;
