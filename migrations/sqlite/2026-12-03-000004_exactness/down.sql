DROP TABLE health_checks;
DROP TABLE login_throttles;
DROP INDEX ticket_terms_ticket;
