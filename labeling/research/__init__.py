"""Research data as flat tables: what researchers download (REST lists, streaming CSV and JSON
Lines, a round's export bundle). Reads only; the rows come from the other apps' records."""
