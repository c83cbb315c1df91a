DROP TABLE inbound_messages;
ALTER TABLE tickets DROP CONSTRAINT tickets_channel_check;
-- Tickets that came by e-mail are kept, as if they came through the API.
UPDATE tickets SET channel = 'api' WHERE channel = 'email';
ALTER TABLE tickets ADD CONSTRAINT tickets_channel_check
    CHECK (channel IN ('web_form', 'agent', 'api'));
