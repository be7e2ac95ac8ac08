-- One definition of when two addresses are one account: the domain's email_key (domain/model/
-- credentials.py), stored beside the address and unique, instead of the database's own lower(),
-- whose idea of upper case follows the server's locale and need not be Python's. Rows from before
-- take lower(email), the same for every address the API has let in under a C or UTF-8 locale.
ALTER TABLE accounts ADD COLUMN email_key TEXT;
UPDATE accounts SET email_key = lower(email);
ALTER TABLE accounts ALTER COLUMN email_key SET NOT NULL;
CREATE UNIQUE INDEX accounts_email_key_unique ON accounts (email_key);
DROP INDEX accounts_email_unique;
