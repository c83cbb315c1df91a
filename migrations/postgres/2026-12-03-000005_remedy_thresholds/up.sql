-- Remedies above these amounts need a second person's approval (admins
-- change them); a currency without a row needs none.
INSERT INTO approval_thresholds (currency, amount_minor, updated_at) VALUES
    ('CNY', 500000, CURRENT_TIMESTAMP),
    ('USD', 100000, CURRENT_TIMESTAMP),
    ('USDT', 1000000000, CURRENT_TIMESTAMP),
    ('BTC', 2000000, CURRENT_TIMESTAMP);
