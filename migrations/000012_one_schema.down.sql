-- Nothing to undo: 000012 only adds to a database what the current 000004 and 000007 already
-- create, and those migrations' own down files remove it.
SELECT 1;
