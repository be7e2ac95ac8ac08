-- A server's newest figures are read from its metrics history (the newest row of
-- server_metrics): the table that repeated them, rewritten by every monitoring pass for every
-- server, is no longer written or read.
DROP TABLE server_stats;
