-- The desk's language each agent chose (zh-CN or en); none until they
-- choose, when the browser's Accept-Language decides.
ALTER TABLE agents ADD COLUMN language TEXT;
