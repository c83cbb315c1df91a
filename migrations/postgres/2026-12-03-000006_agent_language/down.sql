ALTER TABLE agents DROP COLUMN language;
